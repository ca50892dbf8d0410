//! The pure fold of session events into a transcript: turns, their items and open requests.
//!
//! Every consumer that turns the event stream into "what was said" (the CLI's `send --wait`,
//! the e2e helpers, the session projection, the web client) should agree on the same rules, so
//! they live here, without I/O. Golden fixtures under `schemas/fixtures/` pin the result; the
//! web's fold is checked against the same files.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::event::{DeltaStream, Event, EventBody, TurnStatus};
use crate::request::{RequestKind, RequestOutcome};

/// The folded transcript of one session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    pub turns: Vec<Turn>,
    pub requests: Vec<Request>,
    /// Event ids already applied, so that a redelivered event is not applied twice.
    #[serde(skip)]
    seen: HashSet<Uuid>,
}

/// One turn and its items, in the order they started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Turn {
    pub turn_id: String,
    pub status: TurnStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    pub items: Vec<Item>,
}

/// One item of a turn. `text` accumulates message and reasoning deltas, `output` command and
/// file-change output; the completed item replaces both when it carries them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub item_id: String,
    pub item_type: String,
    pub text: String,
    pub output: String,
    pub completed: bool,
}

/// A request the runtime opened, and how it ended once it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    pub kind: RequestKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RequestOutcome>,
}

impl Turn {
    fn new(turn_id: &str) -> Self {
        Self {
            turn_id: turn_id.to_owned(),
            status: TurnStatus::InProgress,
            reason: None,
            error: None,
            items: Vec::new(),
        }
    }

    /// Whether the turn has ended (completed, interrupted or failed).
    pub fn is_terminal(&self) -> bool {
        self.status != TurnStatus::InProgress
    }

    /// The agent's reply: the texts of its `agentMessage` items, blank-line separated.
    pub fn reply_text(&self) -> String {
        self.agent_messages().join("\n\n")
    }

    /// The texts of the turn's `agentMessage` items, in order.
    pub fn agent_messages(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|i| i.item_type == "agentMessage")
            .map(|i| i.text.as_str())
            .collect()
    }

    fn item(&mut self, item_id: &str, item_type: Option<&str>) -> &mut Item {
        let at = match self.items.iter().position(|i| i.item_id == item_id) {
            Some(at) => at,
            None => {
                self.items.push(Item {
                    item_id: item_id.to_owned(),
                    item_type: item_type.unwrap_or_default().to_owned(),
                    text: String::new(),
                    output: String::new(),
                    completed: false,
                });
                self.items.len() - 1
            }
        };
        let item = &mut self.items[at];
        // A delta may arrive before its `item.started`; the type comes with the first event
        // that carries one.
        if let (true, Some(t)) = (item.item_type.is_empty(), item_type) {
            item.item_type = t.to_owned();
        }
        item
    }
}

impl Transcript {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds a list of events, in order.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut t = Self::new();
        for ev in events {
            t.apply(ev);
        }
        t
    }

    /// The turn with this id.
    pub fn turn(&self, turn_id: &str) -> Option<&Turn> {
        self.turns.iter().find(|t| t.turn_id == turn_id)
    }

    /// The turn started last.
    pub fn last_turn(&self) -> Option<&Turn> {
        self.turns.last()
    }

    /// Requests not yet resolved or expired.
    pub fn pending_requests(&self) -> impl Iterator<Item = &Request> {
        self.requests.iter().filter(|r| r.outcome.is_none())
    }

    fn turn_mut(&mut self, turn_id: &str) -> &mut Turn {
        let at = match self.turns.iter().position(|t| t.turn_id == turn_id) {
            Some(at) => at,
            None => {
                self.turns.push(Turn::new(turn_id));
                self.turns.len() - 1
            }
        };
        &mut self.turns[at]
    }

    /// Whether this event (by id) was applied already.
    pub fn is_applied(&self, ev: &Event) -> bool {
        self.seen.contains(&ev.id)
    }

    /// Applies one event. Events that do not shape the transcript are ignored; an event whose
    /// id was already applied is ignored too (JetStream redelivers on a missed ack).
    pub fn apply(&mut self, ev: &Event) {
        if !self.seen.insert(ev.id) {
            return;
        }
        self.apply_body(&ev.body);
    }

    /// Applies an event body without the redelivery check.
    pub fn apply_body(&mut self, body: &EventBody) {
        match body {
            EventBody::TurnStarted { turn_id } => {
                self.turn_mut(turn_id);
            }
            EventBody::ItemStarted {
                turn_id,
                item_id,
                item_type,
                ..
            } => {
                self.turn_mut(turn_id)
                    .item(item_id, Some(item_type.as_str()));
            }
            EventBody::ItemDelta {
                turn_id,
                item_id,
                stream,
                delta,
            } => {
                let implied = crate::item::delta_item_type(*stream);
                let item = self.turn_mut(turn_id).item(item_id, implied);
                match stream {
                    DeltaStream::Text
                    | DeltaStream::ReasoningSummary
                    | DeltaStream::ReasoningText => item.text.push_str(delta),
                    DeltaStream::CommandOutput | DeltaStream::FileChangeOutput => {
                        item.output.push_str(delta)
                    }
                    DeltaStream::Other => {}
                }
            }
            EventBody::ItemCompleted {
                turn_id,
                item_id,
                item_type,
                item: whole,
            } => {
                let item = self
                    .turn_mut(turn_id)
                    .item(item_id, Some(item_type.as_str()));
                if let Some(text) = whole.get("text").and_then(Value::as_str) {
                    item.text = text.to_owned();
                }
                if let Some(out) = whole.get("aggregatedOutput").and_then(Value::as_str) {
                    item.output = out.to_owned();
                }
                item.completed = true;
            }
            EventBody::TurnCompleted {
                turn_id,
                status,
                reason,
                error,
            } => {
                let turn = self.turn_mut(turn_id);
                turn.status = *status;
                turn.reason.clone_from(reason);
                turn.error.clone_from(error);
            }
            EventBody::RequestOpened { request }
                if !self.requests.iter().any(|r| r.request_id == request.id) =>
            {
                self.requests.push(Request {
                    request_id: request.id.clone(),
                    turn_id: request.turn_id.clone(),
                    kind: request.kind,
                    outcome: None,
                });
            }
            EventBody::RequestResolved {
                request_id,
                outcome,
                ..
            } => {
                if let Some(r) = self
                    .requests
                    .iter_mut()
                    .find(|r| &r.request_id == request_id)
                {
                    r.outcome = Some(*outcome);
                }
            }
            EventBody::SessionRolledBack { turn_ids } => {
                self.turns.retain(|t| !turn_ids.contains(&t.turn_id));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(turn: &str, item: &str, text: &str) -> Event {
        Event::session(
            "s",
            EventBody::ItemDelta {
                turn_id: turn.into(),
                item_id: item.into(),
                stream: DeltaStream::Text,
                delta: text.into(),
            },
        )
    }

    #[test]
    fn redelivered_delta_is_applied_once() {
        let d = delta("t1", "i1", "hi");
        let mut t = Transcript::new();
        t.apply(&d);
        t.apply(&d);
        let turn = t.last_turn().unwrap_or_else(|| panic!("no turn"));
        assert_eq!(turn.items[0].text, "hi");
        assert!(!turn.is_terminal());
    }
}
