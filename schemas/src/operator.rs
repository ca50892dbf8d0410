//! Operator pass-through (`cm.v1.runtime.call`): one app-server method, called as is.
//!
//! Operators (and the gateway on their behalf) read and change the runtime's own state —
//! models, account, config, MCP servers, skills, apps, features, one-off commands, feedback —
//! without the bus contract wrapping each method. Only the methods in [`OPERATOR_METHODS`] are
//! forwarded: thread and turn methods go through the typed commands, which keep the session
//! store consistent. The method names are those of the pinned runtime's `ClientRequest.json`
//! (`schemas/codex-app-server/`), checked by a test in the runtime bridge.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The app-server methods operators may call through [`RuntimeCall`] (features.md R6).
pub const OPERATOR_METHODS: &[&str] = &[
    "model/list",
    "account/read",
    "account/login/start",
    "account/login/cancel",
    "account/logout",
    "account/rateLimits/read",
    "config/read",
    "config/value/write",
    "config/batchWrite",
    "configRequirements/read",
    "mcpServerStatus/list",
    "config/mcpServer/reload",
    "mcpServer/oauth/login",
    "skills/list",
    "app/list",
    "experimentalFeature/list",
    "command/exec",
    "feedback/upload",
];

/// `cm.v1.runtime.call`: calls one operator method of the runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeCall {
    /// The app-server method, for example `model/list` (see [`OPERATOR_METHODS`]).
    pub method: String,
    /// The method's params as the runtime's protocol defines them; absent or `null` is sent
    /// as `{}`.
    #[serde(default)]
    pub params: Value,
}

/// The runtime's `result`, unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeCallResult {
    pub result: Value,
}
