//! `GET /api/sessions/{id}/events`: Server-Sent Events straight from JetStream.
//!
//! Each SSE `id:` is the event's stream sequence. A client resumes with `Last-Event-ID` (or
//! `?after=SEQ`, e.g. the `seq` of a snapshot) and receives exactly what came after it. The
//! ordered consumer pulls on demand, so a slow client slows only its own stream.

use std::convert::Infallible;
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use cm_schemas::session::{GetSession, SessionSnapshot};
use cm_schemas::subjects::{self, prefix, verb};
use cm_schemas::{BusError, Event, Scope, StreamedEvent};
use futures::{Stream, StreamExt};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Resume after this stream sequence (used when no `Last-Event-ID` header is sent).
    pub after: Option<u64>,
}

pub async fn session_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let after = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError(BusError::validation(
                        "Last-Event-ID",
                        "Last-Event-ID must be a stream sequence number",
                    ))
                })?,
        ),
        None => q.after,
    };
    // 404 for a session that does not exist rather than an eternally silent stream.
    let _: SessionSnapshot = state
        .command(
            &subjects::command(prefix::SESSION, verb::SESSION_GET),
            &GetSession {
                session_id: id.clone(),
            },
        )
        .await?;
    let events = subscribe(&state, subjects::event_filter(Scope::Session, &id), after).await?;
    Ok(Sse::new(events).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    ))
}

/// An ordered consumer over `filter`, starting after `after` (or at the beginning).
async fn subscribe(
    state: &AppState,
    filter: String,
    after: Option<u64>,
) -> Result<impl Stream<Item = Result<SseEvent, Infallible>> + use<>, ApiError> {
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
    let deliver_policy = match after {
        Some(seq) => DeliverPolicy::ByStartSequence {
            start_sequence: seq + 1,
        },
        None => DeliverPolicy::All,
    };
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: filter,
            deliver_policy,
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable(&e))?;
    let messages = consumer.messages().await.map_err(|e| unavailable(&e))?;
    // An error or shutdown ends the stream; the client reconnects with Last-Event-ID and loses
    // nothing.
    let shutdown = state.shutdown.clone().cancelled_owned();
    Ok(messages
        .take_until(shutdown)
        .take_while(|m| {
            if let Err(e) = m {
                tracing::info!(error = %e, "event stream ended");
            }
            futures::future::ready(m.is_ok())
        })
        .filter_map(|m| async move {
            let msg = m.ok()?;
            let seq = msg.info().ok()?.stream_sequence;
            let event: Event = match serde_json::from_slice(&msg.payload) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(seq, error = %e, "malformed event skipped");
                    return None;
                }
            };
            let kind = event.body.kind();
            let data = serde_json::to_string(&StreamedEvent { seq, event }).ok()?;
            Some(Ok(SseEvent::default()
                .id(seq.to_string())
                .event(kind)
                .data(data)))
        }))
}
