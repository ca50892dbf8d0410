//! `ApiError`: the one place bus error codes become HTTP statuses. The body is always
//! `{"error": {"code", "message", "details"}}` — also for what no handler produced: axum's own
//! 404/405 and extractor rejections and the body limit's 413 are rewritten by [`json_errors`].

use axum::Json;
use axum::extract::Request;
use axum::extract::rejection::JsonRejection;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cm_schemas::{BusError, ErrorCode};
use serde_json::json;

#[derive(Debug)]
pub struct ApiError(pub BusError);

impl From<BusError> for ApiError {
    fn from(e: BusError) -> Self {
        ApiError(e)
    }
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Validation => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict | ErrorCode::AlreadyResolved | ErrorCode::NoActiveTurn => {
            StatusCode::CONFLICT
        }
        ErrorCode::Gone => StatusCode::GONE,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Locked => StatusCode::LOCKED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::NotSupported => StatusCode::NOT_IMPLEMENTED,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::RuntimeError => StatusCode::BAD_GATEWAY,
        ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
    }
}

/// What `Retry-After` says on `503 unavailable` and `429` when the error names no wait of its
/// own: a dependency that restarts or a slot that frees up is usually back within a second.
const RETRY_AFTER_SECS: u64 = 1;
/// The longest wait an error's `details.retryAfterSecs` may ask for.
const MAX_RETRY_AFTER_SECS: u64 = 3600;

/// `Retry-After` of an error: its `details.retryAfterSecs` when it names one (the queue worker's
/// `queue_full`), 1 to [`MAX_RETRY_AFTER_SECS`], else [`RETRY_AFTER_SECS`].
pub fn retry_after_secs(e: &BusError) -> u64 {
    e.details["retryAfterSecs"]
        .as_u64()
        .map_or(RETRY_AFTER_SECS, |s| s.clamp(1, MAX_RETRY_AFTER_SECS))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.0.code);
        if status.is_server_error() {
            tracing::warn!(code = %self.0.code, message = %self.0.message, "request failed");
        }
        let mut resp = (status, Json(serde_json::json!({ "error": self.0 }))).into_response();
        if matches!(self.0.code, ErrorCode::Unavailable | ErrorCode::RateLimited) {
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs(&self.0)));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// An axum body rejection: over the size limit stays `payload_too_large`, anything else is a
/// validation error of `field`.
pub fn rejection(status: StatusCode, field: &str, message: String) -> BusError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        BusError::new(ErrorCode::PayloadTooLarge, message)
    } else {
        BusError::validation(field, message)
    }
}

/// A JSON body that is missing its content type (`details.field = "Content-Type"`), is not
/// JSON or does not fit the type (`"body"`), or is too large (413).
impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        let field = match &e {
            JsonRejection::MissingJsonContentType(_) => "Content-Type",
            _ => "body",
        };
        ApiError(rejection(e.status(), field, e.body_text()))
    }
}

/// The error a non-JSON error response stands for: its status decides the code (unknown
/// statuses fall back to `validation` for 4xx and `internal` for 5xx).
fn error_for(status: StatusCode, text: String, method: &str, path: &str) -> BusError {
    let route = json!({ "method": method, "path": path });
    let (code, message) = match status.as_u16() {
        404 => (ErrorCode::NotFound, format!("no route for {path}")),
        405 => (
            ErrorCode::MethodNotAllowed,
            format!("{method} is not allowed on {path}"),
        ),
        401 => (ErrorCode::Unauthorized, text),
        403 => (ErrorCode::Forbidden, text),
        408 | 504 => (ErrorCode::Timeout, text),
        409 => (ErrorCode::Conflict, text),
        410 => (ErrorCode::Gone, text),
        413 => (
            ErrorCode::PayloadTooLarge,
            "request body is too large".to_owned(),
        ),
        423 => (ErrorCode::Locked, text),
        429 => (ErrorCode::RateLimited, text),
        415 => return BusError::validation("Content-Type", text),
        400..=499 => {
            let field = if text.contains("query string") {
                "query"
            } else if text.contains("path") || text.contains("URL") {
                "path"
            } else {
                "request"
            };
            return BusError::validation(field, text);
        }
        501 => (ErrorCode::NotSupported, text),
        503 => return BusError::unavailable("gateway", text),
        _ => (ErrorCode::Internal, text),
    };
    let err = BusError::new(code, message);
    match code {
        ErrorCode::NotFound | ErrorCode::MethodNotAllowed => err.with_details(route),
        _ => err,
    }
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"))
}

/// Rewrites every error response that is not JSON yet into the `{error}` shape, keeping the
/// `Allow` header of a 405.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&resp) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let text = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut out = ApiError(error_for(status, text, &method, &path)).into_response();
    if let Some(allow) = parts.headers.get(ALLOW) {
        out.headers_mut().insert(ALLOW, allow.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_without_a_handler_get_stable_codes() {
        let e = |s: u16, t: &str| {
            error_for(
                StatusCode::from_u16(s).unwrap_or_default(),
                t.into(),
                "GET",
                "/api/x",
            )
        };
        assert_eq!(e(404, "").code, ErrorCode::NotFound);
        assert_eq!(e(404, "").details["path"], "/api/x");
        assert_eq!(e(405, "").code, ErrorCode::MethodNotAllowed);
        assert_eq!(
            e(413, "length limit exceeded").code,
            ErrorCode::PayloadTooLarge
        );
        let q = e(400, "Failed to deserialize query string: invalid digit");
        assert_eq!(
            (q.code, q.details["field"].as_str()),
            (ErrorCode::Validation, Some("query"))
        );
        assert_eq!(e(415, "x").details["field"], "Content-Type");
        assert_eq!(e(500, "x").code, ErrorCode::Internal);
        assert_eq!(status_of(ErrorCode::MethodNotAllowed).as_u16(), 405);
    }

    #[test]
    fn retry_after_follows_the_errors_own_wait() {
        let full = |secs: serde_json::Value| {
            BusError::new(ErrorCode::RateLimited, "queue full")
                .with_details(json!({ "reason": "queue_full", "retryAfterSecs": secs }))
        };
        let header = |e: BusError| {
            ApiError(e)
                .into_response()
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok().map(str::to_owned))
        };
        assert_eq!(header(full(json!(5))).as_deref(), Some("5"));
        assert_eq!(header(full(json!(0))).as_deref(), Some("1"));
        assert_eq!(header(full(json!(1_000_000))).as_deref(), Some("3600"));
        assert_eq!(header(full(json!("x"))).as_deref(), Some("1"));
        let plain = BusError::new(ErrorCode::RateLimited, "too many streams");
        assert_eq!(header(plain).as_deref(), Some("1"));
        let down = BusError::unavailable("session", "down");
        assert_eq!(header(down).as_deref(), Some("1"));
        assert_eq!(header(BusError::validation("x", "y")), None);
    }
}
