//! Server-Sent Events: `GET /api/sessions/{id}/events` and `GET /api/events`.
//!
//! Each SSE `id:` is the event's stream sequence, `event:` its kind and `data:` the event with
//! `seq`. A client resumes with `Last-Event-ID` (or `?after=SEQ`, e.g. the `seq` of a snapshot)
//! and receives exactly what came after it: from JetStream while the stream still holds it,
//! paged from the session service (Postgres) when it is older (`history`), with `event: gap`
//! where neither has it. `: heartbeat` comments keep idle connections open. Streams are bounded
//! in number and a client that stops reading is dropped without slowing anyone else
//! (`crate::streams`).

pub mod global;
mod history;
mod pump;
mod select;
pub mod session;

use std::convert::Infallible;

use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, KeepAliveStream, Sse};
use cm_schemas::{BusError, StreamedEvent, subjects};
use futures::stream::BoxStream;
use futures::{StreamExt, future};
use tokio_stream::wrappers::ReceiverStream;

pub use select::KINDS_PATTERN;

use crate::error::{ApiError, ApiResult};
use crate::params;
use crate::state::AppState;
use select::Selection;

pub type EventStream = Sse<KeepAliveStream<BoxStream<'static, Result<SseEvent, Infallible>>>>;

/// Where a stream starts.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// After this stream sequence (0: from the beginning).
    After(u64),
    /// With the next event published.
    New,
}

/// `Last-Event-ID` if sent, else `?after=`; both at most [`params::MAX_SEQ`], so no
/// arithmetic on a resume point can overflow.
pub fn resume_point(headers: &HeaderMap, after: Option<u64>) -> Result<Option<u64>, ApiError> {
    const FIELD: &str = "Last-Event-ID";
    let mut values = headers.get_all("last-event-id").iter();
    match (values.next(), values.next()) {
        (Some(_), Some(_)) => Err(ApiError(BusError::validation(
            FIELD,
            "send one Last-Event-ID header",
        ))),
        (Some(v), None) => {
            let text = v.to_str().map_err(|_| {
                ApiError(BusError::validation(FIELD, "Last-Event-ID must be digits"))
            })?;
            Ok(Some(params::parse_seq(FIELD, text)?))
        }
        (None, _) => Ok(after.map(|a| params::check_seq("after", a)).transpose()?),
    }
}

/// Opens a stream of `sel` from `start`: takes a subscriber slot (429 when none is free),
/// fetches the first history page when the start is older than the stream (so an unavailable
/// history is a 503, not a broken stream), and hands the rest to the stream's task.
pub async fn open(state: &AppState, sel: Selection, start: Start) -> ApiResult<EventStream> {
    let permit = state.streams.acquire()?;
    let unavailable = |e: &dyn std::fmt::Display| {
        ApiError(BusError::unavailable(
            "nats",
            format!("event stream unavailable: {e}"),
        ))
    };
    let stream = state
        .bus
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await
        .map_err(|e| unavailable(&e))?;
    let held = &stream.cached_info().state;
    let (first, last) = (held.first_sequence, held.last_sequence);
    let cursor = match start {
        Start::After(seq) => seq,
        Start::New => last,
    };
    let history = if cursor.saturating_add(1) < first {
        Some((first, history::page(state, &sel, cursor, first).await?))
    } else {
        None
    };
    let config = &state.streams.config;
    let (out, inbox) = crate::streams::channel(config, cursor);
    tokio::spawn(pump::run(pump::Pump {
        state: state.clone(),
        sel,
        cursor,
        stream,
        history,
        out,
        permit,
    }));
    let last_frame = futures::stream::once(inbox.last).filter_map(|r| future::ready(r.ok()));
    let body = ReceiverStream::new(inbox.frames)
        .chain(last_frame)
        .take_until(state.shutdown.clone().cancelled_owned())
        .map(Ok)
        .boxed();
    Ok(Sse::new(body).keep_alive(
        KeepAlive::new()
            .interval(config.keep_alive)
            .text("heartbeat"),
    ))
}

/// `id:` = stream sequence, `event:` = kind, `data:` = the event with `seq`.
pub fn event_frame(ev: &StreamedEvent) -> Option<SseEvent> {
    let data = serde_json::to_string(ev).ok()?;
    Some(
        SseEvent::default()
            .id(ev.seq.to_string())
            .event(ev.event.body.kind())
            .data(data),
    )
}
