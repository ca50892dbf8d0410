//! Ending what a runtime left in flight, the same deterministic way whether the process
//! exited, a turn completed with items still open, or a previous run of the bridge died:
//! open items complete as `canceled`, held requests expire, turns end as failed.

use cm_schemas::event::TurnStatus;
use cm_schemas::{Event, EventBody, Scope};

use super::Runtime;

impl Runtime {
    /// Ends a turn's leftovers: open items complete as `canceled`, held requests expire.
    pub(super) async fn end_turn(&self, thread_id: &str, turn_id: &str, reason: &str) {
        let (items, requests) = match self.tracker.lock() {
            Ok(mut t) => (
                t.turn_ended(thread_id),
                t.take_requests(thread_id, Some(turn_id)),
            ),
            Err(_) => (Vec::new(), Vec::new()),
        };
        for item in items {
            let (item_id, item_type) = (item.item_id.clone(), item.item_type.clone());
            let body = EventBody::ItemCompleted {
                turn_id: turn_id.to_owned(),
                item_id,
                item_type,
                item: item.closed("canceled"),
            };
            self.emit(Event::new(Scope::Session, thread_id, body)).await;
        }
        for (request_id, _) in requests {
            self.expire(thread_id, &request_id, reason).await;
        }
        if let Some(f) = &self.inflight {
            f.turn_ended(thread_id).await;
        }
    }

    /// The runtime is gone: every turn it was running ends now, as failed, after its open items
    /// and requests.
    pub(super) async fn end_everything(&self, reason: &str) {
        let threads: Vec<(String, String)> = match self.tracker.lock() {
            Ok(t) => t
                .turns
                .iter()
                .map(|(th, s)| (th.clone(), s.turn_id.clone()))
                .collect(),
            Err(_) => Vec::new(),
        };
        for (thread_id, turn_id) in threads {
            self.end_turn(&thread_id, &turn_id, reason).await;
            let body = EventBody::TurnCompleted {
                turn_id,
                status: TurnStatus::Failed,
                reason: Some(reason.to_owned()),
                error: None,
            };
            self.emit(Event::new(Scope::Session, thread_id, body)).await;
        }
        // Requests outside any tracked turn.
        let rest: Vec<(String, String)> = match self.tracker.lock() {
            Ok(mut t) => t
                .requests
                .drain()
                .map(|(id, r)| (id, r.session_id))
                .collect(),
            Err(_) => Vec::new(),
        };
        for (request_id, session_id) in rest {
            self.expire(&session_id, &request_id, reason).await;
        }
    }

    /// A previous incarnation of this bridge died with turns in flight: end them the same
    /// deterministic way a runtime exit does.
    pub async fn recover_leftovers(&self) {
        let Some(f) = &self.inflight else { return };
        let left = match f.take_leftovers().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "could not read in-flight state of the previous run");
                return;
            }
        };
        if !left.turns.is_empty() || !left.requests.is_empty() {
            tracing::warn!(
                turns = left.turns.len(),
                requests = left.requests.len(),
                "ending what the previous run left in flight"
            );
        }
        for (request_id, session_id) in left.requests {
            self.expire(&session_id, &request_id, "runtime_exited")
                .await;
        }
        for (thread_id, turn_id) in left.turns {
            let body = EventBody::TurnCompleted {
                turn_id,
                status: TurnStatus::Failed,
                reason: Some("runtime_exited".to_owned()),
                error: None,
            };
            self.emit(Event::new(Scope::Session, thread_id, body)).await;
        }
    }
}
