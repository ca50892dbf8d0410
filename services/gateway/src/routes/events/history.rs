//! Events older than the stream keeps, paged from the session service
//! (`cm.v1.session.events.page`, Postgres) ahead of the live stream.
//!
//! Where Postgres has no record of a sequence that may have held a selected event, the client
//! gets `event: gap` with `{"from", "to", "action": "refetch_snapshot"}` (and `id:` = `to`)
//! instead of a silent hole, and the stream goes on after `to`.

use axum::response::sse::Event as SseEvent;
use cm_schemas::BusError;
use cm_schemas::commands;
use cm_schemas::history::{EventPage, PageEvents};

use super::select::Selection;
use crate::state::AppState;
use crate::streams::{End, Outbox};

const PAGE_LIMIT: u32 = 200;

/// One page of `(after, before)` for `sel`.
pub async fn page(
    state: &AppState,
    sel: &Selection,
    after: u64,
    before: u64,
) -> Result<EventPage, BusError> {
    state
        .call::<commands::session::EventsPage>(&PageEvents {
            scope: sel.scope,
            scope_id: sel.scope_id.clone(),
            after_seq: after,
            before_seq: Some(before),
            limit: Some(PAGE_LIMIT),
        })
        .await
}

/// Sends the selected events of `(*cursor, before)` — starting with `first` when it was fetched
/// already — and leaves `*cursor` at `before - 1`.
pub async fn replay(
    state: &AppState,
    sel: &Selection,
    cursor: &mut u64,
    before: u64,
    mut first: Option<EventPage>,
    out: &mut Outbox,
) -> Result<(), End> {
    while cursor.saturating_add(1) < before {
        let page = match first.take() {
            Some(p) => p,
            None => page(state, sel, *cursor, before)
                .await
                .map_err(|e| End::Failed(format!("history unavailable: {e}")))?,
        };
        let hole = page.missing.first().copied();
        for ev in &page.events {
            if ev.seq <= *cursor || hole.is_some_and(|h| ev.seq >= h.from) {
                continue;
            }
            if sel.matches(&ev.event)
                && let Some(frame) = super::event_frame(ev)
            {
                out.send(frame, Some(ev.seq)).await?;
            }
        }
        if let Some(hole) = hole {
            let from = hole.from.max(cursor.saturating_add(1));
            let to = before.saturating_sub(1);
            tracing::info!(from, to, "event history has a gap; client told to refetch");
            out.send(gap_frame(from, to), Some(to)).await?;
            *cursor = to;
            return Ok(());
        }
        if !page.more {
            *cursor = before.saturating_sub(1);
            return Ok(());
        }
        if page.through_seq <= *cursor {
            return Err(End::Failed("event history made no progress".to_owned()));
        }
        *cursor = page.through_seq;
    }
    Ok(())
}

pub fn gap_frame(from: u64, to: u64) -> SseEvent {
    let data = serde_json::json!({ "from": from, "to": to, "action": "refetch_snapshot" });
    SseEvent::default()
        .id(to.to_string())
        .event("gap")
        .data(data.to_string())
}
