//! The event history kept by the session service (`cm.v1.session.events.page`): pages of stored
//! events in stream order, for clients that resume from further back than `CM_EVENTS` keeps.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::event::{Scope, StreamedEvent};

/// `cm.v1.session.events.page`: the stored events with `afterSeq < seq < beforeSeq`, oldest
/// first, optionally of one scope or one scope instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageEvents {
    /// Only events of this scope.
    #[serde(default)]
    pub scope: Option<Scope>,
    /// Only events of this scope instance (requires `scope`).
    #[serde(default)]
    pub scope_id: Option<String>,
    /// Exclusive lower bound: the last sequence the reader already has (0 for the beginning).
    pub after_seq: u64,
    /// Exclusive upper bound, typically the first sequence the stream still holds.
    #[serde(default)]
    pub before_seq: Option<u64>,
    /// At most this many events (default 200, at most 1000); a page is also cut at about
    /// 256 KiB of events.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of history. The page covers `(afterSeq, throughSeq]`: the next page asks for
/// `afterSeq = throughSeq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub events: Vec<StreamedEvent>,
    /// The last sequence this page accounts for.
    pub through_seq: u64,
    /// Whether more matching events may follow before `beforeSeq`.
    pub more: bool,
    /// Sequences in the covered range that Postgres has no record of and that may have held a
    /// matching event (events dropped from the stream before the session service applied
    /// them), oldest first. Non-empty means the history cannot be replayed exactly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<SeqRange>,
}

/// An inclusive range of stream sequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SeqRange {
    pub from: u64,
    pub to: u64,
}
