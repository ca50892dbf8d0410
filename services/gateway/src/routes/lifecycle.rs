//! Session lifecycle: rename / move (`PATCH`), hard delete (`DELETE`, then `410` for the id),
//! archive, unarchive, fork, compact, rollback, resume, review, clean terminals.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cm_schemas::BusError;
use cm_schemas::commands::{self, Command};
use cm_schemas::http::{ErrorBody, ReviewBody, RollbackBody, SessionPatch};
use cm_schemas::lifecycle::{
    ReviewSession, RollbackSession, RolledBack, SessionActionResult, SessionDeleted, SessionRef,
    UpdateSession,
};
use cm_schemas::session::{SessionInfo, TurnAccepted};

use crate::error::ApiResult;
use crate::examples;
use crate::extract::{body, optional_body};
use crate::state::AppState;

#[utoipa::path(patch, path = "/api/sessions/{id}", operation_id = "updateSession", tag = "sessions",
    summary = "Rename a session or move it to a project",
    description = "`title` is also set as the thread's name in the runtime; `projectId: null` unassigns.",
    request_body(content = SessionPatch, example = json!({"title": "Fix the flaky test", "projectId": "0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d"})),
    responses((status = 200, description = "The session as it is now", body = SessionInfo, example = examples::session),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
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
    Ok(Json(state.call::<commands::session::Update>(&req).await?))
}

/// `204`; afterwards every route of the id answers `410 gone`.
#[utoipa::path(delete, path = "/api/sessions/{id}", operation_id = "deleteSession", tag = "sessions",
    summary = "Hard-delete a session",
    description = "The thread, its transcript and its events are removed; afterwards every route of the id answers `410 gone`.",
    responses((status = 204, description = "Deleted"),
        (status = 410, description = "Already deleted", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<StatusCode> {
    let req = SessionRef { session_id };
    let _: SessionDeleted = state.call::<commands::session::Delete>(&req).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn on_session<C: Command<Request = SessionRef>>(
    state: &AppState,
    session_id: String,
) -> Result<C::Response, BusError> {
    state.call::<C>(&SessionRef { session_id }).await
}

#[utoipa::path(post, path = "/api/sessions/{id}/archive", operation_id = "archiveSession", tag = "sessions",
    summary = "Archive a session",
    description = "Archived sessions are left out of lists unless asked for (`archived=true|all`).",
    responses((status = 200, description = "The archived session", body = SessionInfo, example = examples::session),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionInfo>> {
    Ok(Json(
        on_session::<commands::session::Archive>(&state, id).await?,
    ))
}

#[utoipa::path(post, path = "/api/sessions/{id}/unarchive", operation_id = "unarchiveSession", tag = "sessions",
    summary = "Restore an archived session",
    responses((status = 200, description = "The restored session", body = SessionInfo, example = examples::session),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn unarchive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionInfo>> {
    Ok(Json(
        on_session::<commands::session::Unarchive>(&state, id).await?,
    ))
}

#[utoipa::path(post, path = "/api/sessions/{id}/resume", operation_id = "resumeSession", tag = "sessions",
    summary = "Load a session's thread into the runtime",
    description = "Messages resume a thread on their own; this makes it explicit (after a runtime restart, say).",
    responses((status = 200, description = "The session", body = SessionInfo, example = examples::session),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionInfo>> {
    Ok(Json(
        on_session::<commands::session::Resume>(&state, id).await?,
    ))
}

/// `201` with the new session.
#[utoipa::path(post, path = "/api/sessions/{id}/fork", operation_id = "forkSession", tag = "sessions",
    summary = "Fork a session into a new one with the same history",
    responses((status = 201, description = "The new session", body = SessionInfo, example = examples::session),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn fork(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<SessionInfo>)> {
    let session = on_session::<commands::session::Fork>(&state, id).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// `202`: the compaction runs as a turn on the session's stream.
#[utoipa::path(post, path = "/api/sessions/{id}/compact", operation_id = "compactSession", tag = "sessions",
    summary = "Compact a session's context",
    description = "Runs as a turn whose events follow on the session's stream.",
    responses((status = 202, description = "Compaction started", body = SessionActionResult,
            example = json!({"sessionId": "019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011", "result": {}})),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn compact(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<SessionActionResult>)> {
    let result = on_session::<commands::session::Compact>(&state, id).await?;
    Ok((StatusCode::ACCEPTED, Json(result)))
}

/// `501 not_supported` when the runtime lacks the method.
#[utoipa::path(post, path = "/api/sessions/{id}/terminals/clean", operation_id = "cleanTerminals", tag = "sessions",
    summary = "Stop the session's background terminals",
    responses((status = 200, description = "The runtime's answer", body = SessionActionResult,
            example = json!({"sessionId": "019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011", "result": {}})),
        (status = 410, description = "The session was deleted", body = ErrorBody),
        (status = 501, description = "The runtime lacks the method", body = ErrorBody)))]
pub async fn clean_terminals(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionActionResult>> {
    Ok(Json(
        on_session::<commands::session::TerminalsClean>(&state, id).await?,
    ))
}

/// `{turns: N}`: drops the last N turns; `409` when the session has fewer.
#[utoipa::path(post, path = "/api/sessions/{id}/rollback", operation_id = "rollbackSession", tag = "sessions",
    summary = "Drop the last N turns",
    description = "From the thread's history and from the transcript. Local file changes are not reverted.",
    request_body(content = RollbackBody, example = json!({"turns": 1})),
    responses((status = 200, description = "The removed turns, oldest first", body = RolledBack,
            example = json!({"sessionId": "019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011", "removedTurnIds": ["019ab3c4-2222-7aaa-8bbb-0c0d0e0f1011"]})),
        (status = 409, description = "The session has fewer turns, or one is running", body = ErrorBody),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn rollback(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    payload: Result<Json<RollbackBody>, JsonRejection>,
) -> ApiResult<Json<RolledBack>> {
    let req = RollbackSession {
        session_id,
        turns: body(payload)?.turns,
    };
    Ok(Json(state.call::<commands::session::Rollback>(&req).await?))
}

/// `{target?}` (the body may be empty): `202` with the review turn's id.
#[utoipa::path(post, path = "/api/sessions/{id}/review", operation_id = "reviewSession", tag = "sessions",
    summary = "Start a review turn",
    description = "The body may be empty: the target defaults to `{\"type\": \"uncommittedChanges\"}`.",
    request_body(content = ReviewBody, example = json!({"target": {"type": "baseBranch", "branch": "main"}})),
    responses((status = 202, description = "The review turn", body = TurnAccepted, example = examples::turn_accepted),
        (status = 409, description = "A turn is running", body = ErrorBody),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
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
    let accepted = state.call::<commands::session::Review>(&req).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}
