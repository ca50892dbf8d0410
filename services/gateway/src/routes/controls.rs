//! Controls and settings (S5): the per-turn defaults and their locks, a session's controls,
//! and free-form settings by key — global under `/api/settings`, per session under
//! `/api/sessions/{id}/settings`. Each handler is one `cm.v1.session.controls.*` /
//! `settings.*` command; the session service validates and stores.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cm_schemas::controls::{
    ControlDefaults, Controls, ControlsPatch, GetControlDefaults, GetSessionControls, ListSettings,
    MAX_SETTING_VALUE_BYTES, MergeSetting, SessionControls, SetSessionControls, SetSetting,
    Setting, SettingList, SettingRef,
};
use cm_schemas::subjects::{self, prefix, verb};
use cm_schemas::{BusError, ErrorCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::routes::sessions::body;
use crate::state::AppState;

fn cmd(v: &str) -> String {
    subjects::command(prefix::SESSION, v)
}

pub async fn get_defaults(State(state): State<AppState>) -> ApiResult<Json<ControlDefaults>> {
    let req = GetControlDefaults {};
    Ok(Json(
        state
            .command(&cmd(verb::CONTROLS_DEFAULTS_GET), &req)
            .await?,
    ))
}

/// `PUT /api/controls/defaults`: `{model?, effort?, approvalPolicy?, sandbox?, networkAccess?,
/// locked?: [key]}` replaces the defaults.
pub async fn put_defaults(
    State(state): State<AppState>,
    payload: Result<Json<ControlDefaults>, JsonRejection>,
) -> ApiResult<Json<ControlDefaults>> {
    let req = body(payload)?;
    Ok(Json(
        state
            .command(&cmd(verb::CONTROLS_DEFAULTS_SET), &req)
            .await?,
    ))
}

pub async fn get_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<SessionControls>> {
    let req = GetSessionControls { session_id };
    Ok(Json(state.command(&cmd(verb::CONTROLS_GET), &req).await?))
}

/// `PUT`: the body is the session's controls; keys it leaves out are unset.
pub async fn put_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    payload: Result<Json<Controls>, JsonRejection>,
) -> ApiResult<Json<SessionControls>> {
    let controls = body(payload)?;
    set_session(state, session_id, false, controls.into()).await
}

/// `PATCH`: merge — absent keys stay, `null` unsets.
pub async fn patch_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    payload: Result<Json<ControlsPatch>, JsonRejection>,
) -> ApiResult<Json<SessionControls>> {
    let patch = body(payload)?;
    set_session(state, session_id, true, patch).await
}

async fn set_session(
    state: AppState,
    session_id: String,
    merge: bool,
    controls: ControlsPatch,
) -> ApiResult<Json<SessionControls>> {
    let req = SetSessionControls {
        session_id,
        merge,
        controls,
    };
    Ok(Json(state.command(&cmd(verb::CONTROLS_SET), &req).await?))
}

/// The path of a settings route: `id` is the session for `/api/sessions/{id}/settings…`.
#[derive(Debug, Deserialize)]
pub struct Scope {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Key {
    #[serde(default)]
    id: Option<String>,
    key: String,
}

impl Key {
    fn target(self) -> SettingRef {
        SettingRef {
            session_id: self.id,
            key: self.key,
        }
    }
}

pub async fn list_settings(
    State(state): State<AppState>,
    Path(scope): Path<Scope>,
) -> ApiResult<Json<SettingList>> {
    let req = ListSettings {
        session_id: scope.id,
    };
    Ok(Json(state.command(&cmd(verb::SETTINGS_LIST), &req).await?))
}

pub async fn get_setting(
    State(state): State<AppState>,
    Path(key): Path<Key>,
) -> ApiResult<Json<Setting>> {
    let req = key.target();
    Ok(Json(state.command(&cmd(verb::SETTINGS_GET), &req).await?))
}

/// `PUT`: the body is the value (any JSON but `null`, at most 64 KiB).
pub async fn put_setting(
    State(state): State<AppState>,
    Path(key): Path<Key>,
    payload: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Setting>> {
    let value = bounded(body(payload)?)?;
    let target = key.target();
    let req = SetSetting {
        session_id: target.session_id,
        key: target.key,
        value,
    };
    Ok(Json(state.command(&cmd(verb::SETTINGS_SET), &req).await?))
}

/// `PATCH`: the body is a JSON merge patch (RFC 7396) for an object value.
pub async fn patch_setting(
    State(state): State<AppState>,
    Path(key): Path<Key>,
    payload: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Setting>> {
    let patch = bounded(body(payload)?)?;
    let target = key.target();
    let req = MergeSetting {
        session_id: target.session_id,
        key: target.key,
        patch,
    };
    Ok(Json(state.command(&cmd(verb::SETTINGS_MERGE), &req).await?))
}

/// `204`; `404` when the key is not set.
pub async fn delete_setting(
    State(state): State<AppState>,
    Path(key): Path<Key>,
) -> ApiResult<StatusCode> {
    let _: SettingRef = state
        .command(&cmd(verb::SETTINGS_UNSET), &key.target())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Refuses a value over the limit here, before it travels on the bus.
fn bounded(value: Value) -> ApiResult<Value> {
    let size = serde_json::to_vec(&value).map_or(usize::MAX, |v| v.len());
    if size > MAX_SETTING_VALUE_BYTES {
        return Err(ApiError(
            BusError::new(
                ErrorCode::PayloadTooLarge,
                format!("the value is {size} bytes; the limit is {MAX_SETTING_VALUE_BYTES}"),
            )
            .with_details(
                json!({ "field": "value", "limit": MAX_SETTING_VALUE_BYTES, "size": size }),
            ),
        ));
    }
    Ok(value)
}
