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
    /// The system component that owns the session (`system:<name>`), if any.
    #[serde(default)]
    pub owner: Option<String>,
    /// Whether a system component owns the session: it is left out of lists unless asked for,
    /// and only its owner changes it (the HTTP API answers `403 forbidden`).
    #[serde(default)]
    pub system_owned: bool,
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
    /// Bus only: the system component that owns the new session, `system:<name>` (1 to 100
    /// characters). The HTTP API refuses it (`400`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
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
    /// Which sessions by owner: `false` (not system-owned) by default, `true` only
    /// system-owned ones, `all` both.
    #[serde(default)]
    pub system_owned: SystemOwnedFilter,
}

/// The `systemOwned` filter of a session list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SystemOwnedFilter {
    #[default]
    #[serde(rename = "false")]
    Exclude,
    #[serde(rename = "true")]
    Only,
    #[serde(rename = "all")]
    All,
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
    /// Supplemental transcript entries (`transcript.upserted`), by position (`seq`). Merge them
    /// with the turns by `seq` to show one transcript in order.
    #[serde(default)]
    pub entries: Vec<TranscriptEntry>,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnRecord {
    pub id: String,
    /// The turn's position in the session's stream: the sequence of its first event
    /// (`turn.started`), to merge turns with transcript entries. `None` only while the turn has
    /// been accepted but none of its events is applied yet.
    #[serde(default)]
    pub seq: Option<u64>,
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
    /// The runtime's item type.
    pub item_type: crate::item::ItemType,
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

/// The roles a supplemental transcript entry may have.
pub const TRANSCRIPT_ROLES: [&str; 4] = ["user", "assistant", "system", "note"];

/// A supplemental transcript entry: text a client or an extension adds to the transcript beside
/// the runtime's turns (a note, a system message, a message the runtime never saw), keyed by a
/// message id of the writer's choosing. Writing the same id again replaces its text and data;
/// its place stays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptEntry {
    pub message_id: String,
    /// `user`, `assistant`, `system` or `note`.
    pub role: String,
    pub text: String,
    /// The turn the entry belongs to, if any: rolling that turn back removes the entry.
    #[serde(default)]
    pub turn_id: Option<String>,
    /// Free-form JSON the writer keeps with the entry.
    #[serde(default)]
    pub data: Option<Value>,
    /// The entry's position: the stream sequence of its first `transcript.upserted`.
    pub seq: u64,
    /// The stream sequence of its latest `transcript.upserted`.
    pub updated_seq: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `cm.v1.session.transcript.upsert`: create or replace the entry `messageId` of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpsertTranscriptEntry {
    pub session_id: String,
    /// 1 to 200 characters, no control characters.
    pub message_id: String,
    /// `user`, `assistant`, `system` or `note`.
    pub role: String,
    /// At most 256 KiB (`payload_too_large` beyond).
    pub text: String,
    /// A turn of the session (`validation` when it has no such turn).
    #[serde(default)]
    pub turn_id: Option<String>,
    /// Any JSON, at most 64 KiB compact (`payload_too_large` beyond).
    #[serde(default)]
    pub data: Option<Value>,
}

/// The answer to `cm.v1.session.transcript.upsert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptUpserted {
    pub entry: TranscriptEntry,
    /// Whether this write created the entry (else it replaced it).
    pub created: bool,
}
