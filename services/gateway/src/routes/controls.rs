//! Controls and settings (S5): the per-turn defaults and their locks, a session's controls,
//! and free-form settings by key — global under `/api/settings`, per session under
//! `/api/sessions/{id}/settings`. Each handler is one `cm.v1.session.controls.*` /
//! `settings.*` command; the session service validates and stores.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cm_schemas::commands;
use cm_schemas::controls::{
    ControlDefaults, Controls, ControlsPatch, GetControlDefaults, GetSessionControls, ListSettings,
    MAX_SETTING_VALUE_BYTES, MergeSetting, SessionControls, SetSessionControls, SetSetting,
    Setting, SettingList, SettingRef,
};
use cm_schemas::http::ErrorBody;
use cm_schemas::{BusError, ErrorCode};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::body;
use crate::state::AppState;

fn defaults_example() -> Value {
    json!({"model": "gpt-5.1-codex", "effort": "medium", "approvalPolicy": "on-request",
           "sandbox": "workspace-write", "networkAccess": false, "locked": ["sandbox"]})
}

fn session_controls_example() -> Value {
    json!({
        "sessionId": "019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011",
        "controls": { "effort": "high" },
        "effective": { "model": "gpt-5.1-codex", "effort": "high", "approvalPolicy": "on-request",
                       "sandbox": "workspace-write", "networkAccess": false },
        "locked": ["sandbox"]
    })
}

#[utoipa::path(get, path = "/api/controls/defaults", operation_id = "getControlDefaults", tag = "controls",
    summary = "Get the default controls and their locks",
    responses((status = 200, description = "The defaults", body = ControlDefaults, example = defaults_example)))]
pub async fn get_defaults(State(state): State<AppState>) -> ApiResult<Json<ControlDefaults>> {
    let req = GetControlDefaults {};
    Ok(Json(
        state
            .call::<commands::session::ControlsDefaultsGet>(&req)
            .await?,
    ))
}

/// `PUT /api/controls/defaults`: `{model?, effort?, approvalPolicy?, sandbox?, networkAccess?,
/// locked?: [key]}` replaces the defaults.
#[utoipa::path(put, path = "/api/controls/defaults", operation_id = "putControlDefaults", tag = "controls",
    summary = "Replace the default controls",
    description = "Keys listed in `locked` cannot be changed by sessions or messages (`423 locked`).",
    request_body(content = ControlDefaults, example = defaults_example),
    responses((status = 200, description = "The defaults as stored", body = ControlDefaults, example = defaults_example)))]
pub async fn put_defaults(
    State(state): State<AppState>,
    payload: Result<Json<ControlDefaults>, JsonRejection>,
) -> ApiResult<Json<ControlDefaults>> {
    let req = body(payload)?;
    Ok(Json(
        state
            .call::<commands::session::ControlsDefaultsSet>(&req)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/sessions/{id}/controls", operation_id = "getSessionControls", tag = "controls",
    summary = "Get a session's controls and the effective values",
    responses((status = 200, description = "What is set on the session, and the defaults overlaid by it", body = SessionControls, example = session_controls_example)))]
pub async fn get_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<SessionControls>> {
    let req = GetSessionControls { session_id };
    Ok(Json(
        state.call::<commands::session::ControlsGet>(&req).await?,
    ))
}

/// `PUT`: the body is the session's controls; keys it leaves out are unset.
#[utoipa::path(put, path = "/api/sessions/{id}/controls", operation_id = "putSessionControls", tag = "controls",
    summary = "Replace a session's controls",
    description = "Keys the body leaves out are unset. A locked key answers `423 locked`.",
    request_body(content = Controls, example = json!({"model": "gpt-5.1-codex", "effort": "high", "approvalPolicy": "on-request", "sandbox": "workspace-write", "networkAccess": false})),
    responses((status = 200, description = "The session's controls", body = SessionControls, example = session_controls_example),
        (status = 410, description = "The session was deleted", body = ErrorBody),
        (status = 423, description = "A key is locked by the defaults", body = ErrorBody)))]
pub async fn put_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    payload: Result<Json<Controls>, JsonRejection>,
) -> ApiResult<Json<SessionControls>> {
    let controls = body(payload)?;
    set_session(state, session_id, false, controls.into()).await
}

/// `PATCH`: merge — absent keys stay, `null` unsets.
#[utoipa::path(patch, path = "/api/sessions/{id}/controls", operation_id = "patchSessionControls", tag = "controls",
    summary = "Merge into a session's controls",
    description = "Absent keys stay, `null` unsets. A locked key answers `423 locked`.",
    request_body(content = ControlsPatch, example = json!({"effort": "low", "model": null})),
    responses((status = 200, description = "The session's controls", body = SessionControls, example = session_controls_example),
        (status = 410, description = "The session was deleted", body = ErrorBody),
        (status = 423, description = "A key is locked by the defaults", body = ErrorBody)))]
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
    Ok(Json(
        state.call::<commands::session::ControlsSet>(&req).await?,
    ))
}

fn setting(session_id: Option<String>, key: String) -> SettingRef {
    SettingRef { session_id, key }
}

async fn list_in(state: AppState, session_id: Option<String>) -> ApiResult<Json<SettingList>> {
    let req = ListSettings { session_id };
    Ok(Json(
        state.call::<commands::session::SettingsList>(&req).await?,
    ))
}

async fn get_in(state: AppState, target: SettingRef) -> ApiResult<Json<Setting>> {
    Ok(Json(
        state
            .call::<commands::session::SettingsGet>(&target)
            .await?,
    ))
}

/// `PUT`: the body is the value (any JSON but `null`, at most 64 KiB).
async fn put_in(
    state: AppState,
    target: SettingRef,
    payload: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Setting>> {
    let value = bounded(body(payload)?)?;
    // `null` is no value: the key is unset with DELETE. Refused here, before the bus.
    if value.is_null() {
        return Err(ApiError(BusError::validation(
            "value",
            "a setting cannot be null: unset it instead",
        )));
    }
    let req = SetSetting {
        session_id: target.session_id,
        key: target.key,
        value,
    };
    Ok(Json(
        state.call::<commands::session::SettingsSet>(&req).await?,
    ))
}

/// `PATCH`: the body is a JSON merge patch (RFC 7396) for an object value.
async fn patch_in(
    state: AppState,
    target: SettingRef,
    payload: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Setting>> {
    let patch = bounded(body(payload)?)?;
    if !patch.is_object() {
        return Err(ApiError(BusError::validation(
            "patch",
            "a merge patch must be a JSON object",
        )));
    }
    let req = MergeSetting {
        session_id: target.session_id,
        key: target.key,
        patch,
    };
    Ok(Json(
        state.call::<commands::session::SettingsMerge>(&req).await?,
    ))
}

/// `204`; `404` when the key is not set.
async fn delete_in(state: AppState, target: SettingRef) -> ApiResult<StatusCode> {
    let _: SettingRef = state
        .call::<commands::session::SettingsUnset>(&target)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/settings", operation_id = "listSettings", tag = "settings",
    summary = "List the global settings",
    responses((status = 200, description = "Every global setting, by key", body = SettingList,
        example = json!({"settings": [setting_example()]}))))]
pub async fn list_settings(State(state): State<AppState>) -> ApiResult<Json<SettingList>> {
    list_in(state, None).await
}

#[utoipa::path(get, path = "/api/settings/{key}", operation_id = "getSetting", tag = "settings",
    summary = "Get a global setting",
    responses((status = 200, description = "The setting", body = Setting, example = setting_example)))]
pub async fn get_setting(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<Json<Setting>> {
    get_in(state, setting(None, key)).await
}

#[utoipa::path(put, path = "/api/settings/{key}", operation_id = "putSetting", tag = "settings",
    summary = "Set a global setting",
    description = "The body is the value: any JSON but `null`, at most 64 KiB (`413` otherwise).",
    request_body(content = Value, example = json!({"theme": "dark", "fontSize": 14})),
    responses((status = 200, description = "The setting", body = Setting, example = setting_example)))]
pub async fn put_setting(
    State(state): State<AppState>,
    Path(key): Path<String>,
    payload: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Setting>> {
    put_in(state, setting(None, key), payload).await
}

#[utoipa::path(patch, path = "/api/settings/{key}", operation_id = "patchSetting", tag = "settings",
    summary = "Merge into a global setting",
    description = "The body is a JSON merge patch (RFC 7396) applied to an object value; `null` members remove keys.",
    request_body(content = Value, example = json!({"fontSize": 16})),
    responses((status = 200, description = "The merged setting", body = Setting, example = setting_example)))]
pub async fn patch_setting(
    State(state): State<AppState>,
    Path(key): Path<String>,
    payload: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Setting>> {
    patch_in(state, setting(None, key), payload).await
}

#[utoipa::path(delete, path = "/api/settings/{key}", operation_id = "deleteSetting", tag = "settings",
    summary = "Unset a global setting",
    responses((status = 204, description = "Unset")))]
pub async fn delete_setting(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    delete_in(state, setting(None, key)).await
}

#[utoipa::path(get, path = "/api/sessions/{id}/settings", operation_id = "listSessionSettings", tag = "settings",
    summary = "List a session's settings",
    responses((status = 200, description = "Every setting of the session, by key", body = SettingList,
        example = json!({"settings": [setting_example()]}))))]
pub async fn list_session_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SettingList>> {
    list_in(state, Some(id)).await
}

#[utoipa::path(get, path = "/api/sessions/{id}/settings/{key}", operation_id = "getSessionSetting", tag = "settings",
    summary = "Get a session's setting",
    responses((status = 200, description = "The setting", body = Setting, example = setting_example)))]
pub async fn get_session_setting(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<Json<Setting>> {
    get_in(state, setting(Some(id), key)).await
}

#[utoipa::path(put, path = "/api/sessions/{id}/settings/{key}", operation_id = "putSessionSetting", tag = "settings",
    summary = "Set a session's setting",
    description = "The body is the value: any JSON but `null`, at most 64 KiB (`413` otherwise).",
    request_body(content = Value, example = json!({"pinned": true})),
    responses((status = 200, description = "The setting", body = Setting, example = setting_example)))]
pub async fn put_session_setting(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    payload: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Setting>> {
    put_in(state, setting(Some(id), key), payload).await
}

#[utoipa::path(patch, path = "/api/sessions/{id}/settings/{key}", operation_id = "patchSessionSetting", tag = "settings",
    summary = "Merge into a session's setting",
    description = "The body is a JSON merge patch (RFC 7396) applied to an object value.",
    request_body(content = Value, example = json!({"pinned": false})),
    responses((status = 200, description = "The merged setting", body = Setting, example = setting_example)))]
pub async fn patch_session_setting(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    payload: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Setting>> {
    patch_in(state, setting(Some(id), key), payload).await
}

#[utoipa::path(delete, path = "/api/sessions/{id}/settings/{key}", operation_id = "deleteSessionSetting", tag = "settings",
    summary = "Unset a session's setting",
    responses((status = 204, description = "Unset")))]
pub async fn delete_session_setting(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    delete_in(state, setting(Some(id), key)).await
}

fn setting_example() -> Value {
    json!({ "key": "ui.preferences", "value": { "theme": "dark", "fontSize": 14 },
            "updatedAt": "2026-11-25T09:30:00Z" })
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
