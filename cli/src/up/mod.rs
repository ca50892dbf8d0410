//! `codex-manager up`: the whole stack on one machine.
//!
//! In order: take the data directory's lock, start a private `nats-server -js` and (unless
//! `DATABASE_URL` is given) a private Postgres cluster, both keeping their data under the data
//! directory; with `--demo`, the scripted model server and a `CODEX_HOME` pointing at it; then
//! the four services as separate processes, their output prefixed on the terminal and appended
//! to `<data>/logs/<service>.log`. Once `GET /api/ready` answers 200, print the banner and write
//! the `local` CLI profile. Supervise until Ctrl-C or SIGTERM (a service that dies is restarted
//! with back-off), then stop the services, Postgres and NATS in that order.
//!
//! While it runs, `<data>/up.json` says where (see [`state`]); `up status`, `up logs` and
//! `up down` ([`control`], [`logs`]) find it through the data directory.

mod banner;
mod console;
mod control;
mod demo;
mod infra;
mod layout;
mod locate;
mod logs;
mod pg_location;
mod ready;
mod services;
mod signals;
mod state;
mod supervise;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};

use console::Console;
use layout::Layout;

use crate::output::Output;

/// Flags of `codex-manager up`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  codex-manager up --demo
      Everything offline with the built-in scripted model; open the printed URL.
  codex-manager up --data-dir ~/cm --port 9000
      Real models through your usual CODEX_HOME, data kept in ~/cm.
  DATABASE_URL=postgres://me@db.example/cm codex-manager up
      Use an existing Postgres instead of a private cluster.
  codex-manager up status                 # running? ready? where?
  codex-manager up logs gateway -f        # follow one service's log
  codex-manager up down                   # stop it from another terminal

A second `up` on the same data directory reuses its data and token. Stop with Ctrl-C or
`codex-manager up down`.")]
#[command(args_conflicts_with_subcommands = true)]
pub struct UpArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// Where the token, logs, NATS store and Postgres cluster live
    /// [default: $XDG_DATA_HOME/codex-manager or ~/.local/share/codex-manager; as root,
    /// /var/lib/codex-manager].
    #[arg(long, env = "CM_DATA_DIR", hide_env_values = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// HTTP port of the API and web UI (bound on 127.0.0.1 only).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Run codex against the built-in scripted model: no API key, no network, same answers
    /// every time (`<data>/codex-home-demo` is its CODEX_HOME).
    #[arg(long)]
    demo: bool,
    /// Directory of the built web UI, served at `/`.
    #[arg(long, env = "CM_WEB_DIR", hide_env_values = true, value_name = "DIR")]
    web_dir: Option<PathBuf>,
    /// Directory with cm-gateway, cm-session, cm-runtime-bridge, cm-queue-worker (and
    /// cm-mock-model) [default: the directory of this executable].
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
    /// NATS client port [default: a free port].
    #[arg(long, value_name = "PORT")]
    nats_port: Option<u16>,
    /// Use this Postgres instead of a private cluster (the services create their own schemas).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    database_url: Option<String>,
    /// The native codex binary [default: the project-local install found above this
    /// executable or the current directory, else `codex` on PATH].
    #[arg(long, env = "CODEX_BIN", hide_env_values = true, value_name = "PATH")]
    codex_bin: Option<PathBuf>,
    /// The nats-server binary [default: on PATH, else /usr/sbin/nats-server].
    #[arg(
        long,
        env = "NATS_SERVER_BIN",
        hide_env_values = true,
        value_name = "PATH"
    )]
    nats_server_bin: Option<PathBuf>,
    /// Directory with initdb and postgres [default: from PATH, else /usr/lib/postgresql/*/bin].
    #[arg(long, env = "PG_BIN", hide_env_values = true, value_name = "DIR")]
    pg_bin: Option<PathBuf>,
    /// The API token file [default: <data dir>/token; created with mode 0600].
    #[arg(
        long,
        env = "CM_TOKEN_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    token_file: Option<PathBuf>,
    /// Seconds to wait for the stack to become ready.
    #[arg(long, default_value_t = 90, value_name = "SECONDS")]
    ready_timeout: u64,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Whether an `up` runs on the data directory, where, and whether it is ready (exit 0
    /// ready, 6 not ready, 7 not running).
    Status(control::DataDir),
    /// The services' logs: the last lines of each, or of one; --follow for more.
    Logs(logs::LogsArgs),
    /// Stop the `up` running on the data directory, and wait until everything stopped.
    Down(control::DownArgs),
}

/// `up` itself, or one of its subcommands.
pub async fn main(mut args: UpArgs, out: Output) -> anyhow::Result<()> {
    match args.action.take() {
        Some(Action::Status(dir)) => control::status(dir, out).await,
        Some(Action::Logs(logs_args)) => logs::run(logs_args).await,
        Some(Action::Down(down)) => control::down(down, out).await,
        None => run(args).await,
    }
}

/// Runs the stack until a signal, or fails.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let stop = signals::install().context("installing signal handlers")?;
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => crate::paths::default_data_dir()?,
    };
    let layout = Layout::create(&data_dir, args.token_file.clone())?;
    let _lock = layout.lock()?;
    let up_state = state::UpState {
        pid: std::process::id(),
        base_url: format!("http://127.0.0.1:{}", args.port),
        demo: args.demo,
        started_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    up_state.write(&layout.data)?;
    let result = run_locked(&args, &layout, stop, started).await;
    let _ = std::fs::remove_file(state::path(&layout.data));
    result
}

/// Everything after the data directory is locked.
async fn run_locked(
    args: &UpArgs,
    layout: &Layout,
    stop: tokio_util::sync::CancellationToken,
    started: Instant,
) -> anyhow::Result<()> {
    let console = Console::new();
    layout::ensure_port_free(args.port)?;
    let bins = locate::ServiceBins::find(args.bin_dir.clone(), args.demo)?;
    let codex = locate::codex_bin(args.codex_bin.clone())?;
    console.info(&format!("data directory {}", layout.data.display()));

    let mut infra = tokio::select! {
        infra = infra::Infra::start(args, layout, &console) => infra?,
        () = stop.cancelled() => return Ok(()),
    };
    let ctx = supervise::Context {
        args,
        layout,
        console: &console,
        bins: &bins,
        codex: &codex,
        started,
        ready_timeout: Duration::from_secs(args.ready_timeout),
        web: locate::WebUi::locate(args.web_dir.as_deref(), &bins.dir),
    };
    let result = supervise::run(&ctx, &mut infra, &stop).await;
    console.info("stopping Postgres and NATS");
    infra.stop().await;
    if result.is_ok() {
        console.info("stopped");
    }
    result
}
