//! The Responses-API streaming wire format: event shapes and SSE framing.
//!
//! Every event goes out as `event: <type>\ndata: <json>\n\n` and carries a `sequence_number`.
//! The shapes are those codex accepts (checked against 0.169.0's `process_sse`; the crate's codex
//! tests pass unchanged against the pinned 0.171.0): codex reads
//! `response.created`, `response.output_item.added|done` (the item must parse as one of its
//! `ResponseItem`s), `response.output_text.delta` (`delta`),
//! `response.reasoning_summary_part.added` and `response.reasoning_summary_text.delta` (both
//! need `summary_index`), `response.failed` (`response.error`) and `response.completed`
//! (`response.id`, optional `response.usage`); the other events are sent for fidelity with the
//! real API and ignored by codex.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::usage::Usage;

/// Frames events of one response, numbering them.
#[derive(Debug)]
pub struct EventWriter {
    response_id: String,
    model: String,
    created_at: u64,
    sequence: u64,
}

impl EventWriter {
    /// A writer for a new response of `model`.
    pub fn new(response_id: String, model: String) -> EventWriter {
        let created_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        EventWriter {
            response_id,
            model,
            created_at,
            sequence: 0,
        }
    }

    /// One SSE frame for `event`, stamped with the next `sequence_number` unless it has one.
    pub fn frame(&mut self, mut event: Value) -> Bytes {
        if let Some(object) = event.as_object_mut() {
            object
                .entry("sequence_number")
                .or_insert_with(|| json!(self.sequence));
        }
        self.sequence += 1;
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("message")
            .to_owned();
        Bytes::from(format!("event: {kind}\ndata: {event}\n\n"))
    }

    fn response(&self, status: &str) -> Value {
        json!({
            "id": self.response_id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "model": self.model,
            "output": [],
        })
    }

    /// `response.created`.
    pub fn created(&mut self) -> Bytes {
        let response = self.response("in_progress");
        self.frame(json!({"type": "response.created", "response": response}))
    }

    /// `response.completed` with the finished items and the usage.
    pub fn completed(&mut self, output: Vec<Value>, usage: &Usage) -> Bytes {
        let mut response = self.response("completed");
        response["output"] = Value::Array(output);
        response["usage"] = usage_json(usage);
        self.frame(json!({"type": "response.completed", "response": response}))
    }

    /// `response.failed` with an error.
    pub fn failed(&mut self, code: &str, message: &str) -> Bytes {
        let mut response = self.response("failed");
        response["error"] = json!({"code": code, "message": message});
        self.frame(json!({"type": "response.failed", "response": response}))
    }
}

/// The `usage` object; the player fills in estimates first, so 0 stands in only for
/// numbers nobody set.
fn usage_json(usage: &Usage) -> Value {
    let input = usage.input_tokens.unwrap_or(0);
    let output = usage.output_tokens.unwrap_or(0);
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens.unwrap_or(0)},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens.unwrap_or(0)},
        "total_tokens": usage.total_tokens.unwrap_or(input + output),
    })
}

/// `response.output_item.added` / `response.output_item.done`.
pub fn output_item(done: bool, output_index: usize, item: Value) -> Value {
    let kind = if done {
        "response.output_item.done"
    } else {
        "response.output_item.added"
    };
    json!({"type": kind, "output_index": output_index, "item": item})
}

/// An assistant message item; `text: None` is the empty in-progress item.
pub fn message_item(id: &str, text: Option<&str>, phase: Option<&str>) -> Value {
    let (status, content) = match text {
        Some(text) => (
            "completed",
            json!([{"type": "output_text", "text": text, "annotations": []}]),
        ),
        None => ("in_progress", json!([])),
    };
    let mut item = json!({
        "type": "message",
        "id": id,
        "role": "assistant",
        "status": status,
        "content": content,
    });
    if let Some(phase) = phase {
        item["phase"] = json!(phase);
    }
    item
}

/// `response.content_part.added` / `.done` of an `output_text` part.
pub fn content_part(done: bool, output_index: usize, item_id: &str, text: &str) -> Value {
    let kind = if done {
        "response.content_part.done"
    } else {
        "response.content_part.added"
    };
    json!({
        "type": kind,
        "item_id": item_id,
        "output_index": output_index,
        "content_index": 0,
        "part": {"type": "output_text", "text": text, "annotations": []},
    })
}

/// `response.output_text.delta`.
pub fn text_delta(output_index: usize, item_id: &str, delta: &str) -> Value {
    json!({
        "type": "response.output_text.delta",
        "item_id": item_id,
        "output_index": output_index,
        "content_index": 0,
        "delta": delta,
    })
}

/// `response.output_text.done`.
pub fn text_done(output_index: usize, item_id: &str, text: &str) -> Value {
    json!({
        "type": "response.output_text.done",
        "item_id": item_id,
        "output_index": output_index,
        "content_index": 0,
        "text": text,
    })
}

/// A reasoning item with these summary texts.
pub fn reasoning_item(id: &str, summary: &[String]) -> Value {
    let summary: Vec<Value> = summary
        .iter()
        .map(|text| json!({"type": "summary_text", "text": text}))
        .collect();
    json!({"type": "reasoning", "id": id, "summary": summary})
}

/// `response.reasoning_summary_part.added` / `.done`.
pub fn summary_part(
    done: bool,
    output_index: usize,
    item_id: &str,
    summary_index: usize,
    text: &str,
) -> Value {
    let kind = if done {
        "response.reasoning_summary_part.done"
    } else {
        "response.reasoning_summary_part.added"
    };
    json!({
        "type": kind,
        "item_id": item_id,
        "output_index": output_index,
        "summary_index": summary_index,
        "part": {"type": "summary_text", "text": text},
    })
}

/// `response.reasoning_summary_text.delta`.
pub fn summary_delta(
    output_index: usize,
    item_id: &str,
    summary_index: usize,
    delta: &str,
) -> Value {
    json!({
        "type": "response.reasoning_summary_text.delta",
        "item_id": item_id,
        "output_index": output_index,
        "summary_index": summary_index,
        "delta": delta,
    })
}

/// `response.reasoning_summary_text.done`.
pub fn summary_done(output_index: usize, item_id: &str, summary_index: usize, text: &str) -> Value {
    json!({
        "type": "response.reasoning_summary_text.done",
        "item_id": item_id,
        "output_index": output_index,
        "summary_index": summary_index,
        "text": text,
    })
}

/// A function call item; `arguments` is the JSON-encoded string codex expects.
pub fn function_call_item(
    id: &str,
    call_id: &str,
    name: &str,
    arguments: &str,
    done: bool,
) -> Value {
    json!({
        "type": "function_call",
        "id": id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": if done { "completed" } else { "in_progress" },
    })
}

/// The JSON body of an HTTP error, in the OpenAI shape.
pub fn error_body(message: &str, error_type: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": error_type, "param": null, "code": code}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_numbered_sse_events() {
        let mut writer = EventWriter::new("resp_1".into(), "m".into());
        let first = writer.created();
        let second = writer.frame(text_delta(0, "msg_1", "Hi"));
        let first = String::from_utf8_lossy(&first);
        assert!(first.starts_with("event: response.created\ndata: {"));
        assert!(first.ends_with("}\n\n"));
        assert!(first.contains(r#""sequence_number":0"#));
        assert!(String::from_utf8_lossy(&second).contains(r#""sequence_number":1"#));
    }
}
