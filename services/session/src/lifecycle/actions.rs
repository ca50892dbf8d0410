//! Operations that only drive the runtime: resume, compact, review, clean terminals. They need
//! a live, unarchived session and record nothing but the review's turn; what they cause in the
//! thread arrives as events.

use std::sync::Arc;

use cm_schemas::lifecycle::{ReviewSession, SessionActionResult, SessionRef};
use cm_schemas::session::{SessionInfo, TurnAccepted};
use cm_schemas::thread::ThreadOp;
use cm_schemas::{BusError, ErrorCode};
use serde_json::{Value, json};

use super::{thread_op, usable};
use crate::ctx::Ctx;
use crate::db;

/// Loads the thread into the runtime (`thread/resume`).
pub async fn resume(ctx: Arc<Ctx>, req: SessionRef) -> Result<SessionInfo, BusError> {
    let session = {
        let client = ctx.pool.get().await.map_err(db::error)?;
        usable(&**client, &req.session_id).await?
    };
    super::no_rollout_is_conflict(thread_op(&ctx, &req.session_id, ThreadOp::Resume).await)?;
    Ok(session)
}

/// Starts a compaction; it runs as a turn whose events follow on the session's stream.
pub async fn compact(ctx: Arc<Ctx>, req: SessionRef) -> Result<SessionActionResult, BusError> {
    {
        let client = ctx.pool.get().await.map_err(db::error)?;
        usable(&**client, &req.session_id).await?;
    }
    let result = thread_op(&ctx, &req.session_id, ThreadOp::Compact).await?;
    Ok(SessionActionResult {
        session_id: req.session_id,
        result,
    })
}

/// Cleans the thread's background terminals (`not_supported` where the runtime lacks it).
pub async fn clean_terminals(
    ctx: Arc<Ctx>,
    req: SessionRef,
) -> Result<SessionActionResult, BusError> {
    {
        let client = ctx.pool.get().await.map_err(db::error)?;
        usable(&**client, &req.session_id).await?;
    }
    let result = thread_op(&ctx, &req.session_id, ThreadOp::CleanTerminals).await?;
    Ok(SessionActionResult {
        session_id: req.session_id,
        result,
    })
}

/// Starts a review turn on the session's thread (delivered inline).
pub async fn review(ctx: Arc<Ctx>, req: ReviewSession) -> Result<TurnAccepted, BusError> {
    let target = req
        .target
        .unwrap_or_else(|| json!({ "type": "uncommittedChanges" }));
    if target.get("type").and_then(Value::as_str).is_none() {
        return Err(BusError::validation(
            "target",
            "target must be an object with a string `type`",
        ));
    }
    {
        let client = ctx.pool.get().await.map_err(db::error)?;
        usable(&**client, &req.session_id).await?;
    }
    let result = thread_op(&ctx, &req.session_id, ThreadOp::Review { target }).await?;
    let turn_id = result
        .pointer("/turn/id")
        .and_then(Value::as_str)
        .ok_or_else(|| BusError::new(ErrorCode::RuntimeError, "review/start returned no turn"))?
        .to_owned();
    // Recorded now, like a message's turn, so an interrupt right after this answer finds it.
    let client = ctx.pool.get().await.map_err(db::error)?;
    client
        .execute(
            "INSERT INTO session.turns (session_id, id, status) VALUES ($1, $2, 'inProgress')
             ON CONFLICT (session_id, id) DO NOTHING",
            &[&req.session_id, &turn_id],
        )
        .await
        .map_err(db::error)?;
    Ok(TurnAccepted {
        session_id: req.session_id,
        turn_id,
    })
}
