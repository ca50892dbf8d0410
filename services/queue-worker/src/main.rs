//! `cm-queue-worker`: parses flags, starts telemetry, runs [`cm_queue_worker::run`].

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Codex Manager queue worker")]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    /// Postgres connection string.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _telemetry = cm_telemetry::init(
        "cm-queue-worker",
        env!("CARGO_PKG_VERSION"),
        &args.common.telemetry(),
    )?;
    let bus = args.common.connect("cm-queue-worker").await?;
    let cfg = cm_queue_worker::Config {
        database_url: args.database_url,
    };
    cm_queue_worker::run(cfg, bus, cm_bus::cancel_on_signal()).await
}
