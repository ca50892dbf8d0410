//! Turn events: `turn.started`, `turn.completed`, and what a turn accumulates on its row
//! (`usage.updated`, `plan.updated`, `diff.updated`).

use cm_schemas::event::TurnStatus;
use deadpool_postgres::Transaction;
use serde_json::Value;

use super::{ensure_turn, exec};

pub(super) async fn started(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    turn_id: &str,
) -> Result<(), tokio_postgres::Error> {
    ensure_turn(tx, sid, turn_id, seq).await?;
    exec(
        tx,
        "UPDATE session.sessions SET status = 'active' WHERE id = $1",
        &[&sid],
    )
    .await?;
    Ok(())
}

pub(super) async fn completed(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    turn_id: &str,
    status: TurnStatus,
    reason: Option<&str>,
    error: Option<&Value>,
) -> Result<(), tokio_postgres::Error> {
    ensure_turn(tx, sid, turn_id, seq).await?;
    exec(
        tx,
        "UPDATE session.turns SET status = $3, reason = $4, error = $5, completed_at = now()
         WHERE session_id = $1 AND id = $2",
        &[&sid, &turn_id, &status.as_str(), &reason, &error],
    )
    .await?;
    // Items the runtime never completed (an interrupted message) end as canceled.
    exec(
        tx,
        "UPDATE session.items SET status = 'canceled'
         WHERE session_id = $1 AND turn_id = $2 AND status = 'streaming'",
        &[&sid, &turn_id],
    )
    .await?;
    if status != TurnStatus::InProgress {
        exec(
            tx,
            "UPDATE session.sessions SET status = 'idle' WHERE id = $1",
            &[&sid],
        )
        .await?;
    }
    Ok(())
}

/// A turn's token usage; usage without a turn (the session's total) is not stored.
pub(super) async fn usage_updated(
    tx: &Transaction<'_>,
    sid: &str,
    turn_id: &str,
    usage: &Value,
) -> Result<(), tokio_postgres::Error> {
    exec(
        tx,
        "UPDATE session.turns SET usage = $3 WHERE session_id = $1 AND id = $2",
        &[&sid, &turn_id, usage],
    )
    .await?;
    Ok(())
}

pub(super) async fn plan_updated(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    turn_id: &str,
    explanation: Option<&str>,
    plan: &Value,
) -> Result<(), tokio_postgres::Error> {
    ensure_turn(tx, sid, turn_id, seq).await?;
    let plan = serde_json::json!({ "explanation": explanation, "steps": plan });
    exec(
        tx,
        "UPDATE session.turns SET plan = $3 WHERE session_id = $1 AND id = $2",
        &[&sid, &turn_id, &plan],
    )
    .await?;
    Ok(())
}

pub(super) async fn diff_updated(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    turn_id: &str,
    diff: &str,
) -> Result<(), tokio_postgres::Error> {
    ensure_turn(tx, sid, turn_id, seq).await?;
    exec(
        tx,
        "UPDATE session.turns SET diff = $3 WHERE session_id = $1 AND id = $2",
        &[&sid, &turn_id, &diff],
    )
    .await?;
    Ok(())
}
