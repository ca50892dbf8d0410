//! The model script of the runtime tests: shell commands, a patch, a question, a slow stream.

use cm_e2e::{Api, SseStream, TestStack, collect_until};
use cm_mock_model::Script;
use cm_schemas::{EventBody, StreamedEvent};
use std::time::Duration;

pub const COMMAND: &str = "echo hello-from-test";

pub fn script() -> Script {
    let exec = serde_json::json!({
        "type": "function_call", "name": "exec_command",
        "arguments": { "cmd": COMMAND, "login": false }
    });
    let done = serde_json::json!({ "type": "message", "text": "Done: {{tool_output}}" });
    let slow: Vec<String> = (0..100).map(|i| format!("s{i} ")).collect();
    Script::from_value(serde_json::json!({
        "rules": [
            { "name": "shell", "match": { "contains": "RUN_SHELL" }, "steps": [exec, done] },
            { "name": "twice", "match": { "contains": "TWICE" }, "steps": [exec, exec, done] },
            { "name": "patch", "match": { "contains": "APPLY_PATCH" }, "steps": [
                { "type": "function_call", "name": "exec_command", "arguments": {
                    "cmd": "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: hello.txt\n+hi there\n*** End Patch\nEOF\n" } },
                done ] },
            { "name": "ask", "match": { "contains": "ASK" }, "steps": [
                { "type": "function_call", "name": "request_user_input", "arguments": { "questions": [
                    { "id": "color", "header": "Color", "question": "Which color?",
                      "options": [ { "label": "Blue (Recommended)", "description": "calm" },
                                   { "label": "Red", "description": "bold" } ] } ] } },
                { "type": "message", "text": "You chose: {{tool_output}}" } ] },
            { "name": "slow", "match": { "contains": "SLOW" }, "delay_ms": 100,
              "steps": [ { "type": "message", "deltas": slow } ] },
            { "name": "default", "steps": [ { "type": "message", "text": "ok" } ] }
        ]
    }))
    .unwrap()
}

/// A stack whose threads ask before running anything.
pub async fn approval_stack() -> TestStack {
    TestStack::start_with(script(), |cfg| {
        cfg.approval_policy = Some("untrusted".to_owned());
        cfg.sandbox = Some("workspace-write".to_owned());
    })
    .await
    .unwrap()
}

pub async fn until(
    stream: &mut SseStream,
    what: impl FnMut(&StreamedEvent) -> bool,
) -> Vec<StreamedEvent> {
    collect_until(stream, Duration::from_secs(30), what)
        .await
        .unwrap()
}

pub fn is_turn_end(e: &StreamedEvent) -> bool {
    matches!(e.event.body, EventBody::TurnCompleted { .. })
}

pub fn opened(e: &StreamedEvent) -> Option<&cm_schemas::request::PendingRequest> {
    match &e.event.body {
        EventBody::RequestOpened { request } => Some(request),
        _ => None,
    }
}

/// Sends `text` and waits for the request its turn opens (`events` follows the session).
pub async fn send_until_request(
    api: &Api,
    sid: &str,
    text: &str,
    events: &mut SseStream,
) -> cm_schemas::request::PendingRequest {
    api.send(sid, text).await.unwrap();
    let evs = until(events, |e| opened(e).is_some()).await;
    opened(evs.last().unwrap()).unwrap().clone()
}

/// Where a request of the session is decided.
pub fn decision_path(sid: &str, request_id: &str) -> String {
    format!("/api/sessions/{sid}/requests/{request_id}/decision")
}

/// The completed item of a given type in `evs`.
pub fn completed<'a>(evs: &'a [StreamedEvent], item_type: &str) -> Option<&'a serde_json::Value> {
    evs.iter().find_map(|e| match &e.event.body {
        EventBody::ItemCompleted {
            item_type: t, item, ..
        } if t == item_type => Some(item),
        _ => None,
    })
}
