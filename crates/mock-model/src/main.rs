//! `cm-mock-model`: runs the scripted model server until Ctrl-C or SIGTERM.
//!
//! Prints `listening on http://ADDR/v1` on stdout once bound, so a parent process can read the
//! port when `--addr` asks for port 0. Logs go to stderr (`RUST_LOG`, default `info`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use cm_mock_model::Script;

/// Scripted OpenAI Responses-API server for running codex offline.
#[derive(Debug, Parser)]
#[command(name = "cm-mock-model", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "CM_MOCK_MODEL_ADDR", default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Script file (JSON, see the crate README); the built-in demo script when unset.
    #[arg(long, env = "CM_MOCK_MODEL_SCRIPT")]
    script: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let script = match &args.script {
        Some(path) => Script::from_path(path)?,
        None => Script::demo(),
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}/v1").context("cannot write to stdout")?;
    stdout.flush().context("cannot flush stdout")?;
    drop(stdout);
    cm_mock_model::run(Arc::new(script), listener, shutdown_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
