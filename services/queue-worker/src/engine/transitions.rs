//! The state changes of claimed jobs. Each is one transaction that changes the row and writes
//! its event to the outbox. A worker's writes to a job it claimed are fenced by
//! `worker = <it> AND attempts = <its attempt> AND state = 'running'`: once the reaper took the
//! job away (the lease ran out) a late write changes nothing, so a job completes at most once.

use cm_schemas::job::{JobErrorClass, JobInfo, JobState};
use cm_schemas::{BusError, EventBody};
use serde_json::Value;
use uuid::Uuid;

use super::Engine;
use super::outbox::{job_event, push};
use super::row::{COLUMNS, info, infos};

/// Takes up to `n` due queued jobs, interactive first, then by due time and age. `SKIP LOCKED`
/// lets replicas claim side by side without ever taking the same job.
pub async fn claim(engine: &Engine, n: usize) -> Result<Vec<JobInfo>, BusError> {
    let mut client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let tx = client.transaction().await.map_err(cm_pg::bus_error)?;
    let rows = tx
        .query(
            &format!(
                "UPDATE queue.jobs
                 SET state = 'running', attempts = attempts + 1, worker = $2,
                     lease_until = now() + $3::bigint * interval '1 millisecond',
                     started_at = now(), updated_at = now()
                 WHERE id IN (
                     SELECT id FROM queue.jobs
                     WHERE state = 'queued' AND run_after <= now()
                     ORDER BY (priority = 'interactive') DESC, run_after, created_at
                     FOR UPDATE SKIP LOCKED
                     LIMIT $1)
                 RETURNING {COLUMNS}"
            ),
            &[&(n as i64), &engine.worker, &lease_ms(engine)],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    let mut jobs = infos(&rows)?;
    for job in &jobs {
        push(&tx, &job_event(|job| EventBody::JobStarted { job }, job)).await?;
    }
    tx.commit().await.map_err(cm_pg::bus_error)?;
    // RETURNING does not keep the sub-select's order; start them in it.
    jobs.sort_by_key(|j| {
        (
            j.priority != cm_schemas::job::JobPriority::Interactive,
            j.run_after,
        )
    });
    Ok(jobs)
}

/// How an attempt ended, as the row records it.
pub enum Outcome {
    Completed(Value),
    /// Failed with `class`; retried after `retry_in_ms` when that is set.
    Failed {
        class: JobErrorClass,
        message: String,
        retry_in_ms: Option<i64>,
    },
    Canceled,
}

/// Records the end of `job`'s current attempt, unless the job is no longer this worker's. A
/// cancel that arrived while it ran wins over a retry or a failure (a job asked to stop is
/// never run again), not over a completion that already happened.
pub async fn finish(
    engine: &Engine,
    job: &JobInfo,
    outcome: Outcome,
) -> Result<Option<JobInfo>, BusError> {
    let (state, result, class, message, retry_in) = match outcome {
        Outcome::Completed(v) => (JobState::Completed, Some(v), None, None, None),
        Outcome::Failed {
            class,
            message,
            retry_in_ms: Some(ms),
        } => (JobState::Queued, None, Some(class), Some(message), Some(ms)),
        Outcome::Failed { class, message, .. } => {
            (JobState::Failed, None, Some(class), Some(message), None)
        }
        Outcome::Canceled => (JobState::Canceled, None, None, None, None),
    };
    let mut client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let tx = client.transaction().await.map_err(cm_pg::bus_error)?;
    let row = tx
        .query_opt(
            &format!(
                "WITH next AS (
                     SELECT CASE WHEN cancel_requested AND $4::text IN ('queued', 'failed')
                                 THEN 'canceled' ELSE $4::text END AS state
                     FROM queue.jobs WHERE id = $1)
                 UPDATE queue.jobs
                 SET state = next.state, result = $5,
                     error_class = COALESCE($6, error_class), error_message = COALESCE($7, error_message),
                     run_after = CASE WHEN $8::bigint IS NULL THEN run_after
                                      ELSE now() + $8 * interval '1 millisecond' END,
                     finished_at = CASE WHEN next.state = 'queued' THEN NULL ELSE now() END,
                     worker = CASE WHEN next.state = 'queued' THEN NULL ELSE worker END,
                     lease_until = NULL, updated_at = now()
                 FROM next
                 WHERE id = $1 AND worker = $2 AND attempts = $3 AND queue.jobs.state = 'running'
                 RETURNING {}",
                qualified(COLUMNS)
            ),
            &[
                &job.id,
                &engine.worker,
                &(job.attempts as i32),
                &state.as_str(),
                &result,
                &class.map(JobErrorClass::as_str),
                &message,
                &retry_in,
            ],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    let Some(row) = row else {
        tracing::warn!(job.id = %job.id, attempt = job.attempts,
            "job is no longer this worker's (lease lost); its outcome is dropped");
        return Ok(None);
    };
    let done = info(&row)?;
    push(&tx, &transition_event(&done)).await?;
    tx.commit().await.map_err(cm_pg::bus_error)?;
    engine.relay_wake.notify_one();
    Ok(Some(done))
}

/// The event of the transition that left `job` in its current state.
pub fn transition_event(job: &JobInfo) -> cm_schemas::Event {
    let kind: fn(Box<JobInfo>) -> EventBody = match job.state {
        JobState::Queued => |job| EventBody::JobRetrying { job },
        JobState::Running => |job| EventBody::JobStarted { job },
        JobState::Completed => |job| EventBody::JobCompleted { job },
        JobState::Failed => |job| EventBody::JobFailed { job },
        JobState::Canceled => |job| EventBody::JobCanceled { job },
    };
    job_event(kind, job)
}

/// At a graceful shutdown: this worker's running jobs go back to the queue at once, due now,
/// and the interrupted attempt is not counted against them (it was not theirs to fail).
pub async fn release_own(engine: &Engine, ids: &[Uuid]) -> Result<usize, BusError> {
    let mut client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let tx = client.transaction().await.map_err(cm_pg::bus_error)?;
    let rows = tx
        .query(
            &format!(
                "UPDATE queue.jobs
                 SET state = CASE WHEN cancel_requested THEN 'canceled' ELSE 'queued' END,
                     finished_at = CASE WHEN cancel_requested THEN now() END,
                     attempts = CASE WHEN cancel_requested THEN attempts ELSE attempts - 1 END,
                     worker = NULL, lease_until = NULL, run_after = now(), updated_at = now(),
                     error_class = 'lost', error_message = 'worker shut down'
                 WHERE id = ANY($1) AND worker = $2 AND state = 'running'
                 RETURNING {COLUMNS}"
            ),
            &[&ids, &engine.worker],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    let jobs = infos(&rows)?;
    for job in &jobs {
        push(&tx, &transition_event(job)).await?;
    }
    tx.commit().await.map_err(cm_pg::bus_error)?;
    Ok(jobs.len())
}

/// The column list with each column qualified by the table (`queue.jobs.`), for statements
/// that join another relation with a column of the same name.
pub fn qualified(columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("queue.jobs.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn lease_ms(engine: &Engine) -> i64 {
    engine.cfg.lease.as_millis().min(i64::MAX as u128) as i64
}
