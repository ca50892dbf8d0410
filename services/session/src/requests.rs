//! Pending requests: list, and decide with first-decision-wins.
//!
//! The first decider *claims* the request (one conditional `UPDATE`, committed at once), then
//! has the bridge write the one response the runtime will ever get, then records it as
//! resolved: no row lock is held across the runtime round trip, so the event consumer never
//! waits on a decision. A concurrent decider finds the claim and gets `conflict` with
//! `details.inProgress` (retry), a later one finds the request resolved and gets
//! `already_resolved` (same response) or `conflict` (another one). A claim whose decider died is
//! taken over once its lease (the runtime time-out and 5 s) has passed.

use std::sync::Arc;
use std::time::Duration;

use cm_schemas::commands::runtime;
use cm_schemas::request::{
    ApprovalDecision, DecideRequest, ListRequests, PendingRequest, RequestClass, RequestKind,
    RequestRecord, RespondRequest,
};
use cm_schemas::thread::RuntimeResult;
use cm_schemas::{BusError, ErrorCode};
use serde_json::{Value, json};
use tokio_postgres::Row;

use crate::ctx::Ctx;
use crate::db;
use crate::row::RowExt;

const COLUMNS: &str = "id, session_id, turn_id, item_id, kind, method, params, available_decisions, status, response, decided_by, reason, opened_at, resolved_at";

/// How long a decision waits for its request to be recorded: a client can see `request.opened`
/// on the stream a moment before this service has applied it.
const RECORD_WAIT: Duration = Duration::from_secs(3);

pub async fn list(ctx: Arc<Ctx>, req: ListRequests) -> Result<Vec<RequestRecord>, BusError> {
    let kinds = req.kind.map(RequestClass::kinds);
    let client = ctx.pool.get().await.map_err(db::error)?;
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM session.requests
                 WHERE ($1::text IS NULL OR session_id = $1) AND ($2 OR status = 'pending')
                   AND ($3::text[] IS NULL OR kind = ANY($3))
                 ORDER BY opened_at, id"
            ),
            &[&req.session_id, &req.include_resolved, &kinds],
        )
        .await
        .map_err(db::error)?;
    rows.iter().map(record).collect()
}

pub async fn decide(ctx: Arc<Ctx>, req: DecideRequest) -> Result<RequestRecord, BusError> {
    if req.request_id.is_empty() {
        return Err(BusError::validation("requestId", "requestId is required"));
    }
    let client = ctx.pool.get().await.map_err(db::error)?;
    wait_recorded(&client, &req.request_id).await?;
    let current = read_request(&client, &req.request_id).await?;
    if !req.session_id.is_empty() && current.request.session_id != req.session_id {
        return Err(BusError::not_found("request", &req.request_id));
    }
    crate::lifecycle::writable(&**client, &current.request.session_id).await?;
    let response = response_for(&current.request, &req)?;
    settled(&current, &response)?;
    let decided_by = req.decided_by.clone().unwrap_or_else(|| "api".to_owned());
    let lease = ctx.runtime_timeout.as_secs_f64() + CLAIM_SLACK.as_secs_f64();
    let claimed = client
        .execute(
            "UPDATE session.requests SET claim_response = $2, claimed_by = $3, claimed_at = now()
             WHERE id = $1 AND status = 'pending'
               AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $4))",
            &[&req.request_id, &response, &decided_by, &lease],
        )
        .await
        .map_err(db::error)?;
    if claimed == 0 {
        let now = read_request(&client, &req.request_id).await?;
        settled(&now, &response)?;
        return Err(BusError::new(
            ErrorCode::Conflict,
            "another decision of this request is being delivered to the runtime",
        )
        .with_details(json!({ "inProgress": true, "requestId": req.request_id })));
    }
    let delivered: Result<RuntimeResult, BusError> = ctx
        .bus
        .call::<runtime::RequestRespond>(
            &RespondRequest {
                request_id: req.request_id.clone(),
                response: response.clone(),
                decided_by: decided_by.clone(),
            },
            ctx.runtime_timeout,
        )
        .await;
    match delivered {
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::Gone => {
            client
                .execute(
                    "UPDATE session.requests SET status = 'expired', reason = 'runtime_exited',
                        resolved_at = now(), claim_response = NULL, claimed_by = NULL, claimed_at = NULL
                     WHERE id = $1 AND status = 'pending'",
                    &[&req.request_id],
                )
                .await
                .map_err(db::error)?;
            return Err(BusError::new(
                ErrorCode::Conflict,
                "the request expired before a decision",
            )
            .with_details(json!({ "requestId": req.request_id })));
        }
        Err(e) => {
            // Nothing reached the runtime (no bridge answers): another decision may be made.
            // After a time-out the response may have been written, so the claim stays until
            // the bridge's `request.resolved` or its lease.
            if e.code == ErrorCode::Unavailable {
                let _ = client
                    .execute(
                        "UPDATE session.requests SET claim_response = NULL, claimed_by = NULL, claimed_at = NULL
                         WHERE id = $1 AND status = 'pending'",
                        &[&req.request_id],
                    )
                    .await;
            }
            return Err(e);
        }
    }
    let row = client
        .query_one(
            &format!(
                "UPDATE session.requests SET status = 'resolved', response = $2, decided_by = $3,
                    resolved_at = COALESCE(resolved_at, now()),
                    claim_response = NULL, claimed_by = NULL, claimed_at = NULL
                 WHERE id = $1 RETURNING {COLUMNS}"
            ),
            &[&req.request_id, &response, &decided_by],
        )
        .await
        .map_err(db::error)?;
    record(&row)
}

/// A claim outlives the runtime time-out by this much before another decider may take over.
const CLAIM_SLACK: Duration = Duration::from_secs(5);

async fn read_request(
    client: &deadpool_postgres::Client,
    id: &str,
) -> Result<RequestRecord, BusError> {
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM session.requests WHERE id = $1"),
            &[&id],
        )
        .await
        .map_err(db::error)?
        .ok_or_else(|| BusError::not_found("request", id))?;
    record(&row)
}

/// `Ok` while the request is pending; else the answer to a decision `response` of it.
fn settled(current: &RequestRecord, response: &Value) -> Result<(), BusError> {
    match current.status.as_str() {
        "pending" => Ok(()),
        "resolved" if current.response.as_ref() == Some(response) => Err(BusError::new(
            ErrorCode::AlreadyResolved,
            "this decision was already made",
        )
        .with_details(json!({ "request": current }))),
        "resolved" => Err(BusError::new(
            ErrorCode::Conflict,
            "the request was already decided differently",
        )
        .with_details(json!({ "request": current }))),
        _ => Err(
            BusError::new(ErrorCode::Conflict, "the request expired before a decision")
                .with_details(json!({ "request": current })),
        ),
    }
}

/// The runtime's response for a decision. Approvals take `decision` (+ `scope`) or a full
/// `response` (for the amendment decisions); everything else takes a full `response` object.
fn response_for(request: &PendingRequest, req: &DecideRequest) -> Result<Value, BusError> {
    if !request.kind.takes_decision() {
        return match &req.response {
            Some(r @ Value::Object(_)) => Ok(r.clone()),
            _ => Err(BusError::validation(
                "response",
                format!(
                    "a {} request needs a `response` object",
                    request.kind.as_str()
                ),
            )),
        };
    }
    if let Some(response) = &req.response {
        return Ok(response.clone());
    }
    let decision = req.decision.as_ref().ok_or_else(|| {
        BusError::validation(
            "decision",
            "decision is required: accept, acceptForSession, decline or cancel",
        )
    })?;
    let decision = match (decision, req.scope.as_deref()) {
        (ApprovalDecision::Accept, Some("session")) => &ApprovalDecision::AcceptForSession,
        (d, None | Some("turn") | Some("session")) => d,
        (_, Some(_)) => {
            return Err(BusError::validation(
                "scope",
                "scope must be turn or session",
            ));
        }
    };
    if !decision.is_known() {
        return Err(BusError::validation(
            "decision",
            "decision must be accept, acceptForSession, decline or cancel",
        ));
    }
    // `availableDecisions` is what a UI should offer; the runtime takes all four plain decisions
    // (seen with 0.169.0: `decline` and `acceptForSession` work when not listed).
    Ok(json!({ "decision": decision }))
}

async fn wait_recorded(client: &deadpool_postgres::Client, id: &str) -> Result<(), BusError> {
    let deadline = tokio::time::Instant::now() + RECORD_WAIT;
    loop {
        let found = client
            .query_opt("SELECT 1 FROM session.requests WHERE id = $1", &[&id])
            .await
            .map_err(db::error)?;
        if found.is_some() || tokio::time::Instant::now() >= deadline {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn record(row: &Row) -> Result<RequestRecord, BusError> {
    let kind: String = row.col("kind")?;
    let kind: RequestKind = serde_json::from_value(Value::String(kind))
        .map_err(|e| BusError::internal(format!("stored request kind: {e}")))?;
    let decisions: Option<Value> = row.col("available_decisions")?;
    Ok(RequestRecord {
        request: PendingRequest {
            id: row.col("id")?,
            session_id: row.col("session_id")?,
            turn_id: row.col("turn_id")?,
            item_id: row.col("item_id")?,
            kind,
            method: row.col("method")?,
            params: row.col("params")?,
            available_decisions: decisions.and_then(|d| d.as_array().cloned()),
            opened_at: row.col("opened_at")?,
        },
        status: row.col("status")?,
        response: row.col("response")?,
        decided_by: row.col("decided_by")?,
        reason: row.col("reason")?,
        resolved_at: row.col("resolved_at")?,
    })
}
