//! `cm-runtime-bridge`: parses flags, starts telemetry, runs [`cm_runtime_bridge::run`].

use std::path::PathBuf;

use clap::Parser;
use cm_runtime_bridge::appserver::{DEFAULT_MAX_LINE_BYTES, SpawnConfig};

#[derive(Parser)]
#[command(
    version,
    about = "Codex Manager runtime bridge (supervises codex app-server)"
)]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    /// The codex binary (the native one from @openai/codex, or `codex` on PATH).
    #[arg(long, env = "CODEX_BIN", default_value = "codex")]
    codex_bin: PathBuf,
    /// CODEX_HOME for the runtime (codex's own default when unset).
    #[arg(long, env = "CODEX_HOME")]
    codex_home: Option<PathBuf>,
    /// Extra `-c key=value` config overrides for app-server, one per line.
    #[arg(long, env = "CM_CODEX_CONFIG", default_value = "")]
    codex_config: String,
    /// This bridge's id on the bus.
    #[arg(long, env = "CM_BRIDGE_ID", default_value = "bridge-1")]
    bridge_id: String,
    /// Working directory for sessions created without one (default: the current directory).
    #[arg(long, env = "CM_DEFAULT_CWD")]
    default_cwd: Option<PathBuf>,
    /// Approval policy for new threads (untrusted, on-request, never...).
    #[arg(long, env = "CM_APPROVAL_POLICY")]
    approval_policy: Option<String>,
    /// Sandbox mode for new threads (read-only, workspace-write, danger-full-access).
    #[arg(long, env = "CM_SANDBOX")]
    sandbox: Option<String>,
    /// The longest line accepted from app-server's stdout/stderr; longer ones are skipped and
    /// recorded as `runtime.error` events. At least 1 MiB: below that, ordinary messages (a
    /// thread's answer with its items, a command's output) would be skipped.
    #[arg(long, env = "CM_MAX_LINE_BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(1024 * 1024..))]
    max_line_bytes: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _telemetry = cm_telemetry::init(
        "cm-runtime-bridge",
        env!("CARGO_PKG_VERSION"),
        &args.common.telemetry(),
    )?;
    let overrides = args
        .codex_config
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .flat_map(|l| ["-c".to_owned(), l.to_owned()])
        .collect();
    let spawn = SpawnConfig {
        bin: args.codex_bin,
        codex_home: args.codex_home,
        args: overrides,
        env: Vec::new(),
    };
    let cwd = match args.default_cwd {
        Some(d) => d,
        None => std::env::current_dir()?,
    };
    let mut cfg = cm_runtime_bridge::Config::new(spawn, cwd);
    cfg.bridge_id = args.bridge_id;
    cfg.approval_policy = args.approval_policy;
    cfg.sandbox = args.sandbox;
    cfg.max_line_bytes = usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX);
    let bus = args.common.connect("cm-runtime-bridge").await?;
    cm_runtime_bridge::run(cfg, bus, cm_bus::cancel_on_signal()).await
}
