//! What the bridge must remember about the running process to end things deterministically:
//! turns in flight with their open items, and server requests held open.

use std::collections::HashMap;
use std::sync::Arc;

use cm_schemas::event::ItemType;
use serde_json::Value;

use crate::instance::Instance;

/// An item that started and has not completed.
#[derive(Debug, Clone)]
pub struct OpenItem {
    pub item_id: String,
    pub item_type: ItemType,
    pub item: Value,
    /// What its deltas streamed so far: when the runtime never completes the item, the bridge
    /// completes it with this, so the snapshot keeps what the live stream showed.
    pub streamed: String,
}

impl OpenItem {
    /// The item as last known, with what was streamed in its text field and `status`.
    pub fn closed(self, status: &str) -> Value {
        let mut item = self.item;
        if !self.streamed.is_empty() {
            let field = match self.item_type.as_str() {
                "commandExecution" => Some("aggregatedOutput"),
                "agentMessage" => Some("text"),
                _ => None,
            };
            if let Some(field) = field
                && item
                    .get(field)
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
            {
                item[field] = Value::String(self.streamed);
            } else if self.item_type == "reasoning"
                && item
                    .get("summary")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
            {
                item["summary"] = Value::Array(vec![Value::String(self.streamed)]);
            }
        }
        item["status"] = Value::String(status.to_owned());
        item
    }
}

#[derive(Debug, Default)]
pub struct TurnState {
    pub turn_id: String,
    /// In start order.
    pub open_items: Vec<OpenItem>,
}

/// A server→client request waiting for a decision.
pub struct HeldRequest {
    pub rpc_id: Value,
    pub session_id: String,
    pub turn_id: Option<String>,
    /// The process that asked; a respawned process cannot take the answer.
    pub instance: Arc<Instance>,
}

#[derive(Default)]
pub struct Tracker {
    /// By thread id.
    pub turns: HashMap<String, TurnState>,
    /// By request id.
    pub requests: HashMap<String, HeldRequest>,
}

impl Tracker {
    pub fn turn_started(&mut self, thread_id: &str, turn_id: &str) {
        let state = self.turns.entry(thread_id.to_owned()).or_default();
        if state.turn_id != turn_id {
            *state = TurnState {
                turn_id: turn_id.to_owned(),
                open_items: Vec::new(),
            };
        }
    }

    pub fn item_started(&mut self, thread_id: &str, item: OpenItem) {
        if let Some(t) = self.turns.get_mut(thread_id)
            && !t.open_items.iter().any(|i| i.item_id == item.item_id)
        {
            t.open_items.push(item);
        }
    }

    /// Appends a delta to the open item it extends.
    pub fn item_delta(&mut self, thread_id: &str, item_id: &str, delta: &str) {
        if let Some(t) = self.turns.get_mut(thread_id)
            && let Some(item) = t.open_items.iter_mut().find(|i| i.item_id == item_id)
        {
            item.streamed.push_str(delta);
        }
    }

    pub fn item_completed(&mut self, thread_id: &str, item_id: &str) {
        if let Some(t) = self.turns.get_mut(thread_id) {
            t.open_items.retain(|i| i.item_id != item_id);
        }
    }

    /// Removes the thread's turn, returning the items it left open.
    pub fn turn_ended(&mut self, thread_id: &str) -> Vec<OpenItem> {
        self.turns
            .remove(thread_id)
            .map(|t| t.open_items)
            .unwrap_or_default()
    }

    /// Removes and returns the requests of one turn (or of every turn when `turn_id` is None).
    pub fn take_requests(
        &mut self,
        thread_id: &str,
        turn_id: Option<&str>,
    ) -> Vec<(String, HeldRequest)> {
        let ids: Vec<String> = self
            .requests
            .iter()
            .filter(|(_, r)| {
                r.session_id == thread_id && (turn_id.is_none() || r.turn_id.as_deref() == turn_id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        ids.into_iter()
            .filter_map(|id| self.requests.remove(&id).map(|r| (id, r)))
            .collect()
    }

    /// The request with this JSON-RPC id from this process, if still held.
    pub fn request_by_rpc_id(&self, instance: &Arc<Instance>, rpc_id: &Value) -> Option<String> {
        self.requests
            .iter()
            .find(|(_, r)| Arc::ptr_eq(&r.instance, instance) && &r.rpc_id == rpc_id)
            .map(|(id, _)| id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_item_closed_by_the_bridge_keeps_what_its_deltas_streamed() {
        let mut t = Tracker::default();
        t.turn_started("th", "t1");
        t.item_started(
            "th",
            OpenItem {
                item_id: "i1".into(),
                item_type: "agentMessage".into(),
                item: json!({ "type": "agentMessage", "id": "i1", "text": "" }),
                streamed: String::new(),
            },
        );
        t.item_delta("th", "i1", "Hello");
        t.item_delta("th", "i1", " wor");
        t.item_delta("th", "other", "ignored");
        let items = t.turn_ended("th");
        let closed = items.into_iter().next().map(|i| i.closed("canceled"));
        assert_eq!(
            closed,
            Some(
                json!({ "type": "agentMessage", "id": "i1", "text": "Hello wor", "status": "canceled" })
            )
        );
    }
}
