//! The gateway's own answers: liveness, readiness, capabilities, and the error body every
//! route shares.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::BusError;

/// `GET /api/health`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    /// Always `ok`: an answer at all is the signal.
    pub status: String,
    pub service: String,
    pub version: String,
}

/// `GET /api/ready`: the overall verdict and one check per dependency.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Readiness {
    pub ready: bool,
    /// `nats`, `postgres`, `runtime` (with the bridge's status), `queue`, `events` (the session
    /// service's event consumer), `endpoints` (every service's command endpoints) and `auth`,
    /// each with `ready` and, when not, `error`.
    pub checks: Value,
}

/// `GET /api/capabilities`: versions, the runtime's capabilities (the operator methods it
/// answered when probed after `initialize`), and every system route with `capability`: whether
/// its method is among them (methods with side effects are never probed). Answers 200 while
/// the runtime is down, with `runtime: null` and `runtimeError`.
/// `GET /api/capabilities`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub api_version: String,
    /// Version of the bus contract (`cm.v1.*`).
    pub contract_version: String,
    pub gateway_version: String,
    /// The runtime as the bridge reports it; `null` while it cannot be reached.
    pub runtime: Option<RuntimeCapabilities>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_error: Option<BusError>,
    pub routes: Vec<SystemRoute>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeCapabilities {
    pub bridge_id: String,
    pub initialized: bool,
    pub user_agent: Option<String>,
    /// Operator methods the runtime answered when probed.
    pub capabilities: Vec<String>,
}

/// A system route and whether the runtime is known to have its method.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemRoute {
    pub method: String,
    pub path: String,
    pub runtime_method: String,
    pub capability: bool,
}

/// Every error response: `{"error": {"code", "message", "details"}}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    pub error: BusError,
}
