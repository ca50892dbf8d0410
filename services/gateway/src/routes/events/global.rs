//! `GET /api/events?scope=&scopeId=&sessionId=&kind=&after=`: every event, or those of one
//! scope, one scope instance (`sessionId` is short for `scope=session&scopeId=`) and some kinds.
//! Without a resume point it starts with the next event; `after=0` replays from the beginning.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use cm_schemas::http::{ErrorBody, GlobalEventsQuery};
use cm_schemas::{BusError, Scope, StreamedEvent};

use super::select::{Selection, check_id, parse_kinds, parse_scope};
use super::{EventStream, Start, open, resume_point};
use crate::error::ApiResult;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/events", operation_id = "streamEvents", tag = "events",
    summary = "Follow every event (Server-Sent Events)",
    description = "Each frame is `id:` = the stream sequence, `event:` = the kind, `data:` = a `StreamedEvent`. Resume with `Last-Event-ID` (or `after`): nothing is skipped or repeated; history older than the stream keeps is read from Postgres; a `gap` event asks the client to refetch snapshots; `heartbeat` comments keep the connection alive; a client too slow to read is sent `dropped` and closed. Without a resume point it starts with the next event.",
    params(GlobalEventsQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this sequence")),
    responses((status = 200, description = "The event stream", content_type = "text/event-stream", body = StreamedEvent, example = json!("id: 42\nevent: item.delta\ndata: {\"seq\":42,\"event\":{\"id\":\"0193b0c2-aaaa-7bbb-8ccc-0d0e0f101112\",\"time\":\"2026-11-25T09:30:01Z\",\"scope\":\"session\",\"scopeId\":\"019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011\",\"kind\":\"item.delta\",\"data\":{\"turnId\":\"019ab3c4-2222-7aaa-8bbb-0c0d0e0f1011\",\"itemId\":\"msg_1\",\"stream\":\"text\",\"delta\":\"Hello\"}}}\n\n")),
        (status = 429, description = "Too many open streams", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait before trying again (1)")))))]
pub async fn global_events(
    State(state): State<AppState>,
    Query(q): Query<GlobalEventsQuery>,
    headers: HeaderMap,
) -> ApiResult<EventStream> {
    let after = resume_point(&headers, q.after)?;
    let sel = selection(&q)?;
    open(&state, sel, after.map_or(Start::New, Start::After)).await
}

fn selection(q: &GlobalEventsQuery) -> Result<Selection, BusError> {
    let mut scope = q.scope.as_deref().map(parse_scope).transpose()?;
    let scope_id = match (&q.session_id, &q.scope_id) {
        (Some(_), Some(_)) => {
            return Err(BusError::validation(
                "sessionId",
                "give sessionId or scopeId, not both",
            ));
        }
        (Some(sid), None) => {
            if scope.is_some_and(|s| s != Scope::Session) {
                return Err(BusError::validation(
                    "sessionId",
                    "sessionId selects session events; scope must be session or absent",
                ));
            }
            scope = Some(Scope::Session);
            Some(check_id("sessionId", sid)?)
        }
        (None, Some(id)) => {
            if scope.is_none() {
                return Err(BusError::validation("scopeId", "scopeId requires scope"));
            }
            Some(check_id("scopeId", id)?)
        }
        (None, None) => None,
    };
    Ok(Selection {
        scope,
        scope_id,
        kinds: parse_kinds(q.kind.as_deref())?,
    })
}
