//! Session lifecycle commands: rename and move, archive and unarchive (here); resume, compact,
//! review, clean terminals (`actions.rs`); delete (`delete.rs`); fork and rollback
//! (`history.rs`); and how the consumer applies their events (`apply.rs`).
//!
//! A command that involves the runtime calls it first, so a refusal changes nothing here. Then
//! it updates the session row and publishes the event before committing: the row lock is held
//! across the publish, so the stream orders one session's changes as Postgres committed them,
//! and the consumer re-applying an event converges on the same state.

mod actions;
mod apply;
mod delete;
mod history;

use std::sync::Arc;

use cm_schemas::commands::runtime;
use cm_schemas::lifecycle::{SessionRef, UpdateSession};
use cm_schemas::session::SessionInfo;
use cm_schemas::thread::{RuntimeResult, ThreadCommand, ThreadOp};
use cm_schemas::{BusError, ErrorCode, Event, EventBody};
use serde_json::{Value, json};
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;

pub use actions::{clean_terminals, compact, resume, review};
pub use apply::{apply_deleted, apply_rolled_back, apply_updated, is_tombstoned};
pub use delete::{delete, delete_session};
pub use history::{fork, rollback};

use crate::ctx::Ctx;
use crate::row::RowExt;
use crate::{db, queries};

const MAX_TITLE: usize = 200;

/// Why `id` is not a live session: `gone` after a delete, `not_found` otherwise.
pub async fn missing(db: &impl GenericClient, id: &str) -> BusError {
    let deleted = db
        .query_opt(
            "SELECT 1 FROM session.sessions WHERE id = $1 AND deleted_at IS NOT NULL",
            &[&id],
        )
        .await;
    match deleted {
        Ok(Some(_)) => BusError::new(ErrorCode::Gone, format!("session {id} was deleted"))
            .with_details(json!({ "resource": "session", "id": id })),
        Ok(None) => BusError::not_found("session", id),
        Err(e) => db::error(e),
    }
}

/// The live session, or `not_found` / `gone`.
pub async fn live(db: &impl GenericClient, id: &str) -> Result<SessionInfo, BusError> {
    match queries::session(db, id).await? {
        Some((session, _)) => Ok(session),
        None => Err(missing(db, id).await),
    }
}

/// Whether the command being handled comes from a system component: its NATS message carries
/// `Cm-Actor: system:<name>` ([`cm_bus::ACTOR_HEADER`]). The gateway never sets that header, so
/// no HTTP request is one.
pub fn system_actor() -> bool {
    cm_bus::actor().is_some_and(|a| a.starts_with(SYSTEM_PREFIX))
}

const SYSTEM_PREFIX: &str = "system:";
const MAX_OWNER: usize = 100;

/// An owner given at creation: `system:<name>`, at most [`MAX_OWNER`] characters.
pub fn valid_owner(owner: &str) -> Result<(), BusError> {
    let name = owner.strip_prefix(SYSTEM_PREFIX).unwrap_or_default();
    if name.is_empty()
        || owner.chars().count() > MAX_OWNER
        || owner.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(BusError::validation(
            "owner",
            format!("owner must be system:<name>, at most {MAX_OWNER} characters, no spaces"),
        ));
    }
    Ok(())
}

/// The one check for system-owned sessions: only system components change them; anyone else
/// (every HTTP client) gets `forbidden`. Reads never call this.
pub fn ensure_may_change(session: &SessionInfo) -> Result<(), BusError> {
    match &session.owner {
        Some(owner) if !system_actor() => Err(BusError::new(
            ErrorCode::Forbidden,
            format!(
                "session {} is owned by {owner}: it is read-only here",
                session.id
            ),
        )
        .with_details(
            json!({ "sessionId": session.id, "owner": owner, "reason": "system_owned" }),
        )),
        _ => Ok(()),
    }
}

/// The live session, if the caller may change it (`not_found` / `gone` / `forbidden`).
pub async fn writable(db: &impl GenericClient, id: &str) -> Result<SessionInfo, BusError> {
    let session = live(db, id).await?;
    ensure_may_change(&session)?;
    Ok(session)
}

/// Locks the live session's row until the transaction ends (`not_found` / `gone` /
/// `forbidden` otherwise): a write under it is ordered with deletes, rollbacks and other
/// writes of the session.
pub async fn lock_writable(db: &impl GenericClient, id: &str) -> Result<SessionInfo, BusError> {
    let row = db
        .query_opt(
            &format!(
                "SELECT {} FROM session.sessions WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
                queries::SESSION_COLUMNS
            ),
            &[&id],
        )
        .await
        .map_err(db::error)?;
    let Some(row) = row else {
        return Err(missing(db, id).await);
    };
    let session = queries::session_from(&row)?;
    ensure_may_change(&session)?;
    Ok(session)
}

/// A live session the caller may change whose thread can run: archived ones answer
/// `conflict` (unarchive first).
pub async fn usable(db: &impl GenericClient, id: &str) -> Result<SessionInfo, BusError> {
    let session = writable(db, id).await?;
    not_archived(session)
}

/// `conflict` for an archived session.
pub fn not_archived(session: SessionInfo) -> Result<SessionInfo, BusError> {
    let id = session.id.as_str();
    if session.archived {
        return Err(BusError::new(
            ErrorCode::Conflict,
            format!("session {id} is archived: unarchive it first"),
        )
        .with_details(json!({ "sessionId": id, "reason": "archived" })));
    }
    Ok(session)
}

/// Fails with `conflict` while a turn of the session is running.
async fn ensure_idle(db: &impl GenericClient, id: &str) -> Result<(), BusError> {
    let running = db
        .query_opt(
            "SELECT id FROM session.turns WHERE session_id = $1 AND status = 'inProgress' LIMIT 1",
            &[&id],
        )
        .await
        .map_err(db::error)?;
    match running {
        Some(row) => Err(BusError::new(
            ErrorCode::Conflict,
            "a turn is running: interrupt it or wait for it to end",
        )
        .with_details(json!({ "sessionId": id, "turnId": row.col_at::<String>(0)? }))),
        None => Ok(()),
    }
}

/// A runtime refusal because the thread has no rollout yet (a session with no turn: nothing to
/// fork or resume) is a state of the session, `conflict`, not a runtime failure.
fn no_rollout_is_conflict(result: Result<Value, BusError>) -> Result<Value, BusError> {
    match result {
        Err(e) if e.code == ErrorCode::RuntimeError && e.message.contains("no rollout found") => {
            Err(BusError::new(
                ErrorCode::Conflict,
                "the session has no turn yet: send it a message first",
            )
            .with_details(serde_json::json!({ "reason": "no_turns", "runtime": e.message })))
        }
        other => other,
    }
}

/// One thread operation through the runtime bridge.
async fn thread_op(ctx: &Ctx, thread_id: &str, op: ThreadOp) -> Result<Value, BusError> {
    let reply: RuntimeResult = ctx
        .bus
        .call::<runtime::ThreadOp>(
            &ThreadCommand {
                thread_id: thread_id.to_owned(),
                op,
            },
            ctx.runtime_timeout,
        )
        .await?;
    Ok(reply.result)
}

async fn publish(ctx: &Ctx, event: &Event) -> Result<u64, BusError> {
    ctx.bus
        .publish_event(event)
        .await
        .map_err(|e| BusError::unavailable("nats", e.to_string()))
}

/// A runtime refusal saying the operation's effect is already there (`needle` in its message)
/// counts as success, so a retry after a half-done attempt completes it.
fn already(result: Result<Value, BusError>, needle: &str) -> Result<(), BusError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code == ErrorCode::RuntimeError && e.message.contains(needle) => {
            tracing::info!(reason = %e.message, "runtime state already as wanted");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Publishes `session.updated` with the session's new state and records the event's sequence
/// in the row (`state_seq`), so the consumer does not apply older changes over it. Call it in
/// the transaction that wrote the state, while it holds the row.
pub async fn publish_updated(
    ctx: &Ctx,
    db: &impl GenericClient,
    session: SessionInfo,
) -> Result<u64, BusError> {
    let id = session.id.clone();
    let event = Event::session(&id, EventBody::SessionUpdated { session });
    let seq = publish(ctx, &event).await?;
    db.execute(
        "UPDATE session.sessions SET state_seq = GREATEST(state_seq, $2) WHERE id = $1",
        &[&id, &(seq as i64)],
    )
    .await
    .map_err(db::error)?;
    Ok(seq)
}

/// Applies `set` (an SQL assignment list over `$2…`) to the live session `$1`, publishes
/// `session.updated`, then commits. With `project`, that project must exist and stays so.
async fn record_update(
    ctx: &Ctx,
    id: &str,
    project: Option<&str>,
    set: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<SessionInfo, BusError> {
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    if let Some(project) = project {
        queries::hold_project(&*tx, project).await?;
    }
    let row = tx
        .query_opt(
            &format!(
                "UPDATE session.sessions SET {set}, updated_at = now()
                 WHERE id = $1 AND deleted_at IS NULL RETURNING {}",
                queries::SESSION_COLUMNS
            ),
            params,
        )
        .await
        .map_err(db::error)?;
    let Some(row) = row else {
        return Err(missing(&*tx, id).await);
    };
    let session = queries::session_from(&row)?;
    publish_updated(ctx, &*tx, session.clone()).await?;
    tx.commit().await.map_err(db::error)?;
    Ok(session)
}

fn valid_title(title: &str) -> Result<String, BusError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(BusError::validation("title", "title must not be empty"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(BusError::validation(
            "title",
            format!("title is longer than {MAX_TITLE} characters"),
        ));
    }
    Ok(title.to_owned())
}

/// Rename (also the thread's name in the runtime) and/or move to a project.
pub async fn update(ctx: Arc<Ctx>, req: UpdateSession) -> Result<SessionInfo, BusError> {
    let title = req.title.as_deref().map(valid_title).transpose()?;
    if let Some(Some(p)) = &req.project_id
        && p.is_empty()
    {
        return Err(BusError::validation(
            "projectId",
            "projectId must not be empty (null unassigns)",
        ));
    }
    let id = req.session_id.as_str();
    let current = {
        let client = ctx.pool.get().await.map_err(db::error)?;
        writable(&**client, id).await?
    };
    if title.is_none() && req.project_id.is_none() {
        return Ok(current);
    }
    // An archived thread is not loaded in the runtime; unarchive gives it the title then.
    if let Some(title) = &title
        && !current.archived
        && current.title.as_ref() != Some(title)
    {
        let name = title.clone();
        thread_op(&ctx, id, ThreadOp::Rename { name }).await?;
    }
    let project = req.project_id.clone().flatten();
    record_update(
        &ctx,
        id,
        project.as_deref(),
        "title = COALESCE($2, title), project_id = CASE WHEN $3 THEN $4 ELSE project_id END",
        &[&id, &title, &req.project_id.is_some(), &project],
    )
    .await
}

/// Archives the thread and flags the session; archiving an archived session changes nothing.
pub async fn archive(ctx: Arc<Ctx>, req: SessionRef) -> Result<SessionInfo, BusError> {
    let id = req.session_id.as_str();
    {
        let client = ctx.pool.get().await.map_err(db::error)?;
        let current = writable(&**client, id).await?;
        if current.archived {
            return Ok(current);
        }
        ensure_idle(&**client, id).await?;
    }
    // "No rollout": an earlier attempt archived it in the runtime but did not get recorded here.
    already(
        thread_op(&ctx, id, ThreadOp::Archive).await,
        "no rollout found",
    )?;
    record_update(&ctx, id, None, "archived = true", &[&id]).await
}

/// Unarchives the thread, loads it again (so the next turn finds it), and restores its name.
pub async fn unarchive(ctx: Arc<Ctx>, req: SessionRef) -> Result<SessionInfo, BusError> {
    let id = req.session_id.as_str();
    let current = {
        let client = ctx.pool.get().await.map_err(db::error)?;
        writable(&**client, id).await?
    };
    if !current.archived {
        return Ok(current);
    }
    already(
        thread_op(&ctx, id, ThreadOp::Unarchive).await,
        "no archived rollout found",
    )?;
    thread_op(&ctx, id, ThreadOp::Resume).await?;
    if let Some(name) = current.title {
        // The title may have changed while archived; a failure here must not undo the unarchive.
        if let Err(e) = thread_op(&ctx, id, ThreadOp::Rename { name }).await {
            tracing::warn!(session.id = %id, error = %e, "could not restore the thread name");
        }
    }
    record_update(&ctx, id, None, "archived = false", &[&id]).await
}
