//! How the session service's event consumer is doing (`cm.v1.session.consumer.status`), for
//! readiness: a consumer that is stuck on one event, falls behind, or dead-letters must never
//! look ready.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `cm.v1.session.consumer.status`: no parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetConsumerStatus {}

/// The state of the durable consumer that applies `CM_EVENTS` to Postgres.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerStatus {
    /// Applying, with no event failing for long and no backlog without progress.
    pub healthy: bool,
    /// Why not healthy: `stuck` (one event keeps failing), `lagging` (a backlog and no progress),
    /// `stopped` (the consumer is not running), `store_replaced` (a stream sequence already held
    /// another event: `CM_EVENTS` was recreated under this database; see the runbook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Events applied by this instance since it started.
    pub applied: u64,
    /// The stream sequence of the last event applied.
    pub last_applied_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_at: Option<DateTime<Utc>>,
    /// Events in the stream not yet delivered to the consumer.
    pub pending: u64,
    /// Deliveries after the first (failed applies, lost acks).
    pub redeliveries: u64,
    /// The event failing right now, and how often it has been tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_seq: Option<u64>,
    pub failing_attempts: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Events moved to `session.dead_letters` since this instance started, and in all.
    pub dead_letters: u64,
    pub dead_letters_total: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_dead_letter_at: Option<DateTime<Utc>>,
}
