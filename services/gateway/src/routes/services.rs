//! `GET /api/services`: every running service instance as NATS service discovery reports it
//! (`$SRV.STATS`): name, id, version, start time and each endpoint's request and error counts,
//! processing time and last error. Instances answer on their own, so the gateway collects the
//! replies that arrive within a short window.

use std::time::Duration;

use async_nats::service::Stats;
use axum::Json;
use axum::extract::State;
use cm_schemas::BusError;
use cm_schemas::http::{EndpointStats, ServiceInstance, ServiceList};
use futures::StreamExt;

use crate::error::ApiResult;
use crate::state::AppState;

/// How long replies are collected: instances on one NATS answer within milliseconds.
const COLLECT: Duration = Duration::from_millis(300);

#[utoipa::path(get, path = "/api/services", operation_id = "listServices", tag = "system",
    summary = "Every service instance and its endpoints' statistics",
    description = "What NATS service discovery (`$SRV.STATS`) reports for each running instance of the four services: version, start time, and per endpoint (bus command) the requests, processing time and the NATS-level errors (a typed error reply such as `not_found` is an answer, not an error here). Instances that do not answer within 300 ms are left out.",
    responses((status = 200, description = "Instances by name, then id", body = ServiceList,
        example = json!({"services": [{
            "name": "cm-session", "id": "q8V3kP0nT7xY2cB4", "version": "0.1.0",
            "started": "2026-11-25T09:00:00Z",
            "endpoints": [{ "name": "cm-v1-session-get", "subject": "cm.v1.session.get",
                "requests": 42, "errors": 0, "processingTimeMs": 84.2,
                "averageProcessingTimeMs": 2.0, "lastError": null }]
        }]}))))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<ServiceList>> {
    let client = state.bus.client();
    let inbox = client.new_inbox();
    let mut replies = client
        .subscribe(inbox.clone())
        .await
        .map_err(|e| BusError::unavailable("nats", e.to_string()))?;
    client
        .publish_with_reply("$SRV.STATS", inbox, "".into())
        .await
        .map_err(|e| BusError::unavailable("nats", e.to_string()))?;
    let mut services = Vec::new();
    let deadline = tokio::time::sleep(COLLECT);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            msg = replies.next() => match msg {
                Some(msg) => match serde_json::from_slice::<Stats>(&msg.payload) {
                    Ok(stats) => services.push(instance(stats, &msg.payload)),
                    Err(e) => tracing::debug!(error = %e, "unreadable $SRV.STATS reply"),
                },
                None => break,
            },
            _ = &mut deadline => break,
        }
    }
    services.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Ok(Json(ServiceList { services }))
}

/// `payload` is the reply as sent: its `started` is already RFC 3339.
fn instance(s: Stats, payload: &[u8]) -> ServiceInstance {
    let raw: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    ServiceInstance {
        name: s.name,
        id: s.id,
        version: s.version,
        started: raw["started"].as_str().unwrap_or_default().to_owned(),
        endpoints: s
            .endpoints
            .into_iter()
            .map(|e| EndpointStats {
                name: e.name,
                subject: e.subject,
                requests: e.requests as u64,
                errors: e.errors as u64,
                processing_time_ms: ms(e.processing_time),
                average_processing_time_ms: ms(e.average_processing_time),
                last_error: e.last_error.map(|err| err.to_string()),
            })
            .collect(),
    }
}
