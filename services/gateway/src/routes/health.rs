//! `GET /api/health` (the process is up; no auth) and `GET /api/ready` (every dependency is).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cm_schemas::queue::{Empty, QueueStats};
use cm_schemas::runtime::RuntimeStatus;
use cm_schemas::session::{ListSessions, SessionPage};
use cm_schemas::subjects::{self, prefix, verb};
use serde_json::{Value, json};

use crate::state::AppState;

const READY_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "service": "cm-gateway", "version": env!("CARGO_PKG_VERSION") }))
}

/// Asks each service for a cheap answer that exercises its own dependencies: the session service
/// reads Postgres, the bridge reports whether app-server is initialized, the queue worker counts
/// jobs. 200 when all are ready, 503 with the state of each otherwise.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // Readiness answers fast: each check gets a short time-out of its own.
    let state = AppState {
        request_timeout: READY_CHECK_TIMEOUT,
        ..state
    };
    let nats = state.bus.is_connected();
    let session = state
        .command::<_, SessionPage>(
            &subjects::command(prefix::SESSION, verb::SESSION_LIST),
            &ListSessions {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await;
    let runtime = state
        .command::<_, RuntimeStatus>(&subjects::command(prefix::RUNTIME, verb::STATUS), &Empty {})
        .await;
    let queue = state
        .command::<_, QueueStats>(
            &subjects::command(prefix::QUEUE, verb::QUEUE_STATS),
            &Empty {},
        )
        .await;
    let runtime_ready = matches!(&runtime, Ok(s) if s.initialized);
    let ready = nats && session.is_ok() && runtime_ready && queue.is_ok();
    let check = |ok: bool, err: Option<String>| json!({ "ready": ok, "error": err });
    let body = json!({
        "ready": ready,
        "checks": {
            "nats": check(nats, None),
            "postgres": check(session.is_ok(), session.as_ref().err().map(|e| e.to_string())),
            "runtime": {
                "ready": runtime_ready,
                "status": runtime.as_ref().ok(),
                "error": runtime.as_ref().err().map(|e| e.to_string()),
            },
            "queue": check(queue.is_ok(), queue.as_ref().err().map(|e| e.to_string())),
            "auth": { "ready": true, "mode": "bearer" },
        }
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
