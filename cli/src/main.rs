//! `codex-manager`: the command line of Codex Manager.
//!
//! Today it has one command, `up`, which runs the whole local stack (see [`up`]). Later commands
//! talk to a running stack through its HTTP API, with the base URL and token of the current
//! profile in `profiles.toml` (see [`profile`]), which `up` writes.
//!
//! Error policy: this is a tool, so errors are `anyhow` with context, printed once by `main`
//! with their cause chain.

mod paths;
mod profile;
mod up;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Codex Manager: a local control plane for Codex sessions.
#[derive(Debug, Parser)]
#[command(name = "codex-manager", version, propagate_version = true)]
#[command(after_help = "Start with `codex-manager up --demo` to try it offline.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole stack on this machine (NATS, Postgres, the four services) until Ctrl-C.
    Up(up::UpArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Up(args) => up::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
