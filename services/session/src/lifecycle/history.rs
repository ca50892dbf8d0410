//! Operations on a thread's history: fork (a new session from a copy of the thread) and
//! rollback (drop the last N turns).

use std::sync::Arc;

use cm_schemas::lifecycle::{RollbackSession, RolledBack, SessionRef};
use cm_schemas::session::SessionInfo;
use cm_schemas::thread::ThreadOp;
use cm_schemas::{BusError, ErrorCode, Event, EventBody};
use serde_json::{Value, json};

use super::{MAX_TITLE, ensure_idle, live, missing, not_archived, publish, thread_op, usable};
use crate::ctx::Ctx;
use crate::row::RowExt;
use crate::{db, queries};

const MAX_ROLLBACK: i64 = 1000;

/// Forks the thread into a new session in the same project, titled "<title> (fork)". The new
/// session's transcript starts as a copy of the source's finished turns: the runtime keeps the
/// turn ids in the fork, so a later rollback of the fork finds them. Forking reads the source
/// only, so a system-owned session may be forked by anyone; the fork is the caller's.
pub async fn fork(ctx: Arc<Ctx>, req: SessionRef) -> Result<SessionInfo, BusError> {
    let source = {
        let client = ctx.pool.get().await.map_err(db::error)?;
        not_archived(live(&**client, &req.session_id).await?)?
    };
    let result = super::no_rollout_is_conflict(thread_op(&ctx, &source.id, ThreadOp::Fork).await)?;
    let new_id = result
        .pointer("/thread/id")
        .and_then(Value::as_str)
        .ok_or_else(|| BusError::new(ErrorCode::RuntimeError, "thread/fork returned no thread"))?
        .to_owned();
    let cwd = result
        .get("cwd")
        .or_else(|| result.pointer("/thread/cwd"))
        .and_then(Value::as_str)
        .unwrap_or(&source.cwd)
        .to_owned();
    let model = result
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or(source.model.clone());
    let title = fork_title(source.title.as_deref());
    // Cosmetic: the session's title is what clients show; the runtime keeps the old name else.
    let name = title.clone();
    if let Err(e) = thread_op(&ctx, &new_id, ThreadOp::Rename { name }).await {
        tracing::warn!(session.id = %new_id, error = %e, "could not name the forked thread");
    }

    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    // The fork's own events may have created a bare row already; this completes it. A project
    // deleted meanwhile leaves the fork unassigned rather than failing it.
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO session.sessions (id, title, cwd, model, project_id)
                 VALUES ($1, $2, $3, $4, (SELECT id FROM session.projects WHERE id = $5))
                 ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, cwd = EXCLUDED.cwd,
                    model = EXCLUDED.model, project_id = EXCLUDED.project_id
                 RETURNING {}",
                queries::SESSION_COLUMNS
            ),
            &[&new_id, &title, &cwd, &model, &source.project_id],
        )
        .await
        .map_err(db::error)?;
    let session = queries::session_from(&row)?;
    tx.execute(COPY_TURNS, &[&new_id, &source.id])
        .await
        .map_err(db::error)?;
    tx.execute(COPY_ITEMS, &[&new_id, &source.id])
        .await
        .map_err(db::error)?;
    tx.execute(COPY_ENTRIES, &[&new_id, &source.id])
        .await
        .map_err(db::error)?;
    let event = Event::session(
        &new_id,
        EventBody::SessionCreated {
            session: session.clone(),
        },
    );
    publish(&ctx, &event).await?;
    tx.commit().await.map_err(db::error)?;
    tracing::info!(session.id = %new_id, forked_from = %source.id, "session forked");
    Ok(session)
}

fn fork_title(title: Option<&str>) -> String {
    const SUFFIX: &str = " (fork)";
    let base: String = title
        .unwrap_or("Untitled")
        .chars()
        .take(MAX_TITLE - SUFFIX.len())
        .collect();
    format!("{base}{SUFFIX}")
}

/// Finished turns in their order (inserting in `ordinal` order gives them new ordinals in it).
const COPY_TURNS: &str = "INSERT INTO session.turns
        (session_id, id, seq, status, reason, error, usage, plan, diff, started_at, completed_at)
    SELECT $1, id, seq, status, reason, error, usage, plan, diff, started_at, completed_at
    FROM session.turns WHERE session_id = $2 AND status <> 'inProgress' ORDER BY ordinal
    ON CONFLICT (session_id, id) DO NOTHING";

const COPY_ITEMS: &str = "INSERT INTO session.items
        (session_id, turn_id, id, item_type, status, text, item)
    SELECT $1, i.turn_id, i.id, i.item_type, i.status, i.text, i.item
    FROM session.items i
    JOIN session.turns t ON t.session_id = i.session_id AND t.id = i.turn_id
    WHERE i.session_id = $2 AND t.status <> 'inProgress' ORDER BY i.ordinal
    ON CONFLICT (session_id, turn_id, id) DO NOTHING";

/// Transcript entries of the copied turns and those of no turn, with their places (the source's
/// sequences, like the copied turns' `seq`, so they merge in the same order).
const COPY_ENTRIES: &str = "INSERT INTO session.transcript_entries
        (session_id, message_id, role, text, turn_id, data, seq, last_seq, created_at, updated_at)
    SELECT $1, e.message_id, e.role, e.text, e.turn_id, e.data, e.seq, e.last_seq, e.created_at,
        e.updated_at
    FROM session.transcript_entries e
    WHERE e.session_id = $2 AND (e.turn_id IS NULL OR EXISTS (
        SELECT 1 FROM session.turns t
        WHERE t.session_id = $1 AND t.id = e.turn_id))
    ON CONFLICT (session_id, message_id) DO NOTHING";

/// Rolls back the last `turns` turns: `thread/revert` before the oldest of them, then the
/// turns (with their items and requests) are deleted from the transcript, not kept as marked;
/// the snapshot shows what the runtime will use as history. Files are not reverted.
pub async fn rollback(ctx: Arc<Ctx>, req: RollbackSession) -> Result<RolledBack, BusError> {
    if !(1..=MAX_ROLLBACK).contains(&req.turns) {
        return Err(BusError::validation(
            "turns",
            format!("turns must be between 1 and {MAX_ROLLBACK}"),
        ));
    }
    let id = req.session_id.as_str();
    let mut removed: Vec<String> = {
        let client = ctx.pool.get().await.map_err(db::error)?;
        usable(&**client, id).await?;
        ensure_idle(&**client, id).await?;
        client
            .query(
                "SELECT id FROM session.turns WHERE session_id = $1 ORDER BY ordinal DESC LIMIT $2",
                &[&id, &req.turns],
            )
            .await
            .map_err(db::error)?
            .iter()
            .map(|r| r.col_at(0))
            .collect::<Result<_, _>>()?
    };
    removed.reverse();
    let Some(before) = removed
        .first()
        .filter(|_| removed.len() as i64 == req.turns)
    else {
        return Err(BusError::new(
            ErrorCode::Conflict,
            format!(
                "the session has {} turn(s); cannot roll back {}",
                removed.len(),
                req.turns
            ),
        )
        .with_details(json!({ "turns": removed.len(), "requested": req.turns })));
    };
    let op = ThreadOp::Revert {
        before_turn_id: before.clone(),
    };
    thread_op(&ctx, id, op).await?;

    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    // Locks the session row, so this event and the rows agree in order with other changes.
    let live = tx
        .execute(
            "UPDATE session.sessions SET updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
            &[&id],
        )
        .await
        .map_err(db::error)?;
    if live == 0 {
        return Err(missing(&*tx, id).await);
    }
    super::apply::remove_turns(&*tx, id, &removed)
        .await
        .map_err(db::error)?;
    let event = Event::session(
        id,
        EventBody::SessionRolledBack {
            turn_ids: removed.clone(),
        },
    );
    publish(&ctx, &event).await?;
    tx.commit().await.map_err(db::error)?;
    tracing::info!(session.id = %id, turns = removed.len(), "session rolled back");
    Ok(RolledBack {
        session_id: req.session_id,
        removed_turn_ids: removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_titles_stay_within_the_limit() {
        assert_eq!(fork_title(Some("Plan")), "Plan (fork)");
        assert_eq!(fork_title(None), "Untitled (fork)");
        let long = "x".repeat(500);
        assert_eq!(fork_title(Some(&long)).chars().count(), MAX_TITLE);
    }
}
