//! `codex-manager`: see the library.

fn main() -> std::process::ExitCode {
    codex_manager::main()
}
