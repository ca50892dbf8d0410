//! `Idempotency-Key` on `POST`: a repeated request with the same key and the same content
//! answers what the first one answered, without running it again.
//!
//! The middleware runs inside auth, for `POST`s that carry the header (other requests pass
//! through untouched). It hashes the request — SHA-256 over the method, the path with its
//! query, and the body (canonical JSON with sorted keys when it parses, else the raw bytes) —
//! and asks the session service (`cm.v1.session.idempotency.begin`), which keeps the records in
//! Postgres (`session.idempotency`) for 24 hours:
//!
//! - new key: reserved; the handler runs — in a task of its own, so a client that hangs up
//!   does not cancel it half-way; its response is stored (`cm.v1.session.idempotency.complete`)
//!   and returned. A key whose request may have executed is never released: every answer is
//!   stored, `500`, `502` and `504` included, and replayed to a retry. Only the answers that
//!   say nothing ran release the key for another try ([`nothing_ran`]): `400` (the request
//!   itself is invalid), `413`, `429`, and `503 unavailable` (a dependency was down before the
//!   command ran). A body over [`MAX_STORED_BODY_BYTES`] cannot be stored: the key stays
//!   reserved until its lease ends (logged);
//! - same key, same request, completed: the stored status, content type and body, with
//!   `Idempotent-Replayed: true`;
//! - same key, different request: `409 conflict`;
//! - same key while the first request runs: `409 conflict` with `details.inProgress = true`, at
//!   once (the client retries later). A reservation whose holder died is taken over by the same
//!   request after its lease ([`lease`]).
//!
//! Keys are scoped by principal: a hash of the bearer token (there is one token today), so a
//! new token starts a fresh key space.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cm_schemas::BusError;
use cm_schemas::commands;
use cm_schemas::idempotency::{
    BeginIdempotent, BeginOutcome, CompleteIdempotent, CompleteOutcome, MAX_KEY_LEN,
    MAX_STORED_BODY_BYTES, StoredResponse, valid_key,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, rejection};
use crate::state::AppState;

/// The request header carrying the client's key.
pub const KEY_HEADER: &str = "idempotency-key";
/// Set to `true` on a replayed response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// State of the middleware: the bus, and the principal keys are scoped by.
#[derive(Clone)]
pub struct Idempotency {
    state: AppState,
    scope: Arc<str>,
}

impl Idempotency {
    pub fn new(state: AppState, token: &str) -> Self {
        let scope = format!("token:{}", &hex(&Sha256::digest(token.as_bytes()))[..32]);
        Self {
            state,
            scope: Arc::from(scope),
        }
    }
}

/// How long a reservation blocks its key before the same request may take it over: twice the
/// command time-out, so a live request always finishes first.
fn lease(request_timeout: Duration) -> u32 {
    u32::try_from(request_timeout.as_secs().saturating_mul(2).max(60)).unwrap_or(u32::MAX)
}

pub async fn middleware(State(idem): State<Idempotency>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let mut values = req.headers().get_all(KEY_HEADER).iter();
    let Some(value) = values.next() else {
        return next.run(req).await;
    };
    if values.next().is_some() {
        return bad_key("send one Idempotency-Key header");
    }
    let Some(key) = value.to_str().ok().filter(|k| valid_key(k)) else {
        return bad_key(&format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters (! to ~)"
        ));
    };
    let key = key.to_owned();
    let (parts, body) = req.into_parts();
    let bytes = match Bytes::from_request(Request::new(body), &()).await {
        Ok(b) => b,
        Err(e) => return ApiError(rejection(e.status(), "body", e.body_text())).into_response(),
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let begin = BeginIdempotent {
        scope: idem.scope.to_string(),
        key: key.clone(),
        request_hash: request_hash(parts.method.as_str(), path, &bytes),
        method: parts.method.to_string(),
        path: path.to_owned(),
        ttl_secs: None,
        lease_secs: Some(lease(idem.state.request_timeout)),
    };
    let outcome: Result<BeginOutcome, BusError> = idem
        .state
        .call::<commands::session::IdempotencyBegin>(&begin)
        .await;
    let reservation = match outcome {
        Ok(BeginOutcome::Proceed { reservation }) => reservation,
        Ok(BeginOutcome::Replay { response }) => return replay(response),
        Err(e) => return ApiError(e).into_response(),
    };
    // Once reserved, the request runs to its end and its answer is recorded even when the
    // client goes away meanwhile: a retry must find the outcome, not a half-run request.
    let run = tokio::spawn(async move {
        let response = next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
        finish(&idem, key, reservation, response).await
    });
    match run.await {
        Ok(response) => response,
        Err(e) => {
            // A panic in the handler: the reservation stays until its lease ends.
            ApiError(BusError::internal(format!("request failed: {e}"))).into_response()
        }
    }
}

/// Whether an answer says the request did not run, so its key may be used again: the request
/// was refused as it stands (`400`, `413`), no slot was free (`429`), or a dependency was down
/// before the command ran (`503 unavailable`). Anything else may have executed something.
fn nothing_ran(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
    )
}

/// Stores the handler's response for replay (or releases the key) and returns the response.
async fn finish(idem: &Idempotency, key: String, reservation: String, resp: Response) -> Response {
    let status = resp.status();
    let mut done = CompleteIdempotent {
        scope: idem.scope.to_string(),
        key,
        reservation,
        response: None,
    };
    if nothing_ran(status) {
        complete(idem, &done).await;
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            // The request ran; its answer is lost. The key stays reserved until its lease ends.
            tracing::warn!(key = %done.key, error = %e, "response could not be read: not stored");
            let e = BusError::internal(format!("response could not be read: {e}"));
            return ApiError(e).into_response();
        }
    };
    match std::str::from_utf8(&bytes) {
        Ok(text) if bytes.len() <= MAX_STORED_BODY_BYTES => {
            done.response = Some(StoredResponse {
                status: status.as_u16(),
                content_type: parts
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body: text.to_owned(),
            });
        }
        _ => {
            // Not storable, yet it ran: the key is not released (a retry waits out the lease).
            tracing::warn!(
                key = %done.key,
                bytes = bytes.len(),
                "response too large or not UTF-8: not stored; the key stays reserved"
            );
            return Response::from_parts(parts, Body::from(bytes));
        }
    }
    complete(idem, &done).await;
    Response::from_parts(parts, Body::from(bytes))
}

/// Stores or releases; a failure here cannot undo the handler's work, so it is only logged (the
/// reservation then blocks the key until its lease ends).
async fn complete(idem: &Idempotency, done: &CompleteIdempotent) {
    let result: Result<CompleteOutcome, BusError> = idem
        .state
        .call::<commands::session::IdempotencyComplete>(done)
        .await;
    match result {
        Ok(CompleteOutcome { applied: true }) => {}
        Ok(_) => {
            tracing::warn!(key = %done.key, "idempotency reservation was lost before completion")
        }
        Err(e) => tracing::warn!(key = %done.key, error = %e, "idempotency record not completed"),
    }
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, stored.body).into_response();
    let headers = resp.headers_mut();
    headers.remove(CONTENT_TYPE);
    if let Some(ct) = stored
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        headers.insert(CONTENT_TYPE, ct);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    resp
}

fn bad_key(message: &str) -> Response {
    ApiError(BusError::validation("Idempotency-Key", message)).into_response()
}

/// SHA-256 over the length-prefixed method, path (with query) and canonical body, as hex.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(v) if !body.is_empty() => {
            let mut out = Vec::with_capacity(body.len());
            canonical(&v, &mut out);
            out
        }
        _ => body.to_vec(),
    };
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), &body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex(&h.finalize())
}

/// Compact JSON with object keys sorted, so key order and whitespace do not change the hash.
fn canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(k.clone()), out);
                out.push(b':');
                canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(v, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(v: &Value, out: &mut Vec<u8>) {
    // Writing JSON into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_key_order_and_whitespace_but_not_content() {
        let a = request_hash("POST", "/api/sessions", br#"{"title":"t","cwd":"/x"}"#);
        let b = request_hash(
            "POST",
            "/api/sessions",
            b"{ \"cwd\": \"/x\",\n \"title\": \"t\" }",
        );
        let c = request_hash("POST", "/api/sessions", br#"{"title":"u","cwd":"/x"}"#);
        let d = request_hash("POST", "/api/sessions?x=1", br#"{"title":"t","cwd":"/x"}"#);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.len(), 64);
        assert_ne!(
            request_hash("POST", "/a", b""),
            request_hash("POST", "/", b"a")
        );
    }

    #[test]
    fn nested_objects_are_sorted() {
        let mut out = Vec::new();
        canonical(
            &serde_json::json!({ "b": [ { "z": 1, "a": null } ], "a": "é\"" }),
            &mut out,
        );
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"a":"é\"","b":[{"a":null,"z":1}]}"#
        );
    }

    #[test]
    fn only_answers_where_nothing_ran_release_the_key() {
        for kept in [200, 201, 202, 404, 409, 410, 423, 500, 501, 502, 504] {
            let status = StatusCode::from_u16(kept).unwrap_or_default();
            assert!(!nothing_ran(status), "{kept}");
        }
        for released in [400, 413, 429, 503] {
            let status = StatusCode::from_u16(released).unwrap_or_default();
            assert!(nothing_ran(status), "{released}");
        }
    }

    #[test]
    fn the_lease_outlives_a_command() {
        assert_eq!(lease(Duration::from_secs(90)), 180);
        assert_eq!(lease(Duration::from_secs(1)), 60);
    }
}
