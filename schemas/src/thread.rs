//! Thread and turn operations the runtime bridge carries to app-server
//! (`cm.v1.runtime.thread.op`, `cm.v1.runtime.thread.list`, `cm.v1.runtime.turn.*`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Per-turn overrides (all optional; the thread's settings apply otherwise).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TurnOverrides {
    #[serde(default)]
    pub model: Option<String>,
    /// Reasoning effort (`low`, `medium`, `high`...).
    #[serde(default)]
    pub effort: Option<String>,
    /// `untrusted`, `on-request` or `never`.
    #[serde(default)]
    pub approval_policy: Option<String>,
    /// `read-only`, `workspace-write` or `danger-full-access`.
    #[serde(default)]
    pub sandbox: Option<String>,
    /// Network access inside the sandbox.
    #[serde(default)]
    pub network_access: Option<bool>,
    #[serde(default)]
    pub cwd: Option<String>,
}

/// One operation on an existing thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum ThreadOp {
    Resume,
    Fork,
    Archive,
    Unarchive,
    Delete,
    Rename {
        name: String,
    },
    Compact,
    /// Roll back to before this turn (`thread/revert`).
    #[serde(rename_all = "camelCase")]
    Revert {
        before_turn_id: String,
    },
    #[serde(rename_all = "camelCase")]
    Read {
        include_turns: bool,
    },
    /// `review/start` with the runtime's review target (e.g. `{"type": "uncommittedChanges"}`).
    Review {
        target: Value,
    },
    /// Clean background terminals (answers `not_supported` where the runtime lacks it).
    CleanTerminals,
}

impl ThreadOp {
    /// The app-server method this operation calls.
    pub fn method(&self) -> &'static str {
        match self {
            ThreadOp::Resume => "thread/resume",
            ThreadOp::Fork => "thread/fork",
            ThreadOp::Archive => "thread/archive",
            ThreadOp::Unarchive => "thread/unarchive",
            ThreadOp::Delete => "thread/delete",
            ThreadOp::Rename { .. } => "thread/name/set",
            ThreadOp::Compact => "thread/compact/start",
            ThreadOp::Revert { .. } => "thread/revert",
            ThreadOp::Read { .. } => "thread/read",
            ThreadOp::Review { .. } => "review/start",
            ThreadOp::CleanTerminals => "thread/backgroundTerminals/clean",
        }
    }
}

/// `cm.v1.runtime.thread.op`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadCommand {
    pub thread_id: String,
    #[serde(flatten)]
    pub op: ThreadOp,
}

/// The runtime's result, as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeResult {
    pub result: Value,
}

/// `cm.v1.runtime.thread.list`: app-server's `thread/list` params, passed through.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadList {
    #[serde(default)]
    pub params: Value,
}

/// `cm.v1.runtime.turn.steer`: add input to the running turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnSteer {
    pub thread_id: String,
    /// The active turn; the runtime rejects a steer aimed at another.
    pub turn_id: String,
    pub text: String,
}

/// `cm.v1.runtime.turn.interrupt`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnInterrupt {
    pub thread_id: String,
    pub turn_id: String,
}
