//! `GET /api/health` (the process is up; no auth) and `GET /api/ready` (every dependency is).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cm_schemas::commands;
use cm_schemas::health::GetConsumerStatus;
use cm_schemas::http::{Health, Readiness};
use cm_schemas::queue::Empty;
use cm_schemas::session::ListSessions;
use serde_json::{Value, json};

use crate::state::AppState;

mod endpoints;

const READY_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Liveness of the gateway process
///
/// Needs no token. Answers as long as the process serves HTTP, whatever its dependencies do.
#[utoipa::path(get, path = "/api/health", operation_id = "getHealth", tag = "system",
    security(()),
    responses((status = 200, description = "The gateway is up", body = Health,
        example = json!({"status": "ok", "service": "cm-gateway", "version": "0.1.0"}))))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        service: "cm-gateway".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness of every dependency
///
/// Asks each service for a cheap answer that exercises its own dependencies: the session service
/// reads Postgres, the bridge reports whether app-server is initialized, the queue worker counts
/// jobs. `events` is the session service's event consumer: not ready when it is stuck on one
/// event, lags without progress or stopped (`deadLetters` counts what it gave up on).
/// `endpoints` reads every service's `$SRV.STATS`: not ready when a command endpoint stopped
/// serving; handler panics are counted there. 200 when all are ready, 503 with the state of each
/// otherwise.
#[utoipa::path(get, path = "/api/ready", operation_id = "getReady", tag = "system",
    responses(
        (status = 200, description = "NATS, Postgres, the runtime and the queue are ready",
            body = Readiness, example = readiness_example),
        (status = 503, description = "Something is not ready; `checks` says what",
            body = Readiness)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    // Readiness answers fast: each check gets a short time-out of its own.
    let state = AppState {
        request_timeout: READY_CHECK_TIMEOUT,
        ..state
    };
    let nats = state.bus.is_connected();
    // All at once: a service that hangs costs one time-out, not one per check.
    let list_one = ListSessions {
        limit: Some(1),
        ..Default::default()
    };
    let (session, runtime, queue, events, endpoints) = tokio::join!(
        state.call::<commands::session::List>(&list_one),
        state.call::<commands::runtime::Status>(&Empty {}),
        state.call::<commands::queue::Stats>(&Empty {}),
        state.call::<commands::session::ConsumerStatus>(&GetConsumerStatus {}),
        endpoints::check(&state.bus, READY_CHECK_TIMEOUT),
    );
    let runtime_ready = matches!(&runtime, Ok(s) if s.initialized);
    let events_ready = matches!(&events, Ok(s) if s.healthy);
    let ready = nats
        && session.is_ok()
        && runtime_ready
        && queue.is_ok()
        && events_ready
        && endpoints.ready;
    let check = |ok: bool, err: Option<String>| json!({ "ready": ok, "error": err });
    let checks = json!({
            "nats": check(nats, None),
            "postgres": check(session.is_ok(), session.as_ref().err().map(|e| e.to_string())),
            "runtime": {
                "ready": runtime_ready,
                "status": runtime.as_ref().ok(),
                "error": runtime.as_ref().err().map(|e| e.to_string()),
            },
            "queue": check(queue.is_ok(), queue.as_ref().err().map(|e| e.to_string())),
            "events": {
                "ready": events_ready,
                "status": events.as_ref().ok(),
                "error": match &events {
                    Ok(s) => s.problem.as_ref().map(|p| format!("event consumer {p}")),
                    Err(e) => Some(e.to_string()),
                },
            },
            "endpoints": endpoints,
            "auth": { "ready": true, "mode": "bearer" },
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(Readiness { ready, checks }))
}

fn readiness_example() -> Value {
    let ok = json!({ "ready": true, "error": null });
    json!({
        "ready": true,
        "checks": {
            "nats": ok, "postgres": ok, "queue": ok,
            "runtime": { "ready": true, "error": null, "status": {
                "bridgeId": "bridge-1", "initialized": true, "pid": 4242, "restarts": 0,
                "lastExit": null, "userAgent": "codex_cli_rs/0.171.0",
                "capabilities": ["model/list", "account/read"] } },
            "events": { "ready": true, "error": null, "status": {
                "healthy": true, "applied": 1520, "lastAppliedSeq": 1520,
                "lastAppliedAt": "2026-12-07T10:00:00Z", "pending": 0, "redeliveries": 0,
                "failingAttempts": 0, "deadLetters": 0, "deadLettersTotal": 0 } },
            "endpoints": { "ready": true, "services": ["cm-gateway", "cm-queue-worker",
                "cm-runtime-bridge", "cm-session"], "stopped": [], "panics": {} },
            "auth": { "ready": true, "mode": "bearer" },
        }
    })
}
