//! `cmgr`: the short name of `codex-manager`.

fn main() -> std::process::ExitCode {
    codex_manager::main()
}
