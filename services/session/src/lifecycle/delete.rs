//! Hard delete: the thread goes from the runtime, the session's turns, items, requests,
//! transcript entries and event
//! history go from Postgres and from the `CM_EVENTS` stream. The session row stays as a
//! tombstone (id and `deleted_at`, nothing else), so later commands on the id answer `gone`
//! and late events for it are not applied.

use std::sync::Arc;

use cm_schemas::lifecycle::{SessionDeleted, SessionRef};
use cm_schemas::thread::ThreadOp;
use cm_schemas::{BusError, ErrorCode, Event, EventBody, Scope, subjects};

use super::{ensure_idle, missing, publish, thread_op, writable};
use crate::ctx::Ctx;
use crate::db;

pub async fn delete(ctx: Arc<Ctx>, req: SessionRef) -> Result<SessionDeleted, BusError> {
    delete_session(&ctx, &req.session_id).await?;
    Ok(SessionDeleted {
        session_id: req.session_id,
    })
}

/// Deletes one live session (`not_found` / `gone` otherwise; `conflict` while a turn runs).
pub async fn delete_session(ctx: &Ctx, id: &str) -> Result<(), BusError> {
    {
        let client = ctx.pool.get().await.map_err(db::error)?;
        writable(&**client, id).await?;
        ensure_idle(&**client, id).await?;
    }
    match thread_op(ctx, id, ThreadOp::Delete).await {
        Ok(_) => {}
        Err(e) if runtime_keeps_or_lost(&e) => {
            tracing::info!(session.id = %id, reason = %e.message, "thread not deleted by the runtime; deleting the session");
        }
        Err(e) => return Err(e),
    }
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    let tombstoned = tx.execute(TOMBSTONE, &[&id]).await.map_err(db::error)?;
    if tombstoned == 0 {
        return Err(missing(&*tx, id).await);
    }
    for sql in PURGE_ROWS {
        tx.execute(*sql, &[&id]).await.map_err(db::error)?;
    }
    let event = Event::session(
        id,
        EventBody::SessionDeleted {
            session_id: id.to_owned(),
        },
    );
    let seq = publish(ctx, &event).await?;
    tx.commit().await.map_err(db::error)?;
    purge_stream(ctx, id, seq).await;
    tracing::info!(session.id = %id, "session deleted");
    Ok(())
}

/// Runtime refusals that still let the session go: the thread is already gone from disk, or a
/// fork's history references it (the runtime keeps that rollout for the fork's sake).
fn runtime_keeps_or_lost(e: &BusError) -> bool {
    e.code == ErrorCode::RuntimeError
        && (e.message.contains("no rollout found")
            || e.message.contains("forked history still references"))
}

/// Keeps the row as a tombstone with nothing of the session left in it.
pub(super) const TOMBSTONE: &str = "UPDATE session.sessions SET deleted_at = now(), title = NULL,
        cwd = '', model = NULL, project_id = NULL, archived = false, status = 'idle',
        updated_at = now()
    WHERE id = $1 AND deleted_at IS NULL";

/// The session's content; items go with their turns. The `session.deleted` event stays.
pub(super) const PURGE_ROWS: &[&str] = &[
    "DELETE FROM session.requests WHERE session_id = $1",
    "DELETE FROM session.transcript_entries WHERE session_id = $1",
    "DELETE FROM session.turns WHERE session_id = $1",
    "DELETE FROM session.events WHERE scope = 'session' AND scope_id = $1
        AND kind <> 'session.deleted'",
];

/// Removes the session's events before `session.deleted` from `CM_EVENTS`. Best effort: the
/// stream's max age removes them anyway, and the tombstone already hides them.
async fn purge_stream(ctx: &Ctx, id: &str, before_seq: u64) {
    let purge = async {
        let stream = ctx
            .bus
            .jetstream()
            .get_stream(subjects::EVENTS_STREAM)
            .await
            .map_err(|e| e.to_string())?;
        stream
            .purge()
            .filter(subjects::event_filter(Scope::Session, id))
            .sequence(before_seq)
            .await
            .map_err(|e| e.to_string())
    };
    match purge.await {
        Ok(r) => tracing::debug!(session.id = %id, purged = r.purged, "session events purged"),
        Err(e) => tracing::warn!(session.id = %id, error = %e, "could not purge session events"),
    }
}
