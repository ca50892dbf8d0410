//! Typed errors carried in bus replies. The gateway maps [`ErrorCode`] to HTTP statuses in one
//! place; every other consumer can branch on the code without parsing messages.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Stable, machine-readable error codes. Never rename one: add a new code instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed; `details.field` names the offending field.
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    /// The target existed and was deleted.
    Gone,
    AlreadyResolved,
    NoActiveTurn,
    PayloadTooLarge,
    Locked,
    RateLimited,
    /// The pinned runtime does not implement the method.
    NotSupported,
    /// A dependency (NATS, Postgres, runtime) is down; `details.dependency` names it.
    Unavailable,
    /// The runtime (codex app-server) answered with an error.
    RuntimeError,
    Timeout,
    Internal,
    /// The route exists but not for this HTTP method (the `Allow` header lists those it has).
    MethodNotAllowed,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Gone => "gone",
            Self::AlreadyResolved => "already_resolved",
            Self::NoActiveTurn => "no_active_turn",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Locked => "locked",
            Self::RateLimited => "rate_limited",
            Self::NotSupported => "not_supported",
            Self::Unavailable => "unavailable",
            Self::RuntimeError => "runtime_error",
            Self::Timeout => "timeout",
            Self::Internal => "internal",
            Self::MethodNotAllowed => "method_not_allowed",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as it travels on the bus and out of the HTTP API (`{error: BusError}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BusError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

impl BusError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
            .with_details(serde_json::json!({ "field": field }))
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} {id} not found"))
            .with_details(serde_json::json!({ "resource": what, "id": id }))
    }

    pub fn unavailable(dependency: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
            .with_details(serde_json::json!({ "dependency": dependency }))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl std::fmt::Display for BusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for BusError {}
