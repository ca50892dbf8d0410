//! Events: what happened, published once to the `CM_EVENTS` stream and replayed from there.
//!
//! The envelope is stable across kinds: `{id, time, scope, scopeId, kind, data, raw?}`. `kind`
//! selects the shape of `data`. The JetStream stream sequence is the event's position and is
//! handed to clients as `seq` ([`StreamedEvent`]) and as the SSE `id:`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use crate::item::{DeltaStream, ItemType};
use crate::job::JobInfo;
use crate::project::ProjectInfo;
use crate::request::{PendingRequest, RequestOutcome};
use crate::session::SessionInfo;

pub use crate::scope::Scope;

/// One event as published. `id` doubles as the `Nats-Msg-Id`, so a retried publish is dropped by
/// JetStream's duplicate window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: Uuid,
    pub time: DateTime<Utc>,
    pub scope: Scope,
    pub scope_id: String,
    #[serde(flatten)]
    pub body: EventBody,
    /// The runtime's payload this event was normalized from, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
}

impl Event {
    pub fn new(scope: Scope, scope_id: impl Into<String>, body: EventBody) -> Self {
        Self {
            id: Uuid::now_v7(),
            time: Utc::now(),
            scope,
            scope_id: scope_id.into(),
            body,
            raw: None,
        }
    }

    pub fn session(session_id: impl Into<String>, body: EventBody) -> Self {
        Self::new(Scope::Session, session_id, body)
    }

    pub fn with_raw(mut self, raw: Value) -> Self {
        self.raw = Some(raw);
        self
    }

    /// The subject this event is published on.
    pub fn subject(&self) -> String {
        crate::subjects::event(self.scope, &self.scope_id, self.body.kind())
    }
}

/// An event as delivered to clients: the envelope plus its stream sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamedEvent {
    pub seq: u64,
    #[serde(flatten)]
    pub event: Event,
}

/// How a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TurnStatus {
    InProgress,
    Completed,
    Interrupted,
    Failed,
}

impl TurnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TurnStatus::InProgress => "inProgress",
            TurnStatus::Completed => "completed",
            TurnStatus::Interrupted => "interrupted",
            TurnStatus::Failed => "failed",
        }
    }
}

/// Event kinds and their data. The `kind` strings are part of the public contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", content = "data")]
pub enum EventBody {
    #[serde(rename = "session.created")]
    SessionCreated { session: SessionInfo },
    #[serde(rename = "turn.started", rename_all = "camelCase")]
    TurnStarted { turn_id: String },
    #[serde(rename = "item.started", rename_all = "camelCase")]
    ItemStarted {
        turn_id: String,
        item_id: String,
        item_type: ItemType,
        item: Value,
    },
    #[serde(rename = "item.delta", rename_all = "camelCase")]
    ItemDelta {
        turn_id: String,
        item_id: String,
        stream: DeltaStream,
        delta: String,
    },
    #[serde(rename = "item.completed", rename_all = "camelCase")]
    ItemCompleted {
        turn_id: String,
        item_id: String,
        item_type: ItemType,
        item: Value,
    },
    #[serde(rename = "turn.completed", rename_all = "camelCase")]
    TurnCompleted {
        turn_id: String,
        status: TurnStatus,
        /// Why a turn ended other than by the runtime's own account (`runtime_exited`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<Value>,
    },
    #[serde(rename = "usage.updated", rename_all = "camelCase")]
    UsageUpdated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
        usage: Value,
    },
    /// The agent's plan for the turn (`turn/plan/updated`).
    #[serde(rename = "plan.updated", rename_all = "camelCase")]
    PlanUpdated {
        turn_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        explanation: Option<String>,
        plan: Value,
    },
    /// The turn's aggregated unified diff so far (`turn/diff/updated`).
    #[serde(rename = "diff.updated", rename_all = "camelCase")]
    DiffUpdated { turn_id: String, diff: String },
    /// A running item changed without completing: a file change's patch, an MCP tool call's
    /// progress message.
    #[serde(rename = "item.updated", rename_all = "camelCase")]
    ItemUpdated {
        turn_id: String,
        item_id: String,
        update: Value,
    },
    /// The thread's runtime status (`idle`, `active` with flags such as `waitingOnApproval`,
    /// `systemError`).
    #[serde(rename = "session.status", rename_all = "camelCase")]
    SessionStatus { status: Value },
    /// Account rate limits (runtime-scoped).
    #[serde(rename = "rate_limits.updated", rename_all = "camelCase")]
    RateLimitsUpdated { rate_limits: Value },
    /// An error reported by the runtime; `will_retry` tells whether it tries again itself.
    #[serde(rename = "runtime.error", rename_all = "camelCase")]
    RuntimeError {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
        message: String,
        will_retry: bool,
        error: Value,
    },
    /// A warning from the runtime (`warning`, `configWarning`, `deprecationNotice`...).
    #[serde(rename = "runtime.warning", rename_all = "camelCase")]
    RuntimeWarning { message: String },
    /// The runtime asks for a decision or an answer; it waits until one is given.
    #[serde(rename = "request.opened")]
    RequestOpened { request: PendingRequest },
    /// A pending request ended: a decision reached the runtime, or it expired.
    #[serde(rename = "request.resolved", rename_all = "camelCase")]
    RequestResolved {
        request_id: String,
        outcome: RequestOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decided_by: Option<String>,
        /// Why it expired (`turn_completed`, `runtime_exited`, `resolved_by_runtime`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A runtime notification we do not (yet) normalize; `method` and `params` as received.
    #[serde(rename = "runtime.notification", rename_all = "camelCase")]
    RuntimeNotification { method: String, params: Value },
    /// The session's title, project or archived flag changed; `session` is the new state.
    #[serde(rename = "session.updated")]
    SessionUpdated { session: SessionInfo },
    /// The session was hard-deleted; its history is gone from the stream and from Postgres.
    #[serde(rename = "session.deleted", rename_all = "camelCase")]
    SessionDeleted { session_id: String },
    /// The last turns were rolled back (`thread/revert`) and removed from the transcript.
    #[serde(rename = "session.rolled_back", rename_all = "camelCase")]
    SessionRolledBack { turn_ids: Vec<String> },
    /// A supplemental transcript entry was created or replaced (`transcript/upsert`, keyed by
    /// message id). The first one of a message id gives the entry its place (its `seq`).
    #[serde(rename = "transcript.upserted", rename_all = "camelCase")]
    TranscriptUpserted {
        message_id: String,
        role: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<Value>,
    },
    /// A project was created or changed (scope `project`).
    #[serde(rename = "project.updated")]
    ProjectUpdated { project: ProjectInfo },
    /// A project was deleted (scope `project`).
    #[serde(rename = "project.deleted", rename_all = "camelCase")]
    ProjectDeleted { project_id: String },
    /// An event could not be applied to Postgres after repeated attempts (or never decoded): it
    /// is kept in `session.dead_letters` and the consumer went on. Runtime-scoped
    /// (`runtime.session-apply`), so that announcing it can never fail the way the event did.
    #[serde(rename = "event.dead_lettered", rename_all = "camelCase")]
    EventDeadLettered {
        /// The stream sequence of the event that failed.
        seq: u64,
        /// Its subject (`cm.v1.evt.<scope>.<id>.<kind>`).
        subject: String,
        /// Its kind, when it decoded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_kind: Option<String>,
        attempts: u64,
        error: String,
    },
    // Jobs (scope `job`, scope id = the job id), published by the queue worker from its
    // outbox: each carries the job's record as of the transition.
    /// A job was enqueued.
    #[serde(rename = "job.queued")]
    JobQueued { job: Box<JobInfo> },
    /// A worker took the job; `job.attempts` counts this attempt.
    #[serde(rename = "job.started")]
    JobStarted { job: Box<JobInfo> },
    /// An attempt failed (or its worker was lost) and attempts remain: the job is queued again
    /// until `job.runAfter`; `job.error` says why.
    #[serde(rename = "job.retrying")]
    JobRetrying { job: Box<JobInfo> },
    #[serde(rename = "job.completed")]
    JobCompleted { job: Box<JobInfo> },
    /// Fatal, or out of attempts; `job.error` says why.
    #[serde(rename = "job.failed")]
    JobFailed { job: Box<JobInfo> },
    #[serde(rename = "job.canceled")]
    JobCanceled { job: Box<JobInfo> },
}

impl EventBody {
    /// The `kind` string, also the last tokens of the event subject.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::SessionCreated { .. } => "session.created",
            EventBody::TurnStarted { .. } => "turn.started",
            EventBody::ItemStarted { .. } => "item.started",
            EventBody::ItemDelta { .. } => "item.delta",
            EventBody::ItemCompleted { .. } => "item.completed",
            EventBody::TurnCompleted { .. } => "turn.completed",
            EventBody::UsageUpdated { .. } => "usage.updated",
            EventBody::PlanUpdated { .. } => "plan.updated",
            EventBody::DiffUpdated { .. } => "diff.updated",
            EventBody::ItemUpdated { .. } => "item.updated",
            EventBody::SessionStatus { .. } => "session.status",
            EventBody::RateLimitsUpdated { .. } => "rate_limits.updated",
            EventBody::RuntimeError { .. } => "runtime.error",
            EventBody::RuntimeWarning { .. } => "runtime.warning",
            EventBody::RequestOpened { .. } => "request.opened",
            EventBody::RequestResolved { .. } => "request.resolved",
            EventBody::RuntimeNotification { .. } => "runtime.notification",
            EventBody::SessionUpdated { .. } => "session.updated",
            EventBody::SessionDeleted { .. } => "session.deleted",
            EventBody::SessionRolledBack { .. } => "session.rolled_back",
            EventBody::TranscriptUpserted { .. } => "transcript.upserted",
            EventBody::ProjectUpdated { .. } => "project.updated",
            EventBody::ProjectDeleted { .. } => "project.deleted",
            EventBody::EventDeadLettered { .. } => "event.dead_lettered",
            EventBody::JobQueued { .. } => "job.queued",
            EventBody::JobStarted { .. } => "job.started",
            EventBody::JobRetrying { .. } => "job.retrying",
            EventBody::JobCompleted { .. } => "job.completed",
            EventBody::JobFailed { .. } => "job.failed",
            EventBody::JobCanceled { .. } => "job.canceled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_type_of_a_newer_runtime_round_trips() {
        let body: EventBody = serde_json::from_value(serde_json::json!({
            "kind": "item.started",
            "data": { "turnId": "t", "itemId": "i", "itemType": "holoDeck", "item": {} }
        }))
        .unwrap();
        let EventBody::ItemStarted { item_type, .. } = &body else {
            panic!("{body:?}");
        };
        assert_eq!(*item_type, ItemType::Unknown("holoDeck".into()));
        assert_eq!(
            serde_json::to_value(&body).unwrap()["data"]["itemType"],
            "holoDeck"
        );
        assert_eq!(ItemType::from("agentMessage"), ItemType::AgentMessage);
    }

    #[test]
    fn envelope_is_flat_with_kind_and_data() {
        let ev = Event::session(
            "s1",
            EventBody::ItemDelta {
                turn_id: "t".into(),
                item_id: "i".into(),
                stream: DeltaStream::Text,
                delta: "hi".into(),
            },
        );
        let v = serde_json::to_value(&ev).unwrap_or_default();
        assert_eq!(v["kind"], "item.delta");
        assert_eq!(v["scopeId"], "s1");
        assert_eq!(v["data"]["itemId"], "i");
        let back: Event = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, ev);
        assert_eq!(ev.subject(), "cm.v1.evt.session.s1.item.delta");
    }
}
