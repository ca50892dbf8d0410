//! The envelope of every command reply: exactly one of `ok` or `error`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::BusError;

/// `{"ok": T}` or `{"error": BusError}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Reply<T> {
    Ok(T),
    Error(BusError),
}

impl<T> From<Result<T, BusError>> for Reply<T> {
    fn from(r: Result<T, BusError>) -> Self {
        match r {
            Ok(v) => Reply::Ok(v),
            Err(e) => Reply::Error(e),
        }
    }
}

impl<T> From<Reply<T>> for Result<T, BusError> {
    fn from(r: Reply<T>) -> Self {
        match r {
            Reply::Ok(v) => Ok(v),
            Reply::Error(e) => Err(e),
        }
    }
}
