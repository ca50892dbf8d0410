//! The HTTP server: `POST /v1/responses` plays the script, `GET /v1/models` lists the model,
//! anything else is a 404 JSON error.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::play::{self, Plan};
use crate::recorder::Recorder;
use crate::request::TurnState;
use crate::script::Script;
use crate::sse;
use crate::text::Placeholders;
use crate::usage::Usage;

/// Codex sends the whole history each time; leave room for long threads.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// How long a cut waits so that the frames before it reach the client.
const CUT_FLUSH_GRACE: Duration = Duration::from_millis(20);

#[derive(Clone)]
struct AppState {
    script: Arc<Script>,
    recorder: Recorder,
    /// Fired on shutdown so that open streams end instead of holding the server up.
    cancel: CancellationToken,
}

/// Serves `script` on `listener` until `shutdown` completes; open streams are then cut.
pub async fn run(
    script: Arc<Script>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    serve(script, listener, shutdown, Recorder::default()).await
}

/// [`run`], recording request bodies into `recorder`.
pub(crate) async fn serve(
    script: Arc<Script>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    recorder: Recorder,
) -> Result<(), Error> {
    let cancel = CancellationToken::new();
    let state = AppState {
        script,
        recorder,
        cancel: cancel.clone(),
    };
    let app = Router::new()
        .route("/v1/responses", post(responses).fallback(not_found))
        .route("/v1/models", get(models).fallback(not_found))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    // Deltas are tiny writes: without TCP_NODELAY they can sit in Nagle's buffer.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            cancel.cancel();
        })
        .await
        .map_err(Error::Serve)
}

async fn responses(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok());
    if encoding.is_some_and(|encoding| !encoding.eq_ignore_ascii_case("identity")) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "mock-model does not accept compressed request bodies",
            "unsupported_encoding",
        );
    }
    let json: Value = match serde_json::from_slice(&body) {
        Ok(json) => json,
        Err(err) => {
            let message = format!("the body is not JSON: {err}");
            return error_response(StatusCode::BAD_REQUEST, &message, "invalid_json");
        }
    };
    tracing::debug!(body = %json, "request");
    state.recorder.push(json.clone());
    let turn = match TurnState::from_body(&json) {
        Ok(turn) => turn,
        Err(message) => return error_response(StatusCode::BAD_REQUEST, &message, "invalid_body"),
    };
    let script = &state.script;
    let Some((rule, step)) = script
        .select(&turn.user_text)
        .and_then(|rule| Some((rule, rule.step(turn.tool_outputs)?)))
    else {
        let message = "no rule of the mock-model script answers this request";
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            message,
            "no_matching_rule",
        );
    };
    tracing::info!(
        rule = rule.label(),
        step = turn.tool_outputs.min(rule.steps.len().saturating_sub(1)),
        "answering"
    );
    if let Some(error) = step.http_error() {
        let status =
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let default_type = if status.is_client_error() {
            "invalid_request_error"
        } else {
            "server_error"
        };
        let error_type = error.error_type.as_deref().unwrap_or(default_type);
        let code = error.code.as_deref().unwrap_or("mock_error");
        let body = sse::error_body(&error.message, error_type, code);
        return (status, axum::Json(body)).into_response();
    }
    let delay_ms = step.delay_ms.or(rule.delay_ms).or(script.delay_ms);
    let usage = [step.usage, rule.usage, script.usage]
        .into_iter()
        .flatten()
        .fold(Usage::default(), Usage::or);
    let plan = Plan {
        step: step.clone(),
        delay: Duration::from_millis(delay_ms.unwrap_or(0)),
        usage,
        placeholders: Placeholders::new(&turn.user_text, turn.last_tool_output.as_deref()),
        input_tokens: u64::try_from(body.len().div_ceil(4)).unwrap_or(u64::MAX),
        model: script.model_name().to_owned(),
    };
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(play::play(plan, tx, state.cancel.clone()));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        if chunk.is_err() {
            // hyper drops the connection on a body error without flushing what it buffered;
            // staying pending a moment lets it flush the frames sent before the cut.
            tokio::time::sleep(CUT_FLUSH_GRACE).await;
        }
        Some((chunk, rx))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn models(State(state): State<AppState>) -> Response {
    let model = state.script.model_name();
    axum::Json(json!({
        "object": "list",
        "data": [{"id": model, "object": "model", "created": 0, "owned_by": "codex-manager"}],
        "models": [],
    }))
    .into_response()
}

async fn not_found(method: Method, uri: Uri) -> Response {
    let message = format!("mock-model has no route for {method} {}", uri.path());
    error_response(StatusCode::NOT_FOUND, &message, "not_found")
}

fn error_response(status: StatusCode, message: &str, code: &str) -> Response {
    let error_type = if status.is_client_error() {
        "invalid_request_error"
    } else {
        "server_error"
    };
    (
        status,
        axum::Json(sse::error_body(message, error_type, code)),
    )
        .into_response()
}
