//! The task behind one event stream: history from the session service when the resume point is
//! older than the stream keeps, then JetStream from an ordered consumer. `cursor` is the stream
//! sequence everything up to which has been handled; nothing at or below it is sent again.

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use async_nats::jetstream::stream::Stream as JsStream;
use cm_schemas::history::EventPage;
use cm_schemas::{Event, StreamedEvent};
use futures::StreamExt;
use tokio::sync::OwnedSemaphorePermit;

use super::history;
use super::select::Selection;
use crate::state::AppState;
use crate::streams::{End, Outbox};

pub struct Pump {
    pub state: AppState,
    pub sel: Selection,
    pub cursor: u64,
    pub stream: JsStream,
    /// `(first sequence the stream held, first history page)` when history is needed.
    pub history: Option<(u64, EventPage)>,
    pub out: Outbox,
    /// The subscriber slot, released when the task ends.
    pub permit: OwnedSemaphorePermit,
}

pub async fn run(p: Pump) {
    let Pump {
        state,
        sel,
        mut cursor,
        stream,
        history,
        mut out,
        permit,
    } = p;
    let shutdown = state.shutdown.clone();
    let result = tokio::select! {
        r = pump(&state, &sel, &mut cursor, &stream, history, &mut out) => r,
        _ = shutdown.cancelled() => Ok(()),
    };
    match result {
        Ok(()) | Err(End::Closed) => {}
        Err(End::Slow) => {
            tracing::info!(filter = %sel.subject(), "slow event stream client dropped");
            out.drop_slow();
        }
        // The client reconnects with Last-Event-ID and loses nothing.
        Err(End::Failed(e)) => tracing::info!(error = %e, "event stream ended"),
    }
    drop(permit);
}

async fn pump(
    state: &AppState,
    sel: &Selection,
    cursor: &mut u64,
    stream: &JsStream,
    history: Option<(u64, EventPage)>,
    out: &mut Outbox,
) -> Result<(), End> {
    if let Some((before, first)) = history {
        history::replay(state, sel, cursor, before, Some(first), out).await?;
    }
    let failed = |e: &dyn std::fmt::Display| End::Failed(format!("event stream: {e}"));
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: sel.subject(),
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: cursor.saturating_add(1),
            },
            ..Default::default()
        })
        .await
        .map_err(|e| failed(&e))?;
    let mut messages = consumer.messages().await.map_err(|e| failed(&e))?;
    // What left the stream while history was paged or the consumer was made comes from
    // history as well; the live messages it overlaps are skipped by the cursor.
    let first = stream
        .get_info()
        .await
        .map_err(|e| failed(&e))?
        .state
        .first_sequence;
    history::replay(state, sel, cursor, first, None, out).await?;
    loop {
        let next = tokio::select! {
            m = messages.next() => m,
            _ = out.closed() => return Err(End::Closed),
        };
        let Some(msg) = next else { return Ok(()) };
        let msg = msg.map_err(|e| failed(&e))?;
        let Ok(seq) = msg.info().map(|i| i.stream_sequence) else {
            continue;
        };
        if seq <= *cursor {
            continue;
        }
        *cursor = seq;
        // An event larger than a message arrives as a preview: the whole is in the blob store.
        let event: Event = match state
            .bus
            .read_event(msg.headers.as_ref(), &msg.payload)
            .await
        {
            Ok(e) => e,
            Err(e) => match serde_json::from_slice(&msg.payload) {
                Ok(preview) => {
                    tracing::warn!(seq, error = %e, "whole event not readable; its preview is sent");
                    preview
                }
                Err(_) => {
                    tracing::warn!(seq, error = %e, "malformed event skipped");
                    continue;
                }
            },
        };
        if !sel.matches(&event) {
            continue;
        }
        if let Some(frame) = super::event_frame(&StreamedEvent { seq, event }) {
            out.send(frame, Some(seq)).await?;
        }
    }
}
