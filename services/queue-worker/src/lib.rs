//! The queue worker: owns durable jobs (records in Postgres, delivery through the `CM_JOBS`
//! JetStream work queue) and, later, the extension runtime. This version migrates its schema,
//! creates the stream and answers `cm.v1.queue.stats`; job kinds come in later versions.

use std::sync::Arc;

use cm_bus::{Bus, serve_endpoint};
use cm_schemas::commands::verb;
use cm_schemas::queue::{Empty, QueueStats};
use cm_schemas::subjects::{prefix, service};
use cm_schemas::{BusError, subjects};
use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

mod embedded {
    refinery::embed_migrations!("migrations");
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
}

struct Ctx {
    bus: Bus,
    pool: Pool,
}

pub async fn run(cfg: Config, bus: Bus, shutdown: CancellationToken) -> anyhow::Result<()> {
    migrate(&cfg.database_url).await?;
    let pool = cm_pg::pool(&cfg.database_url, 8)?;
    cm_bus::ensure_jobs_stream(bus.jetstream()).await?;

    let svc = bus
        .start_service(
            service::QUEUE_WORKER,
            "Codex Manager queue worker: durable jobs and extensions",
        )
        .await
        .map_err(|e| anyhow::anyhow!("service start: {e}"))?;
    let stats = svc
        .group(prefix::QUEUE)
        .endpoint(verb::QUEUE_STATS)
        .await
        .map_err(|e| anyhow::anyhow!("endpoint: {e}"))?;
    let ctx = Arc::new(Ctx {
        bus: bus.clone(),
        pool,
    });
    let stats_bus = bus.clone();
    let task = tokio::spawn(async move {
        serve_endpoint(stats, &stats_bus, move |_: Empty| stats_of(ctx.clone())).await
    });
    shutdown.cancelled().await;
    task.abort();
    let _ = svc.stop().await;
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

async fn stats_of(ctx: Arc<Ctx>) -> Result<QueueStats, BusError> {
    let client = ctx.pool.get().await.map_err(cm_pg::bus_error)?;
    let rows = client
        .query("SELECT state, count(*) FROM queue.jobs GROUP BY state", &[])
        .await
        .map_err(cm_pg::bus_error)?;
    let mut stats = QueueStats::default();
    for row in rows {
        let n = col::<i64>(&row, 1)? as u64;
        match col::<&str>(&row, 0)? {
            "queued" => stats.queued = n,
            "running" => stats.running = n,
            "completed" => stats.completed = n,
            "failed" => stats.failed = n,
            "canceled" => stats.canceled = n,
            _ => {}
        }
    }
    let mut stream = ctx
        .bus
        .jetstream()
        .get_stream(subjects::JOBS_STREAM)
        .await
        .map_err(|e| BusError::unavailable("nats", e.to_string()))?;
    stats.stream_messages = stream
        .info()
        .await
        .map_err(|e| BusError::unavailable("nats", e.to_string()))?
        .state
        .messages;
    Ok(stats)
}

/// Column `idx` of `row` as `T`: a NULL or an unexpected type is a logged `internal` error,
/// never the panic of `Row::get` (issue #11).
fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    idx: usize,
) -> Result<T, BusError> {
    row.try_get(idx).map_err(|e| {
        tracing::error!(column = idx, error = %e, "stored row could not be read");
        BusError::internal(format!("stored row could not be read: {idx}: {e}"))
    })
}
