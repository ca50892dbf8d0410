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

/// Command verbs, relative to their service prefix: taken from the command table
/// ([`crate::commands`]), for code that spells a raw subject (permissions, tests). A new command
/// needs no entry here; typed callers use `Command::VERB`/`Command::subject()`.
pub mod verb {
    use crate::commands::{Command, queue, runtime, session};

    pub const STATUS: &str = <runtime::Status as Command>::VERB;
    // session service
    pub const SESSION_CREATE: &str = <session::Create as Command>::VERB;
    pub const SESSION_LIST: &str = <session::List as Command>::VERB;
    pub const SESSION_GET: &str = <session::Get as Command>::VERB;
    pub const SESSION_TURN_START: &str = <session::TurnStart as Command>::VERB;
    pub const SESSION_TURN_STEER: &str = <session::TurnSteer as Command>::VERB;
    pub const SESSION_TURN_INTERRUPT: &str = <session::TurnInterrupt as Command>::VERB;
    pub const REQUEST_LIST: &str = <session::RequestList as Command>::VERB;
    pub const REQUEST_DECIDE: &str = <session::RequestDecide as Command>::VERB;
    pub const SESSION_EVENTS_PAGE: &str = <session::EventsPage as Command>::VERB;
    pub const CONSUMER_STATUS: &str = <session::ConsumerStatus as Command>::VERB;
    pub const PROJECT_CREATE: &str = <session::ProjectCreate as Command>::VERB;
    pub const PROJECT_LIST: &str = <session::ProjectList as Command>::VERB;
    pub const PROJECT_GET: &str = <session::ProjectGet as Command>::VERB;
    pub const PROJECT_UPDATE: &str = <session::ProjectUpdate as Command>::VERB;
    pub const PROJECT_DELETE: &str = <session::ProjectDelete as Command>::VERB;
    pub const PROJECT_MOVE_SESSIONS: &str = <session::ProjectMoveSessions as Command>::VERB;
    pub const PROJECT_DELETE_SESSIONS: &str = <session::ProjectDeleteSessions as Command>::VERB;
    pub const SESSION_UPDATE: &str = <session::Update as Command>::VERB;
    pub const SESSION_ARCHIVE: &str = <session::Archive as Command>::VERB;
    pub const SESSION_UNARCHIVE: &str = <session::Unarchive as Command>::VERB;
    pub const SESSION_DELETE: &str = <session::Delete as Command>::VERB;
    pub const SESSION_FORK: &str = <session::Fork as Command>::VERB;
    pub const SESSION_COMPACT: &str = <session::Compact as Command>::VERB;
    pub const SESSION_ROLLBACK: &str = <session::Rollback as Command>::VERB;
    pub const SESSION_RESUME: &str = <session::Resume as Command>::VERB;
    pub const SESSION_REVIEW: &str = <session::Review as Command>::VERB;
    pub const SESSION_TERMINALS_CLEAN: &str = <session::TerminalsClean as Command>::VERB;
    pub const IDEMPOTENCY_BEGIN: &str = <session::IdempotencyBegin as Command>::VERB;
    pub const IDEMPOTENCY_COMPLETE: &str = <session::IdempotencyComplete as Command>::VERB;
    pub const CONTROLS_DEFAULTS_GET: &str = <session::ControlsDefaultsGet as Command>::VERB;
    pub const CONTROLS_DEFAULTS_SET: &str = <session::ControlsDefaultsSet as Command>::VERB;
    pub const CONTROLS_GET: &str = <session::ControlsGet as Command>::VERB;
    pub const CONTROLS_SET: &str = <session::ControlsSet as Command>::VERB;
    pub const SETTINGS_LIST: &str = <session::SettingsList as Command>::VERB;
    pub const SETTINGS_GET: &str = <session::SettingsGet as Command>::VERB;
    pub const SETTINGS_SET: &str = <session::SettingsSet as Command>::VERB;
    pub const SETTINGS_MERGE: &str = <session::SettingsMerge as Command>::VERB;
    pub const SETTINGS_UNSET: &str = <session::SettingsUnset as Command>::VERB;
    pub const TRANSCRIPT_UPSERT: &str = <session::TranscriptUpsert as Command>::VERB;
    // runtime bridge
    pub const THREAD_START: &str = <runtime::ThreadStart as Command>::VERB;
    pub const TURN_START: &str = <runtime::TurnStart as Command>::VERB;
    pub const RUNTIME_CALL: &str = <runtime::Call as Command>::VERB;
    pub const TURN_STEER: &str = <runtime::TurnSteer as Command>::VERB;
    pub const TURN_INTERRUPT: &str = <runtime::TurnInterrupt as Command>::VERB;
    pub const THREAD_OP: &str = <runtime::ThreadOp as Command>::VERB;
    pub const THREAD_LIST: &str = <runtime::ThreadList as Command>::VERB;
    pub const REQUEST_RESPOND: &str = <runtime::RequestRespond as Command>::VERB;
    // queue worker
    pub const QUEUE_STATS: &str = <queue::Stats as Command>::VERB;
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
