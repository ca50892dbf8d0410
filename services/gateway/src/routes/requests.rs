//! Pending requests of a session (approvals, tool input, tool calls) and their decisions.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use cm_schemas::BusError;
use cm_schemas::commands;
use cm_schemas::http::{Decision, ErrorBody, ListQuery};
use cm_schemas::request::{DecideRequest, ListRequests, RequestClass, RequestRecord};

use crate::error::{ApiError, ApiResult};
use crate::examples;
use crate::extract::body;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/sessions/{id}/requests", operation_id = "listRequests", tag = "requests",
    summary = "List a session's pending requests",
    description = "Approvals (commands, file changes, permissions), questions for the user (tool input, MCP elicitation) and dynamic tool calls the runtime waits on. Only pending ones unless `includeResolved`.",
    params(ListQuery),
    responses((status = 200, description = "Oldest first", body = Vec<RequestRecord>,
        example = json!([examples::request_record()]))))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<RequestRecord>>> {
    list_in(state, Some(id), q).await
}

#[utoipa::path(get, path = "/api/requests", operation_id = "listAllRequests", tag = "requests",
    summary = "List what every session waits on",
    description = "The pending requests of all sessions, oldest first: what an operator has to answer. `includeResolved` adds the resolved and expired ones.",
    params(ListQuery),
    responses((status = 200, description = "Oldest first", body = Vec<RequestRecord>,
        example = json!([examples::request_record()]))))]
pub async fn list_all(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<RequestRecord>>> {
    list_in(state, None, q).await
}

async fn list_in(
    state: AppState,
    session_id: Option<String>,
    q: ListQuery,
) -> ApiResult<Json<Vec<RequestRecord>>> {
    let kind = q
        .kind
        .as_deref()
        .map(|k| {
            RequestClass::parse(k).ok_or_else(|| {
                ApiError(BusError::validation(
                    "kind",
                    "kind must be approval, toolInput or toolCall",
                ))
            })
        })
        .transpose()?;
    let req = ListRequests {
        session_id,
        include_resolved: q.include_resolved,
        kind,
    };
    Ok(Json(
        state.call::<commands::session::RequestList>(&req).await?,
    ))
}

/// Who decided: the `X-CM-Actor` header (`web`, `cli`, an extension...), else `api`.
fn actor(headers: &HeaderMap) -> String {
    headers
        .get("x-cm-actor")
        .and_then(|v| v.to_str().ok())
        .map(|s| {
            s.chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "api".to_owned())
}

#[utoipa::path(post, path = "/api/sessions/{id}/requests/{requestId}/decision", operation_id = "decideRequest", tag = "requests",
    summary = "Decide an approval, answer a question or respond to a tool call",
    description = "Approvals take `decision` (`accept`, `acceptForSession`, `decline`, `cancel`) and optionally `scope` (`turn` or `session`); questions and tool calls take `response`, the runtime's result object. The first decision wins: repeating it answers `409 already_resolved`, a different one `409 conflict`.",
    request_body(content = Decision, example = json!({"decision": "accept", "scope": "turn"})),
    responses((status = 200, description = "The request, resolved", body = RequestRecord, example = examples::request_record),
        (status = 409, description = "Already resolved, or expired", body = ErrorBody),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    Path((id, request_id)): Path<(String, String)>,
    headers: HeaderMap,
    payload: Result<Json<Decision>, JsonRejection>,
) -> ApiResult<Json<RequestRecord>> {
    let d = body(payload)?;
    let req = DecideRequest {
        session_id: id,
        request_id,
        decision: d.decision,
        scope: d.scope,
        response: d.response,
        decided_by: Some(actor(&headers)),
    };
    Ok(Json(
        state.call::<commands::session::RequestDecide>(&req).await?,
    ))
}
