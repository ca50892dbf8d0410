//! `cm-gateway`: parses flags, starts telemetry, runs [`cm_gateway::run`].

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Codex Manager HTTP gateway")]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    /// Address to listen on (loopback by default).
    #[arg(long, env = "CM_HTTP_ADDR", default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// File holding the bearer token; created with mode 0600 on first run.
    #[arg(long, env = "CM_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// Data directory (the token lives here unless --token-file is given).
    #[arg(long, env = "CM_DATA_DIR", default_value = ".codex-manager")]
    data_dir: PathBuf,
    /// Directory of the built web UI to serve at `/`.
    #[arg(long, env = "CM_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// Append one JSON line per request (method, route, status, duration) to this file.
    #[arg(long, env = "CM_ACCESS_LOG")]
    access_log: Option<PathBuf>,
    /// Another origin whose pages may call the API (repeat, or comma-separate in the env);
    /// by default only the gateway's own origin, which serves the UI.
    #[arg(long = "cors-origin", env = "CM_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _telemetry = cm_telemetry::init(
        "cm-gateway",
        env!("CARGO_PKG_VERSION"),
        &args.common.telemetry(),
    )?;
    let token_file = args
        .token_file
        .unwrap_or_else(|| args.data_dir.join("token"));
    let token = cm_gateway::load_or_create_token(&token_file)
        .with_context(|| format!("token file {}", token_file.display()))?;
    let mut cfg = cm_gateway::Config::new(token);
    cfg.web_dir = args.web_dir;
    cfg.access_log = args.access_log;
    cfg.cors_origins = args.cors_origins;
    let bus = args.common.connect("cm-gateway").await?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("bind {}", args.addr))?;
    cm_gateway::run(cfg, bus, listener, cm_bus::cancel_on_signal()).await
}
