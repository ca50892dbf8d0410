//! Subject and stream names: the one place that spells them.
//!
//! Commands are request/reply on `cm.v1.<service>.<verb>`; events go to the JetStream stream
//! [`EVENTS_STREAM`] on `cm.v1.evt.<scope>.<id>.<kind>`. Jobs are queued in Postgres (the queue worker's `queue.jobs`),
//! not in a stream; only their events travel on the bus.

use crate::scope::Scope;

/// JetStream stream holding every event (file storage).
pub const EVENTS_STREAM: &str = "CM_EVENTS";
/// Subjects captured by [`EVENTS_STREAM`].
pub const EVENTS_SUBJECTS: &str = "cm.v1.evt.>";
/// The session service's durable consumer of [`EVENTS_STREAM`] (it persists every event).
pub const SESSION_CONSUMER: &str = "session-apply";
/// The runtime bridges' memory of turns and requests in flight (one message per subject).
pub const BRIDGE_STATE_STREAM: &str = "CM_BRIDGE_STATE";
/// Subjects captured by [`BRIDGE_STATE_STREAM`]: `cm.v1.bridge.<bridge>.{turn,req}.<id>`.
pub const BRIDGE_STATE_SUBJECTS: &str = "cm.v1.bridge.>";

/// Command subject prefixes, one per service (the NATS service group).
pub mod prefix {
    pub const SESSION: &str = "cm.v1.session";
    pub const RUNTIME: &str = "cm.v1.runtime";
    pub const QUEUE: &str = "cm.v1.queue";
    pub const GATEWAY: &str = "cm.v1.gateway";
}

/// NATS service names (what `$SRV.PING` reports).
pub mod service {
    pub const GATEWAY: &str = "cm-gateway";
    pub const SESSION: &str = "cm-session";
    pub const RUNTIME_BRIDGE: &str = "cm-runtime-bridge";
    pub const QUEUE_WORKER: &str = "cm-queue-worker";
}

/// Full subject of a command: `cm.v1.<service>.<verb>`.
pub fn command(prefix: &str, verb: &str) -> String {
    format!("{prefix}.{verb}")
}

/// Subject an event is published on: `cm.v1.evt.<scope>.<id>.<kind>`.
pub fn event(scope: Scope, id: &str, kind: &str) -> String {
    format!("cm.v1.evt.{}.{}.{}", scope.as_str(), token(id), kind)
}

/// Filter for every event of one scope instance: `cm.v1.evt.<scope>.<id>.>`.
pub fn event_filter(scope: Scope, id: &str) -> String {
    format!("cm.v1.evt.{}.{}.>", scope.as_str(), token(id))
}

/// Makes an id safe as a single subject token (ids are UUIDs today; this guards the contract).
fn token(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            '.' | '*' | '>' | ' ' | '\t' | '\r' | '\n' => '_',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_subjects_are_versioned_and_tokenized() {
        assert_eq!(
            event(Scope::Session, "a.b", "item.delta"),
            "cm.v1.evt.session.a_b.item.delta"
        );
        assert_eq!(event_filter(Scope::Job, "j1"), "cm.v1.evt.job.j1.>");
        assert_eq!(
            command(prefix::SESSION, "turn.start"),
            "cm.v1.session.turn.start"
        );
    }
}
