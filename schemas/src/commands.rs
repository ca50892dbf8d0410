//! The command table: every request/reply command of the bus, declared once.
//!
//! Each command is a zero-sized type implementing [`Command`], which ties its subject
//! (`<service prefix>.<verb>`) to its request and response types. Services register handlers
//! with `cm_bus::Group::endpoint::<C>` and callers send with `cm_bus::Bus::call::<C>`, so both
//! ends are checked against the same line of the table below. The commands of one service live
//! in a module named after it (`commands::session::Create`, `commands::runtime::TurnStart`).
//!
//! Adding a command is one line in [`commands!`] below, a handler, and one registration line in
//! the service's `lib.rs` (see `docs/bus.md`, "The command table").

use serde::{Serialize, de::DeserializeOwned};

/// A bus command: a subject with its request and response types.
pub trait Command: Send + Sync + 'static {
    /// The service's subject prefix ([`crate::subjects::prefix`]), also its NATS service group.
    const PREFIX: &'static str;
    /// The verb, relative to [`Command::PREFIX`].
    const VERB: &'static str;
    type Request: Serialize + DeserializeOwned + Send + Sync + 'static;
    type Response: Serialize + DeserializeOwned + Send + 'static;

    /// The full subject, `cm.v1.<service>.<verb>`.
    fn subject() -> String {
        crate::subjects::command(Self::PREFIX, Self::VERB)
    }
}

/// One row of [`ALL`]: what the table declares, for checks over every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    /// `<service module>::<type>`, e.g. `session::Create`.
    pub name: &'static str,
    pub prefix: &'static str,
    pub verb: &'static str,
}

/// Declares each service's commands as zero-sized [`Command`] types in a module of that name,
/// and lists them all in [`ALL`]. A row reads `Type = "verb": Request => Response`.
macro_rules! commands {
    ($(
        $(#[$service_doc:meta])*
        $service:ident ($prefix:expr) {
            $( $(#[$doc:meta])* $name:ident = $verb:literal : $req:ty => $resp:ty ),* $(,)?
        }
    )*) => {
        $(
            $(#[$service_doc])*
            pub mod $service {
                #[allow(unused_imports)]
                use crate::*;
                use super::Command;
                $(
                    $(#[$doc])*
                    #[derive(Debug, Clone, Copy, Default)]
                    pub struct $name;

                    impl Command for $name {
                        const PREFIX: &'static str = $prefix;
                        const VERB: &'static str = $verb;
                        type Request = $req;
                        type Response = $resp;
                    }
                )*
            }
        )*

        /// Every command of the table.
        pub const ALL: &[CommandInfo] = &[$($(
            CommandInfo {
                name: concat!(stringify!($service), "::", stringify!($name)),
                prefix: $prefix,
                verb: $verb,
            },
        )*)*];
    };
}

commands! {
    /// `cm.v1.session.*`: the session service (sessions, projects, requests, controls).
    session (crate::subjects::prefix::SESSION) {
        Create = "create": session::CreateSession => session::SessionInfo,
        List = "list": session::ListSessions => session::SessionPage,
        Get = "get": session::GetSession => session::SessionSnapshot,
        TurnStart = "turn.start": session::StartTurn => session::TurnAccepted,
        TurnSteer = "turn.steer": session::SteerTurn => session::TurnAccepted,
        TurnInterrupt = "turn.interrupt": session::InterruptTurn => session::TurnAccepted,
        EventsPage = "events.page": history::PageEvents => history::EventPage,
        RequestList = "request.list": request::ListRequests => Vec<request::RequestRecord>,
        RequestDecide = "request.decide": request::DecideRequest => request::RequestRecord,
        ConsumerStatus = "consumer.status": health::GetConsumerStatus => health::ConsumerStatus,
        // Projects.
        ProjectCreate = "project.create": project::CreateProject => project::ProjectInfo,
        ProjectList = "project.list": project::ListProjects => project::ProjectList,
        ProjectGet = "project.get": project::ProjectRef => project::ProjectInfo,
        ProjectUpdate = "project.update": project::UpdateProject => project::ProjectInfo,
        ProjectDelete = "project.delete": project::ProjectRef => project::ProjectRef,
        ProjectMoveSessions = "project.move_sessions":
            project::MoveProjectSessions => project::BulkResult,
        ProjectDeleteSessions = "project.delete_sessions":
            project::DeleteProjectSessions => project::BulkResult,
        // Session lifecycle.
        Update = "update": lifecycle::UpdateSession => session::SessionInfo,
        Archive = "archive": lifecycle::SessionRef => session::SessionInfo,
        Unarchive = "unarchive": lifecycle::SessionRef => session::SessionInfo,
        Delete = "delete": lifecycle::SessionRef => lifecycle::SessionDeleted,
        Fork = "fork": lifecycle::SessionRef => session::SessionInfo,
        Compact = "compact": lifecycle::SessionRef => lifecycle::SessionActionResult,
        Rollback = "rollback": lifecycle::RollbackSession => lifecycle::RolledBack,
        Resume = "resume": lifecycle::SessionRef => session::SessionInfo,
        Review = "review": lifecycle::ReviewSession => session::TurnAccepted,
        TerminalsClean = "terminals.clean": lifecycle::SessionRef => lifecycle::SessionActionResult,
        // Idempotency keys and system-owned transcripts.
        IdempotencyBegin = "idempotency.begin":
            idempotency::BeginIdempotent => idempotency::BeginOutcome,
        IdempotencyComplete = "idempotency.complete":
            idempotency::CompleteIdempotent => idempotency::CompleteOutcome,
        TranscriptUpsert = "transcript.upsert":
            session::UpsertTranscriptEntry => session::TranscriptUpserted,
        // Controls and settings.
        ControlsDefaultsGet = "controls.defaults.get":
            controls::GetControlDefaults => controls::ControlDefaults,
        ControlsDefaultsSet = "controls.defaults.set":
            controls::ControlDefaults => controls::ControlDefaults,
        ControlsGet = "controls.get": controls::GetSessionControls => controls::SessionControls,
        ControlsSet = "controls.set": controls::SetSessionControls => controls::SessionControls,
        SettingsList = "settings.list": controls::ListSettings => controls::SettingList,
        SettingsGet = "settings.get": controls::SettingRef => controls::Setting,
        SettingsSet = "settings.set": controls::SetSetting => controls::Setting,
        SettingsMerge = "settings.merge": controls::MergeSetting => controls::Setting,
        SettingsUnset = "settings.unset": controls::SettingRef => controls::SettingRef,
    }

    /// `cm.v1.runtime.*`: the runtime bridge (codex app-server threads and turns).
    runtime (crate::subjects::prefix::RUNTIME) {
        ThreadStart = "thread.start": runtime::ThreadStart => runtime::ThreadStarted,
        TurnStart = "turn.start": runtime::TurnStart => runtime::TurnStarted,
        TurnSteer = "turn.steer": thread::TurnSteer => thread::RuntimeResult,
        TurnInterrupt = "turn.interrupt": thread::TurnInterrupt => thread::RuntimeResult,
        ThreadOp = "thread.op": thread::ThreadCommand => thread::RuntimeResult,
        ThreadList = "thread.list": thread::ThreadList => thread::RuntimeResult,
        RequestRespond = "request.respond": request::RespondRequest => thread::RuntimeResult,
        Call = "call": operator::RuntimeCall => operator::RuntimeCallResult,
        Status = "status": queue::Empty => runtime::RuntimeStatus,
    }

    /// `cm.v1.queue.*`: the queue worker.
    queue (crate::subjects::prefix::QUEUE) {
        Stats = "stats": queue::Empty => queue::QueueStats,
        // Durable jobs.
        JobEnqueue = "job.enqueue": job::EnqueueJob => job::Enqueued,
        JobGet = "job.get": job::JobRef => job::JobInfo,
        JobList = "job.list": job::ListJobs => job::JobPage,
        JobCancel = "job.cancel": job::JobRef => job::JobInfo,
    }

    /// `cm.v1.gateway.*`: the gateway's own endpoint (its address, for `$SRV` tooling).
    gateway (crate::subjects::prefix::GATEWAY) {
        Status = "status": queue::Empty => serde_json::Value,
    }
}

/// Command verbs, relative to their service prefix: taken from the command table
/// (this module), for code that spells a raw subject (permissions, tests). A new command
/// needs no entry here; typed callers use `Command::VERB`/`Command::subject()`.
pub mod verb {
    use super::{Command, queue, runtime, session};

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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::subjects;

    #[test]
    fn subjects_are_unique_and_under_their_service() {
        let prefixes = [
            subjects::prefix::SESSION,
            subjects::prefix::RUNTIME,
            subjects::prefix::QUEUE,
            subjects::prefix::GATEWAY,
        ];
        let mut seen = HashSet::new();
        for c in ALL {
            let subject = subjects::command(c.prefix, c.verb);
            assert!(seen.insert(subject.clone()), "{} reuses {subject}", c.name);
            assert!(
                prefixes.contains(&c.prefix),
                "{} has an unknown prefix",
                c.name
            );
            let service = c.name.split("::").next().unwrap_or_default();
            assert_eq!(
                c.prefix,
                format!("cm.v1.{service}"),
                "{} lies outside its service's prefix",
                c.name
            );
            assert!(
                !c.verb.is_empty()
                    && c.verb.split('.').all(|t| !t.is_empty()
                        && t.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')),
                "{}: verb {:?} is not dotted lowercase tokens",
                c.name,
                c.verb
            );
        }
    }

    #[test]
    fn subject_joins_prefix_and_verb() {
        assert_eq!(session::TurnStart::subject(), "cm.v1.session.turn.start");
        assert_eq!(runtime::TurnStart::subject(), "cm.v1.runtime.turn.start");
        assert_eq!(ALL.len(), 39 + 9 + 5 + 1);
    }
}
