//! Runtime items: their types, the streams their deltas extend, and what a transcript shows of
//! one, in one place: its readable text, the type a delta implies when it arrives before its
//! item, and its final status. The session service's projection, the [`crate::Transcript`] fold
//! and the tests use these; the web client mirrors them in `web/src/state/items.ts`, and the
//! golden fixtures under `schemas/fixtures/` keep the two equal.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire_enum::wire_enum;

/// Which text stream of an item a delta extends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DeltaStream {
    /// Agent message text.
    Text,
    ReasoningSummary,
    ReasoningText,
    /// Command execution output.
    CommandOutput,
    /// File change tool output.
    FileChangeOutput,
    Other,
}

wire_enum! {
    /// The runtime's item type (`ThreadItem.type` of app-server). A type a newer runtime adds
    /// is stored and passed on as it came.
    pub enum ItemType(open) {
        UserMessage = "userMessage",
        HookPrompt = "hookPrompt",
        AgentMessage = "agentMessage",
        FunctionCallOutput = "functionCallOutput",
        Plan = "plan",
        Reasoning = "reasoning",
        CommandExecution = "commandExecution",
        FileChange = "fileChange",
        McpToolCall = "mcpToolCall",
        DynamicToolCall = "dynamicToolCall",
        CollabAgentToolCall = "collabAgentToolCall",
        SubAgentActivity = "subAgentActivity",
        WebSearch = "webSearch",
        ImageView = "imageView",
        Sleep = "sleep",
        ImageGeneration = "imageGeneration",
        EnteredReviewMode = "enteredReviewMode",
        ExitedReviewMode = "exitedReviewMode",
        ContextCompaction = "contextCompaction",
    }
}

/// The human-readable text of a runtime item, where it has one (`None`: keep the deltas).
pub fn item_text(item: &Value) -> Option<String> {
    let joined = |parts: &Vec<Value>, text: fn(&Value) -> Option<&str>| {
        parts.iter().filter_map(text).collect::<Vec<_>>().join("\n")
    };
    match item.get("type").and_then(Value::as_str)? {
        "agentMessage" => item.get("text").and_then(Value::as_str).map(str::to_owned),
        "userMessage" => Some(joined(item.get("content")?.as_array()?, |p| {
            p.get("text").and_then(Value::as_str)
        })),
        "reasoning" => Some(joined(item.get("summary")?.as_array()?, Value::as_str)),
        "commandExecution" => item
            .get("aggregatedOutput")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

/// The type of the item a delta of `stream` belongs to, for a delta that arrives before its
/// `item.started` (`None`: the stream does not tell).
pub fn delta_item_type(stream: DeltaStream) -> Option<&'static str> {
    match stream {
        DeltaStream::Text => Some("agentMessage"),
        DeltaStream::ReasoningSummary | DeltaStream::ReasoningText => Some("reasoning"),
        DeltaStream::CommandOutput => Some("commandExecution"),
        DeltaStream::FileChangeOutput => Some("fileChange"),
        DeltaStream::Other => None,
    }
}

/// The status a completed item keeps: the runtime's own (`declined`, `failed`...), unless it
/// still says `inProgress` or says nothing.
pub fn completed_status(item: &Value) -> &str {
    item.get("status")
        .and_then(Value::as_str)
        .filter(|s| *s != "inProgress")
        .unwrap_or("completed")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn texts_of_runtime_items() {
        let user = json!({"type": "userMessage", "content": [{"type": "text", "text": "hi"}]});
        assert_eq!(item_text(&user).as_deref(), Some("hi"));
        let agent = json!({"type": "agentMessage", "text": "hello"});
        assert_eq!(item_text(&agent).as_deref(), Some("hello"));
        let reasoning = json!({"type": "reasoning", "summary": ["a", "b"]});
        assert_eq!(item_text(&reasoning).as_deref(), Some("a\nb"));
        assert_eq!(item_text(&json!({"type": "plan"})), None);
    }

    #[test]
    fn a_completed_item_keeps_its_own_final_status() {
        assert_eq!(completed_status(&json!({"status": "declined"})), "declined");
        assert_eq!(
            completed_status(&json!({"status": "inProgress"})),
            "completed"
        );
        assert_eq!(completed_status(&json!({})), "completed");
    }
}
