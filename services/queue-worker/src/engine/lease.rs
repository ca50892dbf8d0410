//! Leases. The heartbeat renews every lease this worker holds in one statement and reads back
//! which of its jobs were asked to cancel (by any replica); a job missing from the answer was
//! taken away (the lease had run out) and its handler is stopped. The reaper requeues jobs whose
//! lease ran out, which is how a killed worker's jobs come back: queued again after a back-off
//! when attempts remain, else failed, error class `lost`.

use std::collections::HashSet;
use std::sync::Arc;

use cm_schemas::BusError;
use cm_schemas::job::JobErrorClass;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::Engine;
use super::outbox::push;
use super::retry;
use super::row::{COLUMNS, col, infos};
use super::transitions::{lease_ms, transition_event};

pub async fn heartbeat(engine: Arc<Engine>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(engine.cfg.heartbeat) => {}
            () = shutdown.cancelled() => return,
        }
        let local = engine.running_ids();
        if local.is_empty() {
            continue;
        }
        match renew(&engine, &local).await {
            Ok(held) => {
                for id in local {
                    match held.iter().find(|(held_id, _)| *held_id == id) {
                        Some((_, true)) => {
                            engine.interrupt(id);
                        }
                        Some((_, false)) => {}
                        // A job enters the map only after its claim committed, so one
                        // missing from the answer is no longer this worker's.
                        None => {
                            tracing::warn!(job.id = %id, "lease lost; stopping the handler");
                            engine.interrupt(id);
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "lease renewal failed"),
        }
    }
}

/// Renews the leases of the jobs this worker is running (only those: a job whose outcome
/// could not be recorded lapses to the reaper instead of staying `running` for ever); answers
/// `(job id, cancel requested)` for each one it still holds.
async fn renew(engine: &Engine, ids: &[Uuid]) -> Result<Vec<(Uuid, bool)>, BusError> {
    let client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let rows = client
        .query(
            "UPDATE queue.jobs SET lease_until = now() + $2::bigint * interval '1 millisecond'
             WHERE worker = $1 AND state = 'running' AND id = ANY($3)
             RETURNING id, cancel_requested",
            &[&engine.worker, &lease_ms(engine), &ids],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
}

pub async fn reaper(engine: Arc<Engine>, shutdown: CancellationToken) {
    loop {
        match reap(&engine).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(jobs = n, "requeued jobs whose worker was lost");
                engine.wake.notify_one();
                engine.relay_wake.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "reaping expired leases failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(engine.cfg.reap_every) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// Requeues (or fails, or cancels when asked to) the running jobs whose lease expired.
pub async fn reap(engine: &Engine) -> Result<usize, BusError> {
    let mut client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let tx = client.transaction().await.map_err(cm_pg::bus_error)?;
    let expired = tx
        .query(
            "SELECT id, attempts FROM queue.jobs
             WHERE state = 'running' AND lease_until < now()
             ORDER BY lease_until FOR UPDATE SKIP LOCKED LIMIT 100",
            &[],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    if expired.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(expired.len());
    let mut delays = Vec::with_capacity(expired.len());
    for row in &expired {
        ids.push(col::<Uuid>(row, 0)?);
        let attempt = col::<i32>(row, 1)?.max(1) as u32;
        delays.push(retry::delay(&engine.cfg, attempt).as_millis() as i64);
    }
    let rows = tx
        .query(
            &format!(
                "UPDATE queue.jobs j
                 SET state = CASE WHEN j.cancel_requested THEN 'canceled'
                                  WHEN j.attempts < j.max_attempts THEN 'queued'
                                  ELSE 'failed' END,
                     finished_at = CASE WHEN j.cancel_requested OR j.attempts >= j.max_attempts
                                        THEN now() END,
                     run_after = now() + d.ms * interval '1 millisecond',
                     worker = NULL, lease_until = NULL, updated_at = now(),
                     error_class = $3, error_message = 'worker lost: its lease expired'
                 FROM unnest($1::uuid[], $2::bigint[]) AS d(id, ms)
                 WHERE j.id = d.id
                 RETURNING {}",
                prefixed(COLUMNS, "j.")
            ),
            &[&ids, &delays, &JobErrorClass::Lost.as_str()],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    let jobs = infos(&rows)?;
    for job in &jobs {
        push(&tx, &transition_event(job)).await?;
    }
    tx.commit().await.map_err(cm_pg::bus_error)?;
    // A job this worker still believes it runs may be among them (it was cut off from
    // Postgres): stop its handler; its own late write is fenced out anyway.
    let mine: HashSet<Uuid> = engine.running_ids().into_iter().collect();
    for job in jobs.iter().filter(|j| mine.contains(&j.id)) {
        engine.interrupt(job.id);
    }
    Ok(jobs.len())
}

/// `"a, b"` → `"j.a, j.b"`: the column list qualified for a statement that joins.
fn prefixed(columns: &str, prefix: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{prefix}{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
