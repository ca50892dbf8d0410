//! `codex-manager` (alias `cmgr`): the command line of Codex Manager. Both binaries are a
//! call of [`main`].
//!
//! `up` runs the whole local stack (see [`up`]) and writes the `local` profile; every other
//! command talks to a running stack through its HTTP API, with the base URL and token of a
//! profile (see [`profile`], [`client::Target`]). One module per command group under
//! [`commands`]; [`ops`] names the API operations they call.
//!
//! Error policy: this is a tool, so errors are `anyhow` with context; a [`exit::CliError`] in
//! the chain gives the exit code (see [`exit`] for the table). `main` prints the error once.

mod cli;
mod client;
mod commands;
mod exit;
mod ops;
mod output;
mod paths;
mod profile;
mod up;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use cli::{Cli, Command, Global};
use client::{Client, RetryPolicy, Target};
use commands::Ctx;
use output::Output;

/// Parses the command line, runs the command, and returns its exit code.
pub fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of stdout goes away
    // (`codex-manager sessions list | head -1`) instead of panicking on the write.
    // SAFETY: nothing else runs yet, and SIG_DFL is always a valid disposition.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
    };
    let cli = Cli::parse();
    let json = cli.global.json;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let class = exit::class_of(&e);
            if json {
                let mut report = e
                    .chain()
                    .find_map(|c| c.downcast_ref::<exit::CliError>())
                    .map_or_else(|| serde_json::json!({}), exit::CliError::to_json);
                report["exitCode"] = class.code().into();
                report["class"] = class.name().into();
                report["message"] = format!("{e:#}").into();
                eprintln!("{report}");
            } else if !e.to_string().is_empty() {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(class.code())
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output {
        json: cli.global.json,
    };
    let g = &cli.global;
    match cli.command {
        Command::Up(args) => return up::main(args, out).await,
        Command::Profile(args) => {
            let given = commands::profile::Given {
                url: g.url.as_deref(),
                token: g.token.as_deref(),
                ca_cert: g.ca_cert.as_deref(),
            };
            return commands::profile::run(out, args, given);
        }
        Command::Completions(args) => {
            commands::completions::run(args, <Cli as clap::CommandFactory>::command());
            return Ok(());
        }
        Command::Bus(args) => return commands::bus::run(out, args),
        Command::Db(args) => return commands::db::run(out, args).await,
        Command::Api(args) if commands::api::is_local(&args) => {
            commands::api::operations(out);
            return Ok(());
        }
        _ => {}
    }
    let ctx = Ctx {
        client: client_for(g)?,
        out,
    };
    match cli.command {
        Command::System(a) => commands::system::run(&ctx, a).await,
        Command::Projects(a) => commands::projects::run(&ctx, a).await,
        Command::Sessions(a) => commands::sessions::run(&ctx, a).await,
        Command::Stream(a) => commands::stream::run(&ctx, a).await,
        Command::Approvals(a) => commands::requests::approvals(&ctx, a).await,
        Command::ToolInput(a) => commands::requests::tool_input(&ctx, a).await,
        Command::ToolCalls(a) => commands::requests::tool_calls(&ctx, a).await,
        Command::Jobs(a) => commands::jobs::run(&ctx, a).await,
        Command::Controls(a) => commands::controls::run(&ctx, a).await,
        Command::Settings(a) => commands::settings::run(&ctx, a).await,
        Command::Models(a) => commands::models::run(&ctx, a).await,
        Command::Account(a) => commands::account::run(&ctx, a).await,
        Command::Config(a) => commands::config::run(&ctx, a).await,
        Command::Mcp(a) => commands::mcp::run(&ctx, a).await,
        Command::Skills(a) => commands::skills::run(&ctx, a).await,
        Command::Apps(a) => commands::apps::run(&ctx, a).await,
        Command::Runtime(a) => commands::runtime::run(&ctx, a).await,
        Command::Api(a) => commands::api::run(&ctx, a).await,
        Command::Up(_)
        | Command::Profile(_)
        | Command::Completions(_)
        | Command::Bus(_)
        | Command::Db(_) => Ok(()),
    }
}

/// The API client for the profile and flags of this invocation.
fn client_for(g: &Global) -> anyhow::Result<Client> {
    let profiles = profile::Profiles::load(&profile::Profiles::default_path()?)?;
    let target = Target::resolve(
        &profiles,
        g.profile.as_deref(),
        g.url.as_deref(),
        g.token.as_deref(),
        g.ca_cert.as_deref(),
    )?;
    Client::new(
        target,
        g.idempotency_key.clone(),
        Duration::from_secs(g.timeout),
        RetryPolicy::new(g.retries, !g.json),
    )
}
