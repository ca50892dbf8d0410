//! Pending requests of a session (approvals, tool input, tool calls) and their decisions.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use cm_schemas::BusError;
use cm_schemas::request::{DecideRequest, ListRequests, RequestClass, RequestRecord};
use cm_schemas::subjects::{self, prefix, verb};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::routes::sessions::body;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    #[serde(default)]
    pub include_resolved: bool,
    /// `approval`, `toolInput` or `toolCall`.
    #[serde(default)]
    pub kind: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
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
        session_id: id,
        include_resolved: q.include_resolved,
        kind,
    };
    Ok(Json(
        state
            .command(
                &subjects::command(prefix::SESSION, verb::REQUEST_LIST),
                &req,
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decision {
    #[serde(default)]
    pub decision: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub response: Option<Value>,
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
        state
            .command(
                &subjects::command(prefix::SESSION, verb::REQUEST_DECIDE),
                &req,
            )
            .await?,
    ))
}
