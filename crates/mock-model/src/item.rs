//! What a step plays: output items and stream actions.
//!
//! A [`Step`] is written in JSON as a list of items, as a single item, or as an object
//! `{"items": [...], "delay_ms": 30, "usage": {...}}`. Items are tagged by `type`:
//!
//! | `type` | effect |
//! | --- | --- |
//! | `message` | an assistant message streamed as `output_text` deltas |
//! | `reasoning` | a reasoning item whose summary parts are streamed as deltas |
//! | `function_call` | a tool call (`exec_command`, `request_user_input`, ...) |
//! | `error` | an HTTP error answer instead of a stream (only as the first item) |
//! | `fail_stream` | a `response.failed` event that ends the stream (only as the last item) |
//! | `cut` | the connection is dropped without `response.completed` (only as the last item) |
//! | `sleep` | a pause of `ms` milliseconds |
//! | `raw_event` | one arbitrary SSE event, sent as given |

use serde::Deserialize;
use serde_json::Value;

use crate::usage::Usage;

/// One model reply: the items streamed in answer to one request.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Value")]
pub struct Step {
    /// What is played, in order.
    pub items: Vec<Item>,
    /// Pause between deltas for this step (overrides the rule's).
    pub delay_ms: Option<u64>,
    /// Usage for this step (overrides the rule's).
    pub usage: Option<Usage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepObject {
    items: Vec<Item>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    usage: Option<Usage>,
}

impl TryFrom<Value> for Step {
    type Error = serde_json::Error;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        let is_item = value.get("type").is_some();
        match value {
            Value::Array(_) => Ok(Step::new(serde_json::from_value(value)?)),
            Value::Object(_) if is_item => Ok(Step::new(vec![serde_json::from_value(value)?])),
            value => {
                let step: StepObject = serde_json::from_value(value)?;
                Ok(Step {
                    items: step.items,
                    delay_ms: step.delay_ms,
                    usage: step.usage,
                })
            }
        }
    }
}

impl Step {
    /// A step of `items` with no overrides.
    pub fn new(items: Vec<Item>) -> Step {
        Step {
            items,
            delay_ms: None,
            usage: None,
        }
    }

    /// The HTTP error this step answers with, if it is an error step.
    pub fn http_error(&self) -> Option<&ErrorItem> {
        match self.items.first() {
            Some(Item::Error(error)) => Some(error),
            _ => None,
        }
    }

    /// Checks where the special actions stand and that each item is consistent.
    pub fn validate(&self) -> Result<(), String> {
        if self.items.is_empty() {
            return Err("a step needs at least one item".into());
        }
        let last = self.items.len() - 1;
        for (index, item) in self.items.iter().enumerate() {
            match item {
                Item::Error(_) if index != 0 => {
                    return Err("`error` must be the first item of its step".into());
                }
                Item::FailStream(_) | Item::Cut if index != last => {
                    return Err(
                        "`fail_stream` and `cut` must be the last item of their step".into(),
                    );
                }
                Item::Message(message) => message.validate()?,
                Item::RawEvent(raw) if raw.event.get("type").and_then(Value::as_str).is_none() => {
                    return Err("`raw_event.event` needs a string `type`".into());
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// One output item or stream action.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// An assistant message.
    Message(MessageItem),
    /// A reasoning item with summary text.
    Reasoning(ReasoningItem),
    /// A function (tool) call.
    FunctionCall(FunctionCallItem),
    /// Answer with an HTTP error instead of a stream.
    Error(ErrorItem),
    /// Send `response.failed` and end the stream.
    FailStream(FailStreamItem),
    /// Drop the connection without `response.completed`.
    Cut,
    /// Pause the stream.
    Sleep(SleepItem),
    /// Send one arbitrary event.
    RawEvent(RawEventItem),
}

/// `{"type": "message", "text": "...", "chunks": 3}`: an assistant message.
///
/// The text is streamed as the given `deltas`, or cut into `chunks` pieces of about equal
/// length, or by default word by word. `{{user_text}}` and `{{tool_output}}` in the text are
/// replaced by the last user message and by the output of the last tool call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageItem {
    /// The whole text (the concatenation of `deltas` when only those are given).
    #[serde(default)]
    pub text: Option<String>,
    /// The exact deltas to stream.
    #[serde(default)]
    pub deltas: Option<Vec<String>>,
    /// Stream the text in this many pieces.
    #[serde(default)]
    pub chunks: Option<usize>,
    /// Item id (`msg_<random>` when unset).
    #[serde(default)]
    pub id: Option<String>,
    /// Pause between deltas of this item.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// `phase` of the message item (`commentary`, `final_answer`), omitted when unset.
    #[serde(default)]
    pub phase: Option<String>,
    /// Stream the deltas but never the item's done events (put a `cut` or `fail_stream` after).
    #[serde(default)]
    pub partial: bool,
}

impl MessageItem {
    fn validate(&self) -> Result<(), String> {
        match (&self.text, &self.deltas) {
            (None, None) => Err("`message` needs `text` or `deltas`".into()),
            (Some(text), Some(deltas)) if deltas.concat() != *text => {
                Err("`message.deltas` must concatenate to `message.text`".into())
            }
            _ if self.chunks == Some(0) => Err("`message.chunks` must be at least 1".into()),
            _ => Ok(()),
        }
    }
}

/// `{"type": "reasoning", "summary": ["Thinking about it"]}`: a reasoning item; each summary
/// entry is one summary part, streamed word by word.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasoningItem {
    /// The summary parts.
    pub summary: Vec<String>,
    /// Item id (`rs_<random>` when unset).
    #[serde(default)]
    pub id: Option<String>,
    /// Pause between deltas of this item.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// `{"type": "function_call", "name": "exec_command", "arguments": {...}}`: a tool call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionCallItem {
    /// Tool name, as listed in the request's `tools`.
    pub name: String,
    /// Arguments: a JSON object (sent serialized) or a string sent as is.
    #[serde(default = "empty_object")]
    pub arguments: Value,
    /// `call_id` (`call_<random>` when unset).
    #[serde(default)]
    pub call_id: Option<String>,
    /// Item id (`fc_<random>` when unset).
    #[serde(default)]
    pub id: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl FunctionCallItem {
    /// The `arguments` string sent on the wire.
    pub fn arguments_string(&self) -> String {
        match &self.arguments {
            Value::String(raw) => raw.clone(),
            other => other.to_string(),
        }
    }
}

/// `{"type": "error", "status": 400, "message": "..."}`: an HTTP error answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorItem {
    /// HTTP status (500 when unset).
    #[serde(default = "default_status")]
    pub status: u16,
    /// `error.message`.
    #[serde(default = "default_error_message")]
    pub message: String,
    /// `error.code` (`mock_error` when unset).
    #[serde(default)]
    pub code: Option<String>,
    /// `error.type` (`invalid_request_error` for 4xx, `server_error` otherwise, when unset).
    #[serde(default)]
    pub error_type: Option<String>,
}

fn default_status() -> u16 {
    500
}

fn default_error_message() -> String {
    "scripted error from mock-model".into()
}

/// `{"type": "fail_stream", "message": "..."}`: `response.failed`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailStreamItem {
    /// `response.error.message`.
    #[serde(default)]
    pub message: Option<String>,
    /// `response.error.code` (`server_error` when unset).
    #[serde(default)]
    pub code: Option<String>,
}

/// `{"type": "sleep", "ms": 500}`: a pause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleepItem {
    /// Milliseconds to wait.
    pub ms: u64,
}

/// `{"type": "raw_event", "event": {"type": "...", ...}}`: one event sent verbatim
/// (a `sequence_number` is added when missing).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEventItem {
    /// The event object; its `type` names the SSE event.
    pub event: Value,
}
