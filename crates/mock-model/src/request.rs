//! Reading a Responses-API request body: what the user said last and how far the turn got.

use serde_json::Value;

/// What the script needs to know about one `POST /v1/responses` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnState {
    /// Text of the last user message (its text parts joined by newlines).
    pub user_text: String,
    /// Number of tool outputs after that message: the index of the step to play.
    pub tool_outputs: usize,
    /// The output of the last of those tool calls, as text.
    pub last_tool_output: Option<String>,
}

/// Item types that carry a tool result back to the model.
const TOOL_OUTPUT_TYPES: [&str; 2] = ["function_call_output", "custom_tool_call_output"];

impl TurnState {
    /// Reads the request body; `Err` says why it is not a Responses request.
    pub fn from_body(body: &Value) -> Result<TurnState, String> {
        let Some(object) = body.as_object() else {
            return Err("the request body must be a JSON object".into());
        };
        if object.get("stream").and_then(Value::as_bool) == Some(false) {
            return Err("mock-model only streams: send `\"stream\": true`".into());
        }
        match object.get("input") {
            Some(Value::String(text)) => Ok(TurnState {
                user_text: text.clone(),
                tool_outputs: 0,
                last_tool_output: None,
            }),
            Some(Value::Array(items)) => Ok(Self::from_items(items)),
            Some(_) => Err("`input` must be a string or an array of items".into()),
            None => Err("missing `input`".into()),
        }
    }

    fn from_items(items: &[Value]) -> TurnState {
        let last_user = items.iter().rposition(is_user_message);
        let user_text = last_user
            .map(|index| message_text(&items[index]))
            .unwrap_or_default();
        let after = last_user.map_or(items, |index| &items[index + 1..]);
        let outputs: Vec<&Value> = after
            .iter()
            .filter(|item| {
                item.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|kind| TOOL_OUTPUT_TYPES.contains(&kind))
            })
            .collect();
        TurnState {
            user_text,
            tool_outputs: outputs.len(),
            last_tool_output: outputs.last().map(|item| output_text(item.get("output"))),
        }
    }
}

fn is_user_message(item: &Value) -> bool {
    let kind = item.get("type").and_then(Value::as_str);
    let role = item.get("role").and_then(Value::as_str);
    matches!(kind, None | Some("message")) && role == Some("user")
}

/// The text of a message: `content` as a string, or its text parts joined by newlines.
fn message_text(item: &Value) -> String {
    match item.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A tool output as text: strings as they are, content-item lists by their text parts,
/// anything else as JSON.
fn output_text(output: Option<&Value>) -> String {
    match output {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(text: &str) -> Value {
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    }

    #[test]
    fn counts_tool_outputs_after_last_user_message() -> Result<(), String> {
        let body = json!({"stream": true, "input": [
            user("first RUN_SHELL"),
            {"type": "function_call", "call_id": "c0", "name": "exec_command", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c0", "output": "old"},
            user("second"),
            {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "one"},
            {"type": "custom_tool_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "two"}]},
        ]});
        let state = TurnState::from_body(&body)?;
        assert_eq!(state.user_text, "second");
        assert_eq!(state.tool_outputs, 2);
        assert_eq!(state.last_tool_output.as_deref(), Some("two"));
        Ok(())
    }

    #[test]
    fn string_input_and_bad_bodies() -> Result<(), String> {
        let state = TurnState::from_body(&json!({"input": "hi"}))?;
        assert_eq!((state.user_text.as_str(), state.tool_outputs), ("hi", 0));
        assert!(TurnState::from_body(&json!([1])).is_err());
        assert!(TurnState::from_body(&json!({"model": "x"})).is_err());
        assert!(TurnState::from_body(&json!({"input": 3})).is_err());
        assert!(TurnState::from_body(&json!({"input": [], "stream": false})).is_err());
        Ok(())
    }
}
