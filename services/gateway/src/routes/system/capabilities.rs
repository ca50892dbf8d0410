//! `GET /api/capabilities`: what this gateway and the runtime behind it can do, route by route.

use axum::Json;
use axum::extract::State;
use cm_schemas::http::{Capabilities, RuntimeCapabilities, SystemRoute};
use cm_schemas::queue::Empty;
use cm_schemas::{CONTRACT_VERSION, commands};

use super::table::Http::{Get, Post};
use super::{API_VERSION, ROUTES};
use crate::state::AppState;

const STATUS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

#[utoipa::path(get, path = "/api/capabilities", operation_id = "getCapabilities", tag = "system",
    summary = "Versions, the runtime's capabilities and what each system route needs",
    responses((status = 200, description = "Also while the runtime is down (`runtime: null`)",
        body = Capabilities, example = json!({
            "apiVersion": "1.0.0", "contractVersion": "1.0.0", "gatewayVersion": "0.1.0",
            "runtime": { "bridgeId": "bridge-1", "initialized": true,
                         "userAgent": "codex_cli_rs/0.169.0", "capabilities": ["model/list"] },
            "routes": [{ "method": "GET", "path": "/api/models", "runtimeMethod": "model/list",
                         "capability": true }]
        }))))]
pub async fn capabilities(State(state): State<AppState>) -> Json<Capabilities> {
    // A status report answers fast, like readiness: a short time-out of its own.
    let state = AppState {
        request_timeout: STATUS_TIMEOUT,
        ..state
    };
    let status = state.call::<commands::runtime::Status>(&Empty {}).await;
    let known = |m: &str| {
        status
            .as_ref()
            .is_ok_and(|s| s.capabilities.iter().any(|c| c == m))
    };
    let routes = ROUTES
        .iter()
        .map(|r| SystemRoute {
            method: match r.http {
                Get => "GET",
                Post => "POST",
            }
            .into(),
            path: r.path.into(),
            runtime_method: r.method.into(),
            capability: known(r.method),
        })
        .collect();
    let (runtime, runtime_error) = match status {
        Ok(s) => (
            Some(RuntimeCapabilities {
                bridge_id: s.bridge_id,
                initialized: s.initialized,
                user_agent: s.user_agent,
                capabilities: s.capabilities,
            }),
            None,
        ),
        Err(e) => (None, Some(e)),
    };
    Json(Capabilities {
        api_version: API_VERSION.into(),
        contract_version: CONTRACT_VERSION.into(),
        gateway_version: env!("CARGO_PKG_VERSION").into(),
        runtime,
        runtime_error,
        routes,
    })
}
