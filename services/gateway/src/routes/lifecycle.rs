//! Session lifecycle: rename / move (`PATCH`), hard delete (`DELETE`, then `410` for the id),
//! archive, unarchive, fork, compact, rollback, resume, review, clean terminals.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cm_schemas::BusError;
use cm_schemas::lifecycle::{
    ReviewSession, RollbackSession, RolledBack, SessionActionResult, SessionDeleted, SessionRef,
    UpdateSession, nullable,
};
use cm_schemas::session::{SessionInfo, TurnAccepted};
use cm_schemas::subjects::{self, prefix, verb};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::routes::sessions::body;
use crate::state::AppState;

fn cmd(v: &str) -> String {
    subjects::command(prefix::SESSION, v)
}

/// `PATCH /api/sessions/{id}`: `{title?, projectId?}`; `projectId: null` unassigns.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionPatch {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub project_id: Option<Option<String>>,
}

pub async fn update(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    payload: Result<Json<SessionPatch>, JsonRejection>,
) -> ApiResult<Json<SessionInfo>> {
    let patch = body(payload)?;
    let req = UpdateSession {
        session_id,
        title: patch.title,
        project_id: patch.project_id,
    };
    Ok(Json(state.command(&cmd(verb::SESSION_UPDATE), &req).await?))
}

/// `204`; afterwards every route of the id answers `410 gone`.
pub async fn delete(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<StatusCode> {
    let req = SessionRef { session_id };
    let _: SessionDeleted = state.command(&cmd(verb::SESSION_DELETE), &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn on_session<T: DeserializeOwned>(
    state: &AppState,
    verb: &str,
    session_id: String,
) -> Result<T, BusError> {
    state.command(&cmd(verb), &SessionRef { session_id }).await
}

pub async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionInfo>> {
    Ok(Json(on_session(&state, verb::SESSION_ARCHIVE, id).await?))
}

pub async fn unarchive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionInfo>> {
    Ok(Json(on_session(&state, verb::SESSION_UNARCHIVE, id).await?))
}

pub async fn resume(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionInfo>> {
    Ok(Json(on_session(&state, verb::SESSION_RESUME, id).await?))
}

/// `201` with the new session.
pub async fn fork(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<SessionInfo>)> {
    let session = on_session(&state, verb::SESSION_FORK, id).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// `202`: the compaction runs as a turn on the session's stream.
pub async fn compact(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<SessionActionResult>)> {
    let result = on_session(&state, verb::SESSION_COMPACT, id).await?;
    Ok((StatusCode::ACCEPTED, Json(result)))
}

/// `501 not_supported` when the runtime lacks the method.
pub async fn clean_terminals(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionActionResult>> {
    Ok(Json(
        on_session(&state, verb::SESSION_TERMINALS_CLEAN, id).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    pub turns: i64,
}

/// `{turns: N}`: drops the last N turns; `409` when the session has fewer.
pub async fn rollback(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    payload: Result<Json<RollbackBody>, JsonRejection>,
) -> ApiResult<Json<RolledBack>> {
    let req = RollbackSession {
        session_id,
        turns: body(payload)?.turns,
    };
    Ok(Json(
        state.command(&cmd(verb::SESSION_ROLLBACK), &req).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    #[serde(default)]
    pub target: Option<Value>,
}

/// `{target?}` (the body may be empty): `202` with the review turn's id.
pub async fn review(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    raw: Bytes,
) -> ApiResult<(StatusCode, Json<TurnAccepted>)> {
    let review: ReviewBody = optional_body(&raw)?;
    let req = ReviewSession {
        session_id,
        target: review.target,
    };
    let accepted = state.command(&cmd(verb::SESSION_REVIEW), &req).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

/// A JSON body that may be left out entirely.
fn optional_body<T: DeserializeOwned + Default>(raw: &[u8]) -> ApiResult<T> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(raw)
        .map_err(|e| ApiError(BusError::validation("body", format!("invalid body: {e}"))))
}
