//! The transactional outbox: a transition writes its event into `queue.outbox` in the same
//! transaction as the state change, so an event exists exactly when its transition committed;
//! the relay publishes them to `CM_EVENTS` in id order and deletes them once JetStream acked.
//!
//! The event id is the `Nats-Msg-Id`: a relay that dies between the ack and the delete
//! re-publishes events JetStream drops as duplicates (within its 2-minute window). One relay
//! publishes at a time (a transaction-scoped advisory lock), so replicas do not interleave; a
//! job's events are written in order under its row lock, so they are published in order.

use std::sync::Arc;
use std::time::Duration;

use cm_schemas::job::JobInfo;
use cm_schemas::{BusError, Event, EventBody, Scope};
use deadpool_postgres::GenericClient;
use tokio_util::sync::CancellationToken;

use super::Engine;
use super::row::col;

/// Held by the publishing relay (`cm_qrel` in ASCII).
const RELAY_LOCK: i64 = 0x0063_6d5f_7172_656c;
/// Events published per transaction.
const BATCH: i64 = 200;

/// The `job.*` event of a transition, for `job`'s new state.
pub fn job_event(kind: fn(Box<JobInfo>) -> EventBody, job: &JobInfo) -> Event {
    Event::new(Scope::Job, job.id.to_string(), kind(Box::new(job.clone())))
}

/// Writes `event` to the outbox within the caller's transaction.
pub async fn push(tx: &impl GenericClient, event: &Event) -> Result<(), BusError> {
    let body = serde_json::to_value(event).map_err(|e| BusError::internal(e.to_string()))?;
    let insert = tx
        .prepare_cached("INSERT INTO queue.outbox (event) VALUES ($1)")
        .await
        .map_err(cm_pg::bus_error)?;
    tx.execute(&insert, &[&body])
        .await
        .map_err(cm_pg::bus_error)?;
    Ok(())
}

/// Publishes the outbox until `shutdown`: at once when woken, else every `poll`; after a
/// failure (NATS or Postgres down, `CM_EVENTS` not created yet) every second.
pub async fn relay(engine: Arc<Engine>, shutdown: CancellationToken) {
    loop {
        let pause = match relay_once(&engine).await {
            Ok(n) if n >= BATCH as usize => continue,
            Ok(_) => engine.cfg.poll,
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay: will retry");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            () = engine.relay_wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// At shutdown: publishes what is left, for a few seconds at most (what remains is published
/// by the next relay to run).
pub async fn flush(engine: &Engine) {
    let flushed = tokio::time::timeout(Duration::from_secs(3), async {
        while let Ok(n) = relay_once(engine).await {
            if n == 0 {
                break;
            }
        }
    });
    if flushed.await.is_err() {
        tracing::warn!("outbox not empty at shutdown; the next relay publishes the rest");
    }
}

/// One batch: publish in id order, delete what was acknowledged. Returns how many went out.
async fn relay_once(engine: &Engine) -> Result<usize, BusError> {
    let mut client = engine.pool.get().await.map_err(cm_pg::bus_error)?;
    let tx = client.transaction().await.map_err(cm_pg::bus_error)?;
    let locked = tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&RELAY_LOCK])
        .await
        .map_err(cm_pg::bus_error)?;
    if !col::<bool>(&locked, 0)? {
        return Ok(0); // another replica's relay is publishing
    }
    let rows = tx
        .query(
            "SELECT id, event FROM queue.outbox ORDER BY id LIMIT $1",
            &[&BATCH],
        )
        .await
        .map_err(cm_pg::bus_error)?;
    let mut done: Vec<i64> = Vec::with_capacity(rows.len());
    let mut failure = None;
    for row in &rows {
        let id: i64 = col(row, 0)?;
        match serde_json::from_value::<Event>(col(row, 1)?) {
            Ok(event) => {
                if let Err(e) = engine.bus.publish_event(&event).await {
                    failure = Some(BusError::unavailable("nats", e.to_string()));
                    break;
                }
            }
            // Only this service writes the outbox; an event it cannot read back would block
            // every later one, so it is logged and dropped.
            Err(e) => {
                tracing::error!(outbox.id = id, error = %e, "undecodable outbox event dropped")
            }
        }
        done.push(id);
    }
    tx.execute("DELETE FROM queue.outbox WHERE id = ANY($1)", &[&done])
        .await
        .map_err(cm_pg::bus_error)?;
    tx.commit().await.map_err(cm_pg::bus_error)?;
    match failure {
        Some(e) => Err(e),
        None => Ok(done.len()),
    }
}
