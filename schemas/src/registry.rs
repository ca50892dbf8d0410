//! The list of published schemas: one JSON Schema file per wire type under `schemas/json/`.

use schemars::{Schema, schema_for};

use crate::{error, event, queue, reply, request, runtime, session, thread};

/// `(file stem, schema)` for every wire type.
pub fn all_schemas() -> Vec<(&'static str, Schema)> {
    vec![
        ("BusError", schema_for!(error::BusError)),
        ("Event", schema_for!(event::Event)),
        ("StreamedEvent", schema_for!(event::StreamedEvent)),
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
        ("runtime.ThreadStart", schema_for!(runtime::ThreadStart)),
        ("runtime.ThreadStarted", schema_for!(runtime::ThreadStarted)),
        ("runtime.TurnStart", schema_for!(runtime::TurnStart)),
        ("runtime.TurnStarted", schema_for!(runtime::TurnStarted)),
        ("runtime.RuntimeStatus", schema_for!(runtime::RuntimeStatus)),
        ("queue.QueueStats", schema_for!(queue::QueueStats)),
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
    ]
}

/// Renders a schema the way it is committed (pretty JSON, trailing newline).
pub fn render(schema: &Schema) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}
