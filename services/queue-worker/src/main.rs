//! `cm-queue-worker`: parses flags, then runs [`cm_queue_worker::run`] in the service kit
//! ([`cm_bus::Kit`]).

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Codex Manager queue worker")]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    #[command(flatten)]
    db: cm_pg::DbArgs,
    #[command(flatten)]
    engine: cm_queue_worker::EngineArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let kit = cm_bus::Kit::start("cm-queue-worker", env!("CARGO_PKG_VERSION"), &args.common)?;
    let cfg = args.engine.config(args.db.url("cm-queue-worker")?);
    kit.run(|bus, shutdown| cm_queue_worker::run(cfg, bus, shutdown))
        .await
}
