//! The queue worker: owns durable jobs (`docs/architecture.md`, "Jobs"). Postgres is the queue
//! (schema `queue`), JetStream carries only the jobs' events (through the outbox). This file
//! wires: migrations, the engine's tasks, the `cm.v1.queue.*` endpoints.

mod commands;
mod config;
pub mod engine;
mod jobs;

use std::sync::Arc;

use cm_bus::Bus;
use cm_schemas::commands::queue;
use cm_schemas::subjects::{prefix, service};
use tokio_util::sync::CancellationToken;

pub use config::{Config, EngineArgs, EngineConfig};
use engine::{Engine, dispatch, lease, outbox};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Migrates, then runs jobs and serves commands until `shutdown` is cancelled. Dropping the
/// future instead (a crash) stops everything without handing jobs back: their leases expire.
pub async fn run(cfg: Config, bus: Bus, shutdown: CancellationToken) -> anyhow::Result<()> {
    migrate(&cfg.database_url).await?;
    let pool = cm_pg::pool(&cfg.database_url, cfg.pool_size)?;
    let engine = Arc::new(Engine::new(pool, bus.clone(), cfg.engine));

    let svc = bus
        .start_service(
            service::QUEUE_WORKER,
            "Codex Manager queue worker: durable jobs and extensions",
        )
        .await
        .map_err(|e| anyhow::anyhow!("service start: {e}"))?;
    let group = cm_bus::Group::new(&svc, prefix::QUEUE, &bus);
    let mut endpoints = tokio::task::JoinSet::new();
    let (g, t, e) = (&group, &mut endpoints, &engine);
    g.endpoint(queue::Stats, t, e, commands::stats).await?;
    g.endpoint(queue::JobEnqueue, t, e, commands::enqueue)
        .await?;
    g.endpoint(queue::JobGet, t, e, commands::get).await?;
    g.endpoint(queue::JobList, t, e, commands::list).await?;
    g.endpoint(queue::JobCancel, t, e, commands::cancel).await?;

    // The engine's loops; in JoinSets so that dropping this future aborts them all.
    let mut loops = tokio::task::JoinSet::new();
    loops.spawn(dispatch::run(engine.clone(), shutdown.clone()));
    loops.spawn(lease::heartbeat(engine.clone(), shutdown.clone()));
    loops.spawn(lease::reaper(engine.clone(), shutdown.clone()));
    let relay_stop = CancellationToken::new();
    let mut relay = tokio::task::JoinSet::new();
    relay.spawn(outbox::relay(engine.clone(), relay_stop.clone()));
    tracing::info!(worker = %engine.worker, "queue worker running");

    shutdown.cancelled().await;
    let _ = svc.stop().await;
    endpoints.abort_all();
    // The claim loop hands its running jobs back to the queue; the relay then publishes the
    // events that wrote, so a graceful stop leaves nothing in the outbox.
    while loops.join_next().await.is_some() {}
    relay_stop.cancel();
    while relay.join_next().await.is_some() {}
    outbox::flush(&engine).await;
    bus.close().await;
    Ok(())
}

/// Runs the embedded migrations under the advisory lock every service shares, so replicas
/// starting together on one database migrate one after the other.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let mut runner = embedded::migrations::runner();
    runner.set_migration_table_name("cm_queue_migrations");
    cm_pg::migrate(database_url, &runner).await
}
