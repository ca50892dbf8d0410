//! Subject and stream names: the one place that spells them.
//!
//! Commands are request/reply on `cm.v1.<service>.<verb>`; events go to the JetStream stream
//! [`EVENTS_STREAM`] on `cm.v1.evt.<scope>.<id>.<kind>`; jobs go to [`JOBS_STREAM`].

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
/// JetStream work-queue stream for jobs.
pub const JOBS_STREAM: &str = "CM_JOBS";
/// Subjects captured by [`JOBS_STREAM`].
pub const JOBS_SUBJECTS: &str = "cm.v1.job.>";

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

/// Command verbs, relative to their service prefix.
pub mod verb {
    pub const STATUS: &str = "status";
    // session service
    pub const SESSION_CREATE: &str = "create";
    pub const SESSION_LIST: &str = "list";
    pub const SESSION_GET: &str = "get";
    pub const SESSION_TURN_START: &str = "turn.start";
    pub const SESSION_TURN_STEER: &str = "turn.steer";
    pub const SESSION_TURN_INTERRUPT: &str = "turn.interrupt";
    pub const REQUEST_LIST: &str = "request.list";
    pub const REQUEST_DECIDE: &str = "request.decide";
    pub const SESSION_EVENTS_PAGE: &str = "events.page";
    pub const CONSUMER_STATUS: &str = "consumer.status";
    pub const PROJECT_CREATE: &str = "project.create";
    pub const PROJECT_LIST: &str = "project.list";
    pub const PROJECT_GET: &str = "project.get";
    pub const PROJECT_UPDATE: &str = "project.update";
    pub const PROJECT_DELETE: &str = "project.delete";
    pub const PROJECT_MOVE_SESSIONS: &str = "project.move_sessions";
    pub const PROJECT_DELETE_SESSIONS: &str = "project.delete_sessions";
    pub const SESSION_UPDATE: &str = "update";
    pub const SESSION_ARCHIVE: &str = "archive";
    pub const SESSION_UNARCHIVE: &str = "unarchive";
    pub const SESSION_DELETE: &str = "delete";
    pub const SESSION_FORK: &str = "fork";
    pub const SESSION_COMPACT: &str = "compact";
    pub const SESSION_ROLLBACK: &str = "rollback";
    pub const SESSION_RESUME: &str = "resume";
    pub const SESSION_REVIEW: &str = "review";
    pub const SESSION_TERMINALS_CLEAN: &str = "terminals.clean";
    pub const IDEMPOTENCY_BEGIN: &str = "idempotency.begin";
    pub const IDEMPOTENCY_COMPLETE: &str = "idempotency.complete";
    pub const CONTROLS_DEFAULTS_GET: &str = "controls.defaults.get";
    pub const CONTROLS_DEFAULTS_SET: &str = "controls.defaults.set";
    pub const CONTROLS_GET: &str = "controls.get";
    pub const CONTROLS_SET: &str = "controls.set";
    pub const SETTINGS_LIST: &str = "settings.list";
    pub const SETTINGS_GET: &str = "settings.get";
    pub const SETTINGS_SET: &str = "settings.set";
    pub const SETTINGS_MERGE: &str = "settings.merge";
    pub const SETTINGS_UNSET: &str = "settings.unset";
    pub const TRANSCRIPT_UPSERT: &str = "transcript.upsert";
    // runtime bridge
    pub const THREAD_START: &str = "thread.start";
    pub const TURN_START: &str = "turn.start";
    pub const RUNTIME_CALL: &str = "call";
    pub const TURN_STEER: &str = "turn.steer";
    pub const TURN_INTERRUPT: &str = "turn.interrupt";
    pub const THREAD_OP: &str = "thread.op";
    pub const THREAD_LIST: &str = "thread.list";
    pub const REQUEST_RESPOND: &str = "request.respond";
    // queue worker
    pub const QUEUE_STATS: &str = "stats";
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
            command(prefix::SESSION, verb::SESSION_TURN_START),
            "cm.v1.session.turn.start"
        );
    }
}
