//! `GET /api/sessions/{id}/events[?after=SEQ][&kind=…]`: one session's events, from the
//! beginning of its history unless a resume point is given.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use cm_schemas::Scope;
use cm_schemas::StreamedEvent;
use cm_schemas::commands;
use cm_schemas::http::{ErrorBody, SessionEventsQuery};
use cm_schemas::session::{GetSession, SessionSnapshot};

use super::select::{Selection, check_id, parse_kinds};
use super::{EventStream, Start, open, resume_point};
use crate::error::ApiResult;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/sessions/{id}/events", operation_id = "streamSessionEvents", tag = "events",
    summary = "Follow one session's events (Server-Sent Events)",
    description = "From the beginning of the session's history unless a resume point is given: pass the `seq` of a snapshot as `Last-Event-ID` (or `after`) to continue exactly where it ends. Frames, heartbeats, `gap` and `dropped` as for `/api/events`.",
    params(SessionEventsQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this sequence")),
    responses((status = 200, description = "The event stream", content_type = "text/event-stream", body = StreamedEvent, example = json!("id: 42\nevent: item.delta\ndata: {\"seq\":42,\"event\":{\"id\":\"0193b0c2-aaaa-7bbb-8ccc-0d0e0f101112\",\"time\":\"2026-11-25T09:30:01Z\",\"scope\":\"session\",\"scopeId\":\"019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011\",\"kind\":\"item.delta\",\"data\":{\"turnId\":\"019ab3c4-2222-7aaa-8bbb-0c0d0e0f1011\",\"itemId\":\"msg_1\",\"stream\":\"text\",\"delta\":\"Hello\"}}}\n\n")),
        (status = 410, description = "The session was deleted", body = ErrorBody),
        (status = 429, description = "Too many open streams", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait before trying again (1)")))))]
pub async fn session_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SessionEventsQuery>,
    headers: HeaderMap,
) -> ApiResult<EventStream> {
    let after = resume_point(&headers, q.after)?;
    let kinds = parse_kinds(q.kind.as_deref())?;
    // 404 (or 410) for a session that does not exist rather than an eternally silent stream.
    let _: SessionSnapshot = state
        .call::<commands::session::Get>(&GetSession {
            session_id: id.clone(),
        })
        .await?;
    let sel = Selection {
        scope: Some(Scope::Session),
        scope_id: Some(check_id("id", &id)?),
        kinds,
    };
    open(&state, sel, Start::After(after.unwrap_or(0))).await
}
