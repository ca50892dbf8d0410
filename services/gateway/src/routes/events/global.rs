//! `GET /api/events?scope=&scopeId=&sessionId=&kind=&after=`: every event, or those of one
//! scope, one scope instance (`sessionId` is short for `scope=session&scopeId=`) and some kinds.
//! Without a resume point it starts with the next event; `after=0` replays from the beginning.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use cm_schemas::{BusError, Scope};
use serde::Deserialize;

use super::select::{Selection, check_id, parse_kinds, parse_scope};
use super::{EventStream, Start, open, resume_point};
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalEventsQuery {
    pub scope: Option<String>,
    pub scope_id: Option<String>,
    pub session_id: Option<String>,
    /// `item.delta`, a prefix `item.*`, or several comma-separated.
    pub kind: Option<String>,
    /// Resume after this stream sequence (used when no `Last-Event-ID` header is sent).
    pub after: Option<u64>,
}

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
        kinds: parse_kinds(q.kind.as_deref().unwrap_or_default())?,
    })
}
