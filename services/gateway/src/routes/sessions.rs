//! Sessions: create, list, get (snapshot + sequence), send a message.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use cm_schemas::session::{
    CreateSession, GetSession, InterruptTurn, ListSessions, SessionInfo, SessionPage,
    SessionSnapshot, StartTurn, SteerTurn, TurnAccepted,
};
use cm_schemas::subjects::{self, prefix, verb};
use cm_schemas::thread::TurnOverrides;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Turns axum's body rejection into our error (validation naming the field, or 413).
pub fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload.map(|Json(v)| v).map_err(ApiError::from)
}

fn cmd(v: &str) -> String {
    subjects::command(prefix::SESSION, v)
}

pub async fn create(
    State(state): State<AppState>,
    payload: Result<Json<CreateSession>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<SessionInfo>)> {
    let req = body(payload)?;
    let session = state.command(&cmd(verb::SESSION_CREATE), &req).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListSessions>,
) -> ApiResult<Json<SessionPage>> {
    Ok(Json(state.command(&cmd(verb::SESSION_LIST), &q).await?))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionSnapshot>> {
    Ok(Json(
        state
            .command(&cmd(verb::SESSION_GET), &GetSession { session_id: id })
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub text: String,
    #[serde(default)]
    pub overrides: TurnOverrides,
}

pub async fn send_message(
    State(state): State<AppState>,
    Path(id): Path<String>,
    payload: Result<Json<SendMessage>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<TurnAccepted>)> {
    let req = body(payload)?;
    let accepted = state
        .command(
            &cmd(verb::SESSION_TURN_START),
            &StartTurn {
                session_id: id,
                text: req.text,
                overrides: req.overrides,
            },
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Steer {
    pub text: String,
}

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
        state
            .command(&cmd(verb::SESSION_TURN_STEER), &steer)
            .await?,
    ))
}

/// Stops the running turn; `409 no_active_turn` when the session is idle.
pub async fn interrupt(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<TurnAccepted>> {
    let req = InterruptTurn { session_id: id };
    Ok(Json(
        state
            .command(&cmd(verb::SESSION_TURN_INTERRUPT), &req)
            .await?,
    ))
}
