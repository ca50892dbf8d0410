//! Queue worker commands (`cm.v1.queue.*`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `cm.v1.queue.stats`: job counts by state and the outbox's depth.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub queued: u64,
    pub running: u64,
    pub completed: u64,
    pub failed: u64,
    pub canceled: u64,
    /// Job events written with their transition but not yet published to `CM_EVENTS` (the
    /// outbox relay's backlog; it stays near 0 while NATS is up).
    pub outbox_pending: u64,
}

/// Empty request body for verbs that take no arguments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Empty {}
