//! `GET /api/sessions/{id}/events[?after=SEQ][&kind=…]`: one session's events, from the
//! beginning of its history unless a resume point is given.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use cm_schemas::Scope;
use cm_schemas::session::{GetSession, SessionSnapshot};
use cm_schemas::subjects::{self, prefix, verb};
use serde::Deserialize;

use super::select::{Selection, check_id, parse_kinds};
use super::{EventStream, Start, open, resume_point};
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct SessionEventsQuery {
    /// Resume after this stream sequence (used when no `Last-Event-ID` header is sent).
    pub after: Option<u64>,
    /// Only these kinds (`item.delta`, `item.*`, comma-separated).
    pub kind: Option<String>,
}

pub async fn session_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SessionEventsQuery>,
    headers: HeaderMap,
) -> ApiResult<EventStream> {
    let after = resume_point(&headers, q.after)?;
    let kinds = parse_kinds(q.kind.as_deref().unwrap_or_default())?;
    // 404 (or 410) for a session that does not exist rather than an eternally silent stream.
    let _: SessionSnapshot = state
        .command(
            &subjects::command(prefix::SESSION, verb::SESSION_GET),
            &GetSession {
                session_id: id.clone(),
            },
        )
        .await?;
    let sel = Selection {
        scope: Some(Scope::Session),
        scope_id: Some(check_id("id", &id)?),
        kinds,
    };
    open(&state, sel, Start::After(after.unwrap_or(0))).await
}
