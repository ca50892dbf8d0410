//! HTTP helpers: codex-like request bodies, posting them, and reading the SSE answer.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use cm_mock_model::{MockModel, Script};
use serde_json::{Value, json};

/// Upper bound for any single wait in these tests.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The `event:` line.
    pub name: String,
    /// The `data:` line, parsed.
    pub data: Value,
}

/// Starts a mock serving `script` (JSON).
pub async fn start(script: Value) -> Result<MockModel> {
    Ok(MockModel::start(Script::from_value(script)?).await?)
}

/// A user message item as codex sends it.
pub fn user_message(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

/// A request body shaped like codex's: instructions, a developer message, the environment
/// context, the user message, then one `function_call` + `function_call_output` per output.
pub fn codex_body(text: &str, tool_outputs: &[&str]) -> Value {
    let mut input = vec![
        json!({"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions instructions>...</permissions instructions>"}]}),
        user_message("<environment_context>\n  <cwd>/tmp/x</cwd>\n</environment_context>"),
        user_message(text),
    ];
    for (index, output) in tool_outputs.iter().enumerate() {
        let call_id = format!("call_{index}");
        input.push(json!({"type": "function_call", "name": "exec_command", "arguments": "{}", "call_id": call_id}));
        input.push(json!({"type": "function_call_output", "call_id": call_id, "output": output}));
    }
    json!({
        "model": "mock-model",
        "instructions": "You are Codex.",
        "input": input,
        "tools": [{"type": "function", "name": "exec_command", "parameters": {"type": "object"}}],
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "stream": true,
        "store": false,
    })
}

fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(TIMEOUT).build()?)
}

/// POSTs `body` to `/v1/responses`.
pub async fn post(mock: &MockModel, body: &Value) -> Result<reqwest::Response> {
    let url = format!("{}/responses", mock.base_url());
    Ok(client()?.post(url).json(body).send().await?)
}

/// POSTs `body` and reads the whole event stream, which must be a 200 `text/event-stream`.
pub async fn stream(mock: &MockModel, body: &Value) -> Result<Vec<Event>> {
    let response = post(mock, body).await?;
    if response.status() != 200 {
        bail!("status {}: {}", response.status(), response.text().await?);
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    anyhow::ensure!(
        content_type == "text/event-stream",
        "content-type {content_type}"
    );
    parse_sse(&response.text().await?)
}

/// Reads a stream chunk by chunk: the events received and whether it ended with an error.
pub async fn stream_until_error(mock: &MockModel, body: &Value) -> Result<(Vec<Event>, bool)> {
    let mut response = post(mock, body).await?;
    let mut text = String::new();
    let failed = loop {
        match response.chunk().await {
            Ok(Some(bytes)) => text.push_str(std::str::from_utf8(&bytes)?),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    Ok((parse_sse(&text)?, failed))
}

/// Splits SSE text into events; each must be `event: NAME` + `data: JSON` whose `type` is NAME.
pub fn parse_sse(text: &str) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    for block in text.split("\n\n").filter(|block| !block.trim().is_empty()) {
        let mut name = None;
        let mut data = None;
        for line in block.lines() {
            if let Some(rest) = line.strip_prefix("event: ") {
                name = Some(rest.to_owned());
            } else if let Some(rest) = line.strip_prefix("data: ") {
                data = Some(serde_json::from_str::<Value>(rest).context("data is not JSON")?);
            } else {
                bail!("unexpected SSE line {line:?}");
            }
        }
        let (Some(name), Some(data)) = (name, data) else {
            bail!("incomplete SSE block {block:?}");
        };
        anyhow::ensure!(
            data["type"] == name.as_str(),
            "type differs from event name"
        );
        events.push(Event { name, data });
    }
    Ok(events)
}

/// The event names, in order.
pub fn names(events: &[Event]) -> Vec<&str> {
    events.iter().map(|event| event.name.as_str()).collect()
}

/// The `delta`s of the events named `name`, concatenated.
pub fn deltas(events: &[Event], name: &str) -> String {
    events
        .iter()
        .filter(|event| event.name == name)
        .filter_map(|event| event.data["delta"].as_str())
        .collect()
}

/// The first event named `name`.
pub fn find<'a>(events: &'a [Event], name: &str) -> Result<&'a Event> {
    events
        .iter()
        .find(|event| event.name == name)
        .with_context(|| format!("no {name} in {:?}", names(events)))
}
