//! Runtime bridge commands (`cm.v1.runtime.*`) and its status report.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `cm.v1.runtime.thread.start`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadStart {
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadStarted {
    pub thread_id: String,
    pub cwd: String,
    pub model: Option<String>,
    /// The runtime's full `thread/start` result.
    pub raw: Value,
}

/// `cm.v1.runtime.turn.start`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnStart {
    pub thread_id: String,
    pub text: String,
    #[serde(default)]
    pub overrides: crate::thread::TurnOverrides,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnStarted {
    pub thread_id: String,
    pub turn_id: String,
}

/// `cm.v1.runtime.status`: supervision state of the app-server child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeStatus {
    pub bridge_id: String,
    pub pid: Option<u32>,
    pub initialized: bool,
    pub restarts: u32,
    pub last_exit: Option<RuntimeExit>,
    pub user_agent: Option<String>,
    /// Operator methods the runtime answered when probed after `initialize`.
    #[serde(default)]
    pub capabilities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeExit {
    pub at: DateTime<Utc>,
    pub code: Option<i32>,
    pub signal: Option<i32>,
}
