//! Sample events: `item.delta` events of one session, the most frequent kind on the hot path,
//! with a token-sized delta like a streamed reply has.

use bytes::Bytes;
use cm_schemas::event::DeltaStream;
use cm_schemas::{Event, EventBody};

/// A fresh `item.delta` event (its own id, so JetStream's duplicate window keeps it).
pub fn delta(session_id: &str, item_id: &str, i: usize) -> Event {
    Event::session(
        session_id,
        EventBody::ItemDelta {
            turn_id: "bench-turn".to_owned(),
            item_id: item_id.to_owned(),
            stream: DeltaStream::Text,
            delta: format!(" token{:04}", i % 10_000),
        },
    )
}

/// `n` fresh events for one item.
pub fn deltas(session_id: &str, item_id: &str, n: usize) -> Vec<Event> {
    (0..n).map(|i| delta(session_id, item_id, i)).collect()
}

/// The subject and serialized bytes `Bus::publish_event` would send for each event.
pub fn raw(events: &[Event]) -> anyhow::Result<Vec<(String, Bytes)>> {
    events
        .iter()
        .map(|e| Ok((e.subject(), Bytes::from(serde_json::to_vec(e)?))))
        .collect()
}
