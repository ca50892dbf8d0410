//! Enqueue, read, list and cancel: the commands' side of `queue.jobs`. Every write commits its
//! `job.*` event through the outbox in the same transaction.

use cm_schemas::job::{EnqueueJob, Job, JobInfo, JobPage, JobPriority, JobState, ListJobs};
use cm_schemas::{BusError, ErrorCode, EventBody};
use serde_json::json;
use uuid::Uuid;

use super::Engine;
use super::outbox::{job_event, push};
use super::row::{COLUMNS, col, info, infos};

/// Serializes enqueues (`cm_qenq` in ASCII): the capacity count and the dedupe lookup then see
/// every committed enqueue before them, so neither a limit nor single flight can be overrun by
/// concurrent enqueues. Transitions of existing jobs never take it.
const ENQUEUE_LOCK: i64 = 0x0063_6d5f_7165_6e71;

/// A checked enqueue request: the spec decoded, the defaults applied.
pub struct NewJob {
    pub job: Job,
    pub spec: serde_json::Value,
    pub req: EnqueueJob,
    pub max_attempts: i32,
    pub timeout_ms: i64,
}

/// Inserts the job, or answers the queued or running job with the same dedupe key
/// (`true`), or refuses with `queue_full` when a capacity is reached.
pub async fn enqueue(engine: &Engine, new: NewJob) -> Result<(JobInfo, bool), BusError> {
    let mut client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let tx = client.transaction().await.map_err(cm_pg::bus_error)?;
    // Statements prepared once per connection: an enqueue holds the lock for its round trips,
    // so each one saved is enqueue throughput.
    let lock = prepared(&tx, "SELECT pg_advisory_xact_lock($1)").await?;
    tx.execute(&lock, &[&ENQUEUE_LOCK])
        .await
        .map_err(cm_pg::bus_error)?;
    let req = &new.req;
    if let Some(key) = &req.dedupe_key {
        let sql = format!(
            "SELECT {COLUMNS} FROM queue.jobs
             WHERE dedupe_key = $1 AND state IN ('queued', 'running')"
        );
        let existing = tx
            .query_opt(&prepared(&tx, &sql).await?, &[key])
            .await
            .map_err(cm_pg::bus_error)?;
        if let Some(row) = existing {
            let job = info(&row)?;
            tx.commit().await.map_err(cm_pg::bus_error)?;
            return Ok((job, true));
        }
    }
    check_capacity(engine, &tx, req.project_id.as_deref()).await?;
    let priority = match req.priority {
        JobPriority::Interactive => "interactive",
        JobPriority::Background => "background",
    };
    let insert = format!(
        "INSERT INTO queue.jobs (id, kind, version, payload, priority, project_id,
             session_id, dedupe_key, max_attempts, run_after, timeout_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10, now()), $11)
         RETURNING {COLUMNS}"
    );
    let row = tx
        .query_one(
            &prepared(&tx, &insert).await?,
            &[
                &Uuid::now_v7(),
                &new.job.kind(),
                &(new.job.version() as i32),
                &new.spec,
                &priority,
                &req.project_id,
                &req.session_id,
                &req.dedupe_key,
                &new.max_attempts,
                &req.run_after,
                &new.timeout_ms,
            ],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    let job = info(&row)?;
    push(&tx, &job_event(|job| EventBody::JobQueued { job }, &job)).await?;
    tx.commit().await.map_err(cm_pg::bus_error)?;
    engine.wake.notify_one();
    engine.relay_wake.notify_one();
    Ok((job, false))
}

async fn check_capacity(
    engine: &Engine,
    tx: &deadpool_postgres::Transaction<'_>,
    project: Option<&str>,
) -> Result<(), BusError> {
    let count = prepared(
        tx,
        "SELECT count(*), count(*) FILTER (WHERE project_id = $1)
         FROM queue.jobs WHERE state IN ('queued', 'running')",
    )
    .await?;
    let row = tx
        .query_one(&count, &[&project])
        .await
        .map_err(cm_pg::bus_error)?;
    let (all, in_project) = (col::<i64>(&row, 0)? as u64, col::<i64>(&row, 1)? as u64);
    let cfg = &engine.cfg;
    let full = if all >= cfg.max_active {
        Some(("global", cfg.max_active))
    } else if project.is_some() && in_project >= cfg.max_active_per_project {
        Some(("project", cfg.max_active_per_project))
    } else {
        None
    };
    match full {
        None => Ok(()),
        Some((scope, limit)) => Err(BusError::new(
            ErrorCode::RateLimited,
            format!("queue full: {limit} jobs queued or running ({scope})"),
        )
        .with_details(json!({
            "reason": "queue_full",
            "scope": scope,
            "limit": limit,
            "projectId": project,
            "retryAfterSecs": cfg.queue_full_retry_after.as_secs().max(1),
        }))),
    }
}

async fn prepared(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &str,
) -> Result<tokio_postgres::Statement, BusError> {
    tx.prepare_cached(sql).await.map_err(cm_pg::bus_error)
}

pub async fn get(engine: &Engine, id: Uuid) -> Result<JobInfo, BusError> {
    let client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM queue.jobs WHERE id = $1"),
            &[&id],
        )
        .await
        .map_err(cm_pg::bus_error)?
        .ok_or_else(|| BusError::not_found("job", &id.to_string()))?;
    info(&row)
}

/// Newest first. Ids are UUIDv7 (time-ordered), so the cursor is the last id of the page and a
/// page stays stable while jobs are added.
pub async fn list(engine: &Engine, req: &ListJobs) -> Result<JobPage, BusError> {
    let cursor = match req.cursor.as_deref() {
        Some(c) => {
            Some(Uuid::parse_str(c).map_err(|_| BusError::validation("cursor", "invalid cursor"))?)
        }
        None => None,
    };
    let limit = i64::from(req.limit.unwrap_or(50).clamp(1, 200));
    let client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM queue.jobs
                 WHERE ($1::text IS NULL OR state = $1)
                   AND ($2::text IS NULL OR kind = $2)
                   AND ($3::text IS NULL OR project_id = $3)
                   AND ($4::uuid IS NULL OR id < $4)
                 ORDER BY id DESC LIMIT $5"
            ),
            &[
                &req.state.map(JobState::as_str),
                &req.kind,
                &req.project_id,
                &cursor,
                &(limit + 1),
            ],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    let mut jobs = infos(&rows)?;
    let next_cursor = if jobs.len() as i64 > limit {
        jobs.truncate(limit as usize);
        jobs.last().map(|j| j.id.to_string())
    } else {
        None
    };
    Ok(JobPage { jobs, next_cursor })
}

/// A queued job is canceled at once; a running one is marked, and its worker's handler is
/// interrupted (here, or through the heartbeat of the replica running it) and ends it
/// `canceled`. A finished job is answered as it is.
pub async fn cancel(engine: &Engine, id: Uuid) -> Result<JobInfo, BusError> {
    let mut client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let tx = client.transaction().await.map_err(cm_pg::bus_error)?;
    let row = tx
        .query_opt(
            "SELECT state FROM queue.jobs WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await
        .map_err(cm_pg::bus_error)?
        .ok_or_else(|| BusError::not_found("job", &id.to_string()))?;
    let state: String = col(&row, 0)?;
    let sql = match state.as_str() {
        "queued" => format!(
            "UPDATE queue.jobs SET state = 'canceled', finished_at = now(), updated_at = now()
             WHERE id = $1 RETURNING {COLUMNS}"
        ),
        "running" => format!(
            "UPDATE queue.jobs SET cancel_requested = true, updated_at = now()
             WHERE id = $1 RETURNING {COLUMNS}"
        ),
        _ => format!("SELECT {COLUMNS} FROM queue.jobs WHERE id = $1"),
    };
    let row = tx.query_one(&sql, &[&id]).await.map_err(cm_pg::bus_error)?;
    let job = info(&row)?;
    if job.state == JobState::Canceled && state == "queued" {
        push(&tx, &job_event(|job| EventBody::JobCanceled { job }, &job)).await?;
    }
    tx.commit().await.map_err(cm_pg::bus_error)?;
    if state == "running" {
        engine.interrupt(id);
    }
    engine.relay_wake.notify_one();
    Ok(job)
}
