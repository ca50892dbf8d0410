//! The `cm.v1.queue.*` handlers: check the request, then hand it to the engine's store.

use std::sync::Arc;

use cm_schemas::BusError;
use cm_schemas::job::{
    EnqueueJob, Enqueued, Job, JobInfo, JobPage, JobRef, ListJobs, MAX_ATTEMPTS,
    MAX_KEY_LEN as MAX_KEY, MAX_TIMEOUT_MS,
};
use cm_schemas::queue::{Empty, QueueStats};

use crate::engine::Engine;
use crate::engine::row::col;
use crate::engine::store::{self, NewJob};

pub async fn enqueue(engine: Arc<Engine>, req: EnqueueJob) -> Result<Enqueued, BusError> {
    let new = check(&engine, req)?;
    let (job, deduplicated) = store::enqueue(&engine, new).await?;
    if !deduplicated {
        tracing::info!(job.id = %job.id, job.kind = %job.kind, "job enqueued");
    }
    Ok(Enqueued { job, deduplicated })
}

pub async fn get(engine: Arc<Engine>, req: JobRef) -> Result<JobInfo, BusError> {
    store::get(&engine, req.job_id).await
}

pub async fn list(engine: Arc<Engine>, req: ListJobs) -> Result<JobPage, BusError> {
    store::list(&engine, &req).await
}

pub async fn cancel(engine: Arc<Engine>, req: JobRef) -> Result<JobInfo, BusError> {
    store::cancel(&engine, req.job_id).await
}

/// Decodes the spec (an unknown kind or a bad field is `validation` naming it) and applies the
/// worker's defaults.
fn check(engine: &Engine, req: EnqueueJob) -> Result<NewJob, BusError> {
    let kind = req.spec.get("kind").and_then(|k| k.as_str());
    let Some(kind) = kind else {
        return Err(BusError::validation("spec.kind", "spec.kind is required"));
    };
    let job: Job = serde_json::from_value(req.spec.clone()).map_err(|e| {
        let msg = e.to_string();
        let field = if msg.starts_with("unknown variant") {
            "spec.kind"
        } else {
            "spec"
        };
        BusError::validation(field, format!("invalid {kind} job: {msg}"))
    })?;
    if job.version() == 0 || job.version() > job.supported_version() {
        return Err(BusError::validation(
            "spec.version",
            format!(
                "{kind} jobs have versions 1..={}, not {}",
                job.supported_version(),
                job.version()
            ),
        ));
    }
    job.check().map_err(|(field, msg)| {
        BusError::validation(field, format!("invalid {kind} job: {msg}"))
    })?;
    let max_attempts = req.max_attempts.unwrap_or(engine.cfg.default_max_attempts);
    if !(1..=MAX_ATTEMPTS).contains(&max_attempts) {
        return Err(BusError::validation(
            "maxAttempts",
            format!("maxAttempts must be 1..={MAX_ATTEMPTS}"),
        ));
    }
    let default_timeout = engine.cfg.default_timeout.as_millis() as u64;
    let timeout_ms = req.timeout_ms.unwrap_or(default_timeout);
    if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
        return Err(BusError::validation(
            "timeoutMs",
            format!("timeoutMs must be 1..={MAX_TIMEOUT_MS}"),
        ));
    }
    for (field, value) in [
        ("dedupeKey", &req.dedupe_key),
        ("projectId", &req.project_id),
        ("sessionId", &req.session_id),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| v.is_empty() || v.len() > MAX_KEY)
        {
            return Err(BusError::validation(
                field,
                format!("{field} must be 1..={MAX_KEY} bytes"),
            ));
        }
    }
    // Stored as this build writes it (defaults filled in), so every worker reads the same.
    let spec = serde_json::to_value(&job).map_err(|e| BusError::internal(e.to_string()))?;
    Ok(NewJob {
        job,
        spec,
        req,
        max_attempts: max_attempts as i32,
        timeout_ms: timeout_ms as i64,
    })
}

/// Job counts by state and the outbox's backlog.
pub async fn stats(engine: Arc<Engine>, _: Empty) -> Result<QueueStats, BusError> {
    let client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
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
    let outbox = client
        .query_one("SELECT count(*) FROM queue.outbox", &[])
        .await
        .map_err(cm_pg::bus_error)?;
    stats.outbox_pending = col::<i64>(&outbox, 0)? as u64;
    Ok(stats)
}
