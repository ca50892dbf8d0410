//! Request bodies as handlers take them. Every route reads its JSON body through these, so a
//! body that does not fit answers the same `{error}` everywhere (validation naming the field,
//! or 413) instead of axum's plain-text rejection.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use cm_schemas::BusError;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// Turns axum's body rejection into our error (validation naming the field, or 413).
pub fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload.map(|Json(v)| v).map_err(ApiError::from)
}

/// A JSON body that may be left out entirely.
pub fn optional_body<T: DeserializeOwned + Default>(raw: &[u8]) -> ApiResult<T> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(raw)
        .map_err(|e| ApiError(BusError::validation("body", format!("invalid body: {e}"))))
}
