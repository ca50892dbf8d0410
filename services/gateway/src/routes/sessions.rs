//! Sessions: create, list, get (snapshot + sequence), send a message.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use cm_schemas::commands;
use cm_schemas::http::{ErrorBody, SendMessage, Steer};
use cm_schemas::session::{
    CreateSession, GetSession, InterruptTurn, ListSessions, SessionInfo, SessionPage,
    SessionSnapshot, StartTurn, SteerTurn, TurnAccepted,
};

use crate::error::{ApiError, ApiResult};
use crate::examples;
use crate::extract::body;
use crate::params;
use crate::state::AppState;

#[utoipa::path(post, path = "/api/sessions", operation_id = "createSession", tag = "sessions",
    summary = "Create a session",
    description = "Starts an app-server thread. `cwd` defaults to the project's, then the runtime's.",
    request_body(content = CreateSession, example = json!({"title": "Fix the flaky test", "projectId": "0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d", "model": "gpt-5.1-codex"})),
    responses((status = 201, description = "The new session", body = SessionInfo, example = examples::session)))]
pub async fn create(
    State(state): State<AppState>,
    payload: Result<Json<CreateSession>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<SessionInfo>)> {
    let req = body(payload)?;
    // Only system components create system-owned sessions, over the bus.
    if req.owner.is_some() {
        return Err(ApiError(cm_schemas::BusError::validation(
            "owner",
            "owner cannot be set over the HTTP API: system-owned sessions are created over the bus",
        )));
    }
    let session = state.call::<commands::session::Create>(&req).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

#[utoipa::path(get, path = "/api/sessions", operation_id = "listSessions", tag = "sessions",
    summary = "List sessions, newest first, a page at a time",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 200 (50 by default)"),
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page"),
        ("projectId" = Option<String>, Query, description = "Only the sessions of this project"),
        ("unassigned" = Option<bool>, Query, description = "Only the sessions without a project"),
        ("archived" = Option<String>, Query, description = "`false` (default), `true` or `all`"),
        ("systemOwned" = Option<String>, Query, description = "System-owned sessions: `false` (default: hidden), `true` or `all`")),
    responses((status = 200, description = "One page", body = SessionPage,
        example = json!({"sessions": [examples::session()], "nextCursor": null}))))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListSessions>,
) -> ApiResult<Json<SessionPage>> {
    params::check_limit(q.limit)?;
    params::check_cursor(q.cursor.as_deref())?;
    if let Some(project) = &q.project_id {
        params::check_id("projectId", project)?;
    }
    Ok(Json(state.call::<commands::session::List>(&q).await?))
}

#[utoipa::path(get, path = "/api/sessions/{id}", operation_id = "getSession", tag = "sessions",
    summary = "A session's snapshot: the session, its transcript and the sequence it reflects",
    description = "Every event of the session up to and including `seq` is applied, none after it: stream from `seq` (as `Last-Event-ID`) to follow on with nothing lost or repeated.",
    responses((status = 200, description = "The snapshot", body = SessionSnapshot, example = examples::snapshot),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionSnapshot>> {
    Ok(Json(
        state
            .call::<commands::session::Get>(&GetSession { session_id: id })
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/sessions/{id}/messages", operation_id = "sendMessage", tag = "sessions",
    summary = "Send a message: start a turn",
    description = "Answers as soon as the runtime accepted the turn; its events follow on the session's stream. `overrides` apply to this turn only (locked controls answer `423`).",
    request_body(content = SendMessage, example = json!({"text": "Why does the test fail?", "overrides": {"effort": "high"}})),
    responses((status = 202, description = "The turn started", body = TurnAccepted, example = examples::turn_accepted),
        (status = 410, description = "The session was deleted", body = ErrorBody),
        (status = 423, description = "An override is locked by the defaults", body = ErrorBody)))]
pub async fn send_message(
    State(state): State<AppState>,
    Path(id): Path<String>,
    payload: Result<Json<SendMessage>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<TurnAccepted>)> {
    let req = body(payload)?;
    let accepted = state
        .call::<commands::session::TurnStart>(&StartTurn {
            session_id: id,
            text: req.text,
            overrides: req.overrides,
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

#[utoipa::path(post, path = "/api/sessions/{id}/steer", operation_id = "steerTurn", tag = "sessions",
    summary = "Add input to the running turn",
    request_body(content = Steer, example = json!({"text": "Use the fake clock instead."})),
    responses((status = 200, description = "The running turn", body = TurnAccepted, example = examples::turn_accepted),
        (status = 409, description = "No turn is running (`no_active_turn`)", body = ErrorBody),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn steer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    payload: Result<Json<Steer>, JsonRejection>,
) -> ApiResult<Json<TurnAccepted>> {
    let req = body(payload)?;
    let steer = SteerTurn {
        session_id: id,
        text: req.text,
    };
    Ok(Json(
        state.call::<commands::session::TurnSteer>(&steer).await?,
    ))
}

/// Stops the running turn; `409 no_active_turn` when the session is idle.
#[utoipa::path(post, path = "/api/sessions/{id}/interrupt", operation_id = "interruptTurn", tag = "sessions",
    summary = "Stop the running turn",
    description = "Open items are closed as canceled and the turn completes as `interrupted`.",
    responses((status = 200, description = "The interrupted turn", body = TurnAccepted, example = examples::turn_accepted),
        (status = 409, description = "The session is idle (`no_active_turn`)", body = ErrorBody),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn interrupt(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<TurnAccepted>> {
    let req = InterruptTurn { session_id: id };
    Ok(Json(
        state.call::<commands::session::TurnInterrupt>(&req).await?,
    ))
}
