//! Request events: `request.opened` records a pending request, `request.resolved` its outcome.

use cm_schemas::request::{PendingRequest, RequestOutcome};
use deadpool_postgres::Transaction;
use serde_json::Value;

use super::exec;

pub(super) async fn opened(
    tx: &Transaction<'_>,
    sid: &str,
    r: &PendingRequest,
) -> Result<(), tokio_postgres::Error> {
    let decisions = r
        .available_decisions
        .as_ref()
        .map(|d| Value::Array(d.clone()));
    exec(
        tx,
        "INSERT INTO session.requests
            (id, session_id, turn_id, item_id, kind, method, params, available_decisions, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
        &[
            &r.id,
            &sid,
            &r.turn_id,
            &r.item_id,
            &r.kind.as_str(),
            &r.method,
            &r.params,
            &decisions,
            &r.opened_at,
        ],
    )
    .await?;
    Ok(())
}

/// The decide command may have recorded the outcome already; the first record stays.
pub(super) async fn resolved(
    tx: &Transaction<'_>,
    request_id: &str,
    outcome: RequestOutcome,
    response: Option<&Value>,
    decided_by: Option<&str>,
    reason: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    let status = match outcome {
        RequestOutcome::Resolved => "resolved",
        RequestOutcome::Expired => "expired",
    };
    exec(
        tx,
        "UPDATE session.requests SET status = $2, response = COALESCE(response, $3),
            decided_by = COALESCE(decided_by, $4), reason = $5, resolved_at = COALESCE(resolved_at, now())
         WHERE id = $1 AND status = 'pending'",
        &[&request_id, &status, &response, &decided_by, &reason],
    )
    .await?;
    Ok(())
}
