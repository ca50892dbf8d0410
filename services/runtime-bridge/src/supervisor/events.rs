//! What the runtime sends on its own: notifications become events (and update the tracker
//! first, so a later exit can close what they opened), and over-long lines become errors.

use std::sync::Arc;

use cm_schemas::event::DeltaStream;
use cm_schemas::{Event, EventBody, Scope};
use serde_json::{Value, json};

use super::Runtime;
use crate::appserver::Incoming;
use crate::instance::Instance;
use crate::normalize::normalize;
use crate::tracker::OpenItem;

impl Runtime {
    pub(super) async fn on_notification(
        &self,
        instance: &Arc<Instance>,
        method: &str,
        params: &Value,
    ) {
        let event = normalize(&self.cfg.bridge_id, method, params);
        let thread = event.scope_id.clone();
        match &event.body {
            EventBody::TurnStarted { turn_id } => self.turn_started(&thread, turn_id).await,
            EventBody::ItemStarted {
                item_id,
                item_type,
                item,
                ..
            } => {
                if let Ok(mut t) = self.tracker.lock() {
                    let open = OpenItem {
                        item_id: item_id.clone(),
                        item_type: item_type.clone(),
                        item: item.clone(),
                        streamed: String::new(),
                    };
                    t.item_started(&thread, open);
                }
            }
            EventBody::ItemDelta {
                item_id,
                stream:
                    DeltaStream::Text | DeltaStream::CommandOutput | DeltaStream::ReasoningSummary,
                delta,
                ..
            } => {
                if let Ok(mut t) = self.tracker.lock() {
                    t.item_delta(&thread, item_id, delta);
                }
            }
            EventBody::ItemCompleted { item_id, .. } => {
                if let Ok(mut t) = self.tracker.lock() {
                    t.item_completed(&thread, item_id);
                }
            }
            EventBody::TurnCompleted { turn_id, .. } => {
                // Close what the runtime left open before the turn's end is published.
                self.end_turn(&thread, turn_id, "turn_completed").await;
            }
            _ => {}
        }
        if method == "serverRequest/resolved" {
            self.settled_by_runtime(instance, params).await;
        }
        self.emit(event).await;
    }

    /// A line over the length limit was skipped (and logged by the reader): count it and record
    /// it as a `runtime.error` on the session its first bytes name, else on the runtime.
    pub(super) async fn on_line_skipped(&self, skipped: Incoming) {
        let Incoming::LineSkipped {
            stream,
            bytes,
            limit,
            thread_id,
            method,
        } = skipped
        else {
            return;
        };
        self.lines_skipped.add(
            1,
            &[opentelemetry::KeyValue::new("stream", stream.as_str())],
        );
        let body = EventBody::RuntimeError {
            turn_id: None,
            message: format!(
                "codex app-server wrote a {bytes}-byte line to {}, over the bridge's \
                 {limit}-byte limit; the line was skipped",
                stream.as_str()
            ),
            will_retry: false,
            error: json!({
                "code": "line_too_long",
                "stream": stream.as_str(),
                "bytes": bytes,
                "limit": limit,
                "method": method,
            }),
        };
        let event = match thread_id {
            Some(thread) => Event::new(Scope::Session, thread, body),
            None => Event::new(Scope::Runtime, &self.cfg.bridge_id, body),
        };
        self.emit(event).await;
    }
}
