//! Applying one event to Postgres, in one transaction keyed by its stream sequence: a
//! redelivered event finds its sequence already recorded and changes nothing.
//!
//! [`apply_body`] hands each event to its family: `session.rs` (lifecycle), `turns.rs`,
//! `items.rs` and `requests.rs`; transcript upserts go to `crate::transcript`.
//!
//! Every statement goes through [`exec`], prepared once per connection: a text delta, the
//! commonest event by far, then costs one round trip per statement instead of two.

mod items;
mod requests;
mod session;
mod turns;

use cm_schemas::{Event, EventBody, Scope};
use deadpool_postgres::Transaction;
use serde_json::Value;
use tokio_postgres::types::ToSql;

/// Whether the event was new.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    New,
    Duplicate,
    /// The session was deleted: its late events are neither applied nor kept.
    Skipped,
    /// The sequence already holds *another* event: the stream was recreated under this
    /// database (a lost NATS store), and its sequences start over. Never a silent skip.
    Conflict {
        stored: uuid::Uuid,
    },
}

pub async fn apply(
    tx: &Transaction<'_>,
    seq: u64,
    event: &Event,
) -> Result<Applied, tokio_postgres::Error> {
    if event.scope == Scope::Session
        && crate::lifecycle::is_tombstoned(tx, &event.scope_id, &event.body).await?
    {
        return Ok(Applied::Skipped);
    }
    let seq = seq as i64;
    let body = serde_json::to_value(event).unwrap_or(Value::Null);
    let inserted = exec(
        tx,
        "INSERT INTO session.events (seq, event_id, scope, scope_id, kind, time, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (seq) DO NOTHING",
        &[
            &seq,
            &event.id,
            &event.scope.as_str(),
            &event.scope_id,
            &event.body.kind(),
            &event.time,
            &body,
        ],
    )
    .await?;
    if inserted == 0 {
        let stored: uuid::Uuid = tx
            .query_one(
                "SELECT event_id FROM session.events WHERE seq = $1",
                &[&seq],
            )
            .await?
            .try_get(0)?;
        if stored != event.id {
            return Ok(Applied::Conflict { stored });
        }
        return Ok(Applied::Duplicate);
    }
    if event.scope != Scope::Session {
        return Ok(Applied::New);
    }
    let sid = event.scope_id.as_str();
    // Events can overtake the create command's own insert; the row is completed by it later.
    exec(
        tx,
        "INSERT INTO session.sessions (id, last_seq) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE
         SET last_seq = GREATEST(session.sessions.last_seq, EXCLUDED.last_seq), updated_at = now()",
        &[&sid, &seq],
    )
    .await?;
    apply_body(tx, sid, seq, &event.body).await?;
    Ok(Applied::New)
}

/// Dispatches the event to its family's module; events the service does not store end here.
async fn apply_body(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    body: &EventBody,
) -> Result<(), tokio_postgres::Error> {
    use EventBody as B;
    match body {
        B::SessionCreated { session: s } => session::created(tx, sid, seq, s).await,
        B::SessionUpdated { session: s } => session::updated(tx, sid, seq, s).await,
        B::SessionDeleted { .. } => session::deleted(tx, sid).await,
        B::SessionRolledBack { turn_ids } => session::rolled_back(tx, sid, turn_ids).await,
        B::TurnStarted { turn_id } => turns::started(tx, sid, seq, turn_id).await,
        B::TurnCompleted {
            turn_id: t,
            status,
            reason,
            error,
        } => {
            let (reason, error) = (reason.as_deref(), error.as_ref());
            turns::completed(tx, sid, seq, t, *status, reason, error).await
        }
        B::UsageUpdated {
            turn_id: Some(t),
            usage,
        } => turns::usage_updated(tx, sid, t, usage).await,
        B::PlanUpdated {
            turn_id: t,
            explanation: e,
            plan,
        } => turns::plan_updated(tx, sid, seq, t, e.as_deref(), plan).await,
        B::DiffUpdated { turn_id: t, diff } => turns::diff_updated(tx, sid, seq, t, diff).await,
        B::ItemStarted {
            turn_id: t,
            item_id: i,
            item_type: ty,
            item,
        } => items::started(tx, sid, seq, t, i, ty.as_str(), item).await,
        B::ItemDelta {
            turn_id: t,
            item_id: i,
            stream,
            delta,
        } => items::delta(tx, sid, seq, t, i, *stream, delta).await,
        B::ItemCompleted {
            turn_id: t,
            item_id: i,
            item_type: ty,
            item,
        } => items::completed(tx, sid, seq, t, i, ty.as_str(), item).await,
        B::RequestOpened { request } => requests::opened(tx, sid, request).await,
        B::RequestResolved {
            request_id: id,
            outcome,
            response,
            decided_by,
            reason,
        } => {
            let (response, by, reason) =
                (response.as_ref(), decided_by.as_deref(), reason.as_deref());
            requests::resolved(tx, id, *outcome, response, by, reason).await
        }
        B::TranscriptUpserted {
            message_id: m,
            role,
            text,
            turn_id: t,
            data,
        } => {
            let (t, data) = (t.as_deref(), data.as_ref());
            crate::transcript::write(&**tx, sid, seq, m, role, text, t, data).await
        }
        B::UsageUpdated { turn_id: None, .. }
        | B::ProjectUpdated { .. }
        | B::ProjectDeleted { .. }
        | B::EventDeadLettered { .. }
        | B::JobQueued { .. }
        | B::JobStarted { .. }
        | B::JobRetrying { .. }
        | B::JobCompleted { .. }
        | B::JobFailed { .. }
        | B::JobCanceled { .. }
        | B::RuntimeNotification { .. }
        | B::ItemUpdated { .. }
        | B::SessionStatus { .. }
        | B::RateLimitsUpdated { .. }
        | B::RuntimeError { .. }
        | B::RuntimeWarning { .. } => Ok(()),
    }
}

/// Runs `sql` as a statement prepared once per connection (deadpool's statement cache).
async fn exec(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.execute(&statement, params).await
}

/// The turn's row, created by its first event if the command that started it has not; the
/// first applied event (`turn.started`) gives the turn its place in the stream (`seq`).
async fn ensure_turn(
    tx: &Transaction<'_>,
    sid: &str,
    turn_id: &str,
    seq: i64,
) -> Result<(), tokio_postgres::Error> {
    exec(
        tx,
        "INSERT INTO session.turns (session_id, id, status, seq) VALUES ($1, $2, 'inProgress', $3)
         ON CONFLICT (session_id, id) DO UPDATE SET seq = EXCLUDED.seq
         WHERE session.turns.seq IS NULL",
        &[&sid, &turn_id, &seq],
    )
    .await?;
    Ok(())
}
