//! `cm-queue-worker`: parses flags, then runs [`cm_queue_worker::run`] in the service kit
//! ([`cm_bus::Kit`]).

use std::time::Duration;

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Codex Manager queue worker")]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    #[command(flatten)]
    db: cm_pg::DbArgs,
    /// Jobs this worker runs at once.
    #[arg(long, env = "CM_QUEUE_CONCURRENCY", default_value_t = 16)]
    concurrency: usize,
    /// Jobs queued or running at once over all projects; one more is refused (`queue_full`).
    #[arg(long, env = "CM_QUEUE_MAX_ACTIVE", default_value_t = 10_000)]
    max_active: u64,
    /// Jobs queued or running at once in one project.
    #[arg(long, env = "CM_QUEUE_MAX_ACTIVE_PER_PROJECT", default_value_t = 1_000)]
    max_active_per_project: u64,
    /// Seconds a running job stays this worker's without a renewal: how long a killed
    /// worker's jobs wait before they are retried.
    #[arg(long, env = "CM_QUEUE_LEASE_SECS", default_value_t = 15)]
    lease_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let kit = cm_bus::Kit::start("cm-queue-worker", env!("CARGO_PKG_VERSION"), &args.common)?;
    let mut cfg = cm_queue_worker::Config::new(args.db.url("cm-queue-worker")?);
    cfg.engine.concurrency = args.concurrency.max(1);
    cfg.engine.max_active = args.max_active;
    cfg.engine.max_active_per_project = args.max_active_per_project;
    cfg.engine.lease = Duration::from_secs(args.lease_secs.max(1));
    kit.run(|bus, shutdown| cm_queue_worker::run(cfg, bus, shutdown))
        .await
}
