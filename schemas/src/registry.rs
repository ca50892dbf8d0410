//! The list of published schemas: one JSON Schema file per wire type under `schemas/json/`.

use schemars::{Schema, schema_for};

use crate::{error, event, lifecycle, project, queue, reply, request, runtime, session, thread};

/// `(file stem, schema)` for every wire type.
pub fn all_schemas() -> Vec<(&'static str, Schema)> {
    vec![
        ("BusError", schema_for!(error::BusError)),
        ("Event", schema_for!(event::Event)),
        ("StreamedEvent", schema_for!(event::StreamedEvent)),
        (
            "history.PageEvents",
            schema_for!(crate::history::PageEvents),
        ),
        ("history.EventPage", schema_for!(crate::history::EventPage)),
        (
            "health.ConsumerStatus",
            schema_for!(crate::health::ConsumerStatus),
        ),
        ("ReplyEmpty", schema_for!(reply::Reply<queue::Empty>)),
        ("session.CreateSession", schema_for!(session::CreateSession)),
        ("session.ListSessions", schema_for!(session::ListSessions)),
        ("session.SessionPage", schema_for!(session::SessionPage)),
        ("session.GetSession", schema_for!(session::GetSession)),
        ("session.SessionInfo", schema_for!(session::SessionInfo)),
        (
            "session.SessionSnapshot",
            schema_for!(session::SessionSnapshot),
        ),
        ("session.StartTurn", schema_for!(session::StartTurn)),
        ("session.TurnAccepted", schema_for!(session::TurnAccepted)),
        (
            "session.TranscriptEntry",
            schema_for!(session::TranscriptEntry),
        ),
        (
            "session.UpsertTranscriptEntry",
            schema_for!(session::UpsertTranscriptEntry),
        ),
        (
            "session.TranscriptUpserted",
            schema_for!(session::TranscriptUpserted),
        ),
        ("request.RequestClass", schema_for!(request::RequestClass)),
        ("runtime.ThreadStart", schema_for!(runtime::ThreadStart)),
        ("runtime.ThreadStarted", schema_for!(runtime::ThreadStarted)),
        ("runtime.TurnStart", schema_for!(runtime::TurnStart)),
        ("runtime.TurnStarted", schema_for!(runtime::TurnStarted)),
        ("runtime.RuntimeStatus", schema_for!(runtime::RuntimeStatus)),
        ("queue.QueueStats", schema_for!(queue::QueueStats)),
        ("job.Job", schema_for!(crate::job::Job)),
        ("job.EnqueueJob", schema_for!(crate::job::EnqueueJob)),
        ("job.Enqueued", schema_for!(crate::job::Enqueued)),
        ("job.JobRef", schema_for!(crate::job::JobRef)),
        ("job.JobInfo", schema_for!(crate::job::JobInfo)),
        ("job.ListJobs", schema_for!(crate::job::ListJobs)),
        ("job.JobPage", schema_for!(crate::job::JobPage)),
        (
            "operator.RuntimeCall",
            schema_for!(crate::operator::RuntimeCall),
        ),
        (
            "operator.RuntimeCallResult",
            schema_for!(crate::operator::RuntimeCallResult),
        ),
        ("session.SteerTurn", schema_for!(session::SteerTurn)),
        ("session.InterruptTurn", schema_for!(session::InterruptTurn)),
        (
            "request.PendingRequest",
            schema_for!(request::PendingRequest),
        ),
        ("request.RequestRecord", schema_for!(request::RequestRecord)),
        ("request.ListRequests", schema_for!(request::ListRequests)),
        ("request.DecideRequest", schema_for!(request::DecideRequest)),
        (
            "request.RespondRequest",
            schema_for!(request::RespondRequest),
        ),
        ("thread.ThreadCommand", schema_for!(thread::ThreadCommand)),
        ("thread.ThreadList", schema_for!(thread::ThreadList)),
        ("thread.RuntimeResult", schema_for!(thread::RuntimeResult)),
        ("thread.TurnSteer", schema_for!(thread::TurnSteer)),
        ("thread.TurnInterrupt", schema_for!(thread::TurnInterrupt)),
        ("project.ProjectInfo", schema_for!(project::ProjectInfo)),
        ("project.CreateProject", schema_for!(project::CreateProject)),
        ("project.ListProjects", schema_for!(project::ListProjects)),
        ("project.ProjectList", schema_for!(project::ProjectList)),
        ("project.ProjectRef", schema_for!(project::ProjectRef)),
        ("project.UpdateProject", schema_for!(project::UpdateProject)),
        (
            "project.MoveProjectSessions",
            schema_for!(project::MoveProjectSessions),
        ),
        (
            "project.DeleteProjectSessions",
            schema_for!(project::DeleteProjectSessions),
        ),
        ("project.BulkResult", schema_for!(project::BulkResult)),
        (
            "lifecycle.UpdateSession",
            schema_for!(lifecycle::UpdateSession),
        ),
        ("lifecycle.SessionRef", schema_for!(lifecycle::SessionRef)),
        (
            "lifecycle.SessionDeleted",
            schema_for!(lifecycle::SessionDeleted),
        ),
        (
            "lifecycle.SessionActionResult",
            schema_for!(lifecycle::SessionActionResult),
        ),
        (
            "lifecycle.RollbackSession",
            schema_for!(lifecycle::RollbackSession),
        ),
        ("lifecycle.RolledBack", schema_for!(lifecycle::RolledBack)),
        (
            "lifecycle.ReviewSession",
            schema_for!(lifecycle::ReviewSession),
        ),
        (
            "idempotency.BeginIdempotent",
            schema_for!(crate::idempotency::BeginIdempotent),
        ),
        (
            "idempotency.BeginOutcome",
            schema_for!(crate::idempotency::BeginOutcome),
        ),
        (
            "idempotency.CompleteIdempotent",
            schema_for!(crate::idempotency::CompleteIdempotent),
        ),
        (
            "idempotency.CompleteOutcome",
            schema_for!(crate::idempotency::CompleteOutcome),
        ),
        ("controls.Controls", schema_for!(crate::controls::Controls)),
        (
            "controls.ControlDefaults",
            schema_for!(crate::controls::ControlDefaults),
        ),
        (
            "controls.GetControlDefaults",
            schema_for!(crate::controls::GetControlDefaults),
        ),
        (
            "controls.GetSessionControls",
            schema_for!(crate::controls::GetSessionControls),
        ),
        (
            "controls.SetSessionControls",
            schema_for!(crate::controls::SetSessionControls),
        ),
        (
            "controls.SessionControls",
            schema_for!(crate::controls::SessionControls),
        ),
        (
            "controls.ListSettings",
            schema_for!(crate::controls::ListSettings),
        ),
        (
            "controls.SettingRef",
            schema_for!(crate::controls::SettingRef),
        ),
        (
            "controls.SetSetting",
            schema_for!(crate::controls::SetSetting),
        ),
        (
            "controls.MergeSetting",
            schema_for!(crate::controls::MergeSetting),
        ),
        ("controls.Setting", schema_for!(crate::controls::Setting)),
        (
            "controls.SettingList",
            schema_for!(crate::controls::SettingList),
        ),
    ]
}

/// Renders a schema the way it is committed (pretty JSON, trailing newline).
pub fn render(schema: &Schema) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}
