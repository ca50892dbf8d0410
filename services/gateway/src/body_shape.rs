//! A typed request body is a JSON object. serde also reads a struct from a JSON array (its
//! fields in order), so `[null, null]` passed for `{"name"?, "cwd"?}` and changed nothing
//! with a `200`: the document says `type: object`, and the gateway holds clients to it. The
//! body stays as it came (the handler parses it); only its first byte is looked at.
//!
//! Settings values (`PUT /api/settings/{key}` and the session's) may be any JSON, arrays
//! included, so those routes are left out.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cm_schemas::BusError;

use crate::error::{ApiError, rejection};

pub async fn middleware(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let any_json = matched
        .as_ref()
        .is_some_and(|m| m.as_str().contains("/settings/"));
    if any_json || !req.headers().contains_key(axum::http::header::CONTENT_TYPE) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match Bytes::from_request(Request::new(body), &()).await {
        Ok(b) => b,
        Err(e) => return ApiError(rejection(e.status(), "body", e.body_text())).into_response(),
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return ApiError(BusError::validation(
            "body",
            "the body must be a JSON object",
        ))
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
