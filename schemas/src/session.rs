//! Session service commands (`cm.v1.session.*`) and the records it answers with.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A session: one app-server thread, its id is the thread id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id: String,
    pub title: Option<String>,
    pub cwd: String,
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `idle` or `active` (a turn is in progress).
    pub status: String,
    /// The project the session belongs to, if any.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Archived sessions are left out of lists unless asked for.
    #[serde(default)]
    pub archived: bool,
}

/// `cm.v1.session.create`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSession {
    #[serde(default)]
    pub title: Option<String>,
    /// Working directory of the thread; the runtime's default when absent.
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// The project to file the session under; its cwd applies when `cwd` is absent.
    #[serde(default)]
    pub project_id: Option<String>,
}

/// `cm.v1.session.list`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListSessions {
    #[serde(default)]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `nextCursor`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Only the sessions of this project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Only the sessions without a project (not together with `projectId`).
    #[serde(default)]
    pub unassigned: bool,
    /// Which sessions by archived flag; `false` (not archived) by default.
    #[serde(default)]
    pub archived: ArchivedFilter,
}

/// The `archived` filter of a session list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ArchivedFilter {
    #[default]
    #[serde(rename = "false")]
    Exclude,
    #[serde(rename = "true")]
    Only,
    #[serde(rename = "all")]
    All,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionPage {
    pub sessions: Vec<SessionInfo>,
    pub next_cursor: Option<String>,
}

/// `cm.v1.session.get`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetSession {
    pub session_id: String,
}

/// A session with its transcript, and the stream sequence the snapshot reflects: every event of
/// this session up to and including `seq` is applied, none after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionSnapshot {
    pub session: SessionInfo,
    pub turns: Vec<TurnRecord>,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnRecord {
    pub id: String,
    /// `inProgress`, `completed`, `interrupted` or `failed`.
    pub status: String,
    pub reason: Option<String>,
    pub error: Option<Value>,
    /// Token usage of the turn (`thread/tokenUsage/updated`).
    pub usage: Option<Value>,
    /// The agent's latest plan: `{explanation, steps}`.
    pub plan: Option<Value>,
    /// The turn's aggregated unified diff.
    pub diff: Option<String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub items: Vec<ItemRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemRecord {
    pub id: String,
    /// The runtime's item type (`userMessage`, `agentMessage`, `reasoning`, `commandExecution`...).
    pub item_type: String,
    /// `streaming`, `completed` or `canceled`.
    pub status: String,
    /// Text accumulated from deltas; replaced by the authoritative text on completion.
    pub text: String,
    /// The latest full item from the runtime.
    pub item: Value,
}

/// `cm.v1.session.turn.start`: send a user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartTurn {
    pub session_id: String,
    pub text: String,
    #[serde(default)]
    pub overrides: crate::thread::TurnOverrides,
}

/// `cm.v1.session.turn.steer`: add input to the session's running turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SteerTurn {
    pub session_id: String,
    pub text: String,
}

/// `cm.v1.session.turn.interrupt`: stop the session's running turn (`no_active_turn` if idle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterruptTurn {
    pub session_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnAccepted {
    pub session_id: String,
    pub turn_id: String,
}
