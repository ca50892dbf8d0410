//! Queue worker commands (`cm.v1.queue.*`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `cm.v1.queue.stats`: job counts by state and the work-queue stream's depth.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub queued: u64,
    pub running: u64,
    pub completed: u64,
    pub failed: u64,
    pub canceled: u64,
    /// Messages waiting in the `CM_JOBS` stream.
    pub stream_messages: u64,
}

/// Empty request body for verbs that take no arguments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Empty {}
