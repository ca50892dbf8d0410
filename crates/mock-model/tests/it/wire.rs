//! The exact SSE event sequences played for each kind of item.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};

use crate::support::{codex_body, deltas, find, names, start, stream};

#[tokio::test]
async fn message_step_streams_the_exact_event_sequence() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [{
        "type": "message", "text": "Hello from mock", "chunks": 3, "id": "msg_fixed"
    }], "usage": {"input_tokens": 10, "output_tokens": 5}}]}))
    .await?;
    let events = stream(&mock, &codex_body("Say hello", &[])).await?;
    assert_eq!(
        names(&events),
        [
            "response.created",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event.data["sequence_number"], json!(index));
    }
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| e.data["delta"].as_str())
        .collect();
    assert_eq!(texts, ["Hello", " from", " mock"]);
    for event in &events[3..6] {
        assert_eq!(event.data["item_id"], "msg_fixed");
        assert_eq!(event.data["output_index"], 0);
    }
    let added = &events[1].data["item"];
    assert_eq!(
        (&added["type"], &added["role"], &added["id"]),
        (&json!("message"), &json!("assistant"), &json!("msg_fixed"))
    );
    let done = &events[8].data["item"];
    assert_eq!(done["content"][0]["type"], "output_text");
    assert_eq!(done["content"][0]["text"], "Hello from mock");
    let response = &events[9].data["response"];
    assert_eq!(response["id"], events[0].data["response"]["id"]);
    assert_eq!(response["status"], "completed");
    assert_eq!(response["output"][0], *done);
    assert_eq!(response["usage"]["input_tokens"], 10);
    assert_eq!(response["usage"]["output_tokens"], 5);
    assert_eq!(response["usage"]["total_tokens"], 15);
    assert_eq!(mock.requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn explicit_deltas_and_default_word_split() -> Result<()> {
    let mock = start(json!({"rules": [
        {"match": {"contains": "EXPLICIT"}, "steps": [{"type": "message", "deltas": ["Hel", "lo"]}]},
        {"steps": [{"type": "message", "text": "one two  three"}]}
    ]}))
    .await?;
    let events = stream(&mock, &codex_body("EXPLICIT", &[])).await?;
    let pieces: Vec<&str> = events
        .iter()
        .filter_map(|e| e.data["delta"].as_str())
        .collect();
    assert_eq!(pieces, ["Hel", "lo"]);
    let events = stream(&mock, &codex_body("other", &[])).await?;
    let pieces: Vec<&str> = events
        .iter()
        .filter_map(|e| e.data["delta"].as_str())
        .collect();
    assert_eq!(pieces, ["one", " two", "  three"]);
    Ok(())
}

#[tokio::test]
async fn function_call_then_answer_after_the_tool_output() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [
        {"type": "function_call", "name": "exec_command", "arguments": {"cmd": "touch x", "login": false}},
        {"type": "message", "text": "ran: {{tool_output}} for {{user_text}}"}
    ]}]}))
    .await?;
    let events = stream(&mock, &codex_body("RUN", &[])).await?;
    assert_eq!(
        names(&events),
        [
            "response.created",
            "response.output_item.added",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let added = &events[1].data["item"];
    let done = &events[2].data["item"];
    assert_eq!(added["type"], "function_call");
    assert_eq!(added["arguments"], "");
    assert_eq!(done["name"], "exec_command");
    let call_id = done["call_id"].as_str().unwrap_or_default();
    assert!(call_id.starts_with("call_"), "generated call id {call_id}");
    assert_eq!(added["call_id"], done["call_id"]);
    let arguments: Value = serde_json::from_str(done["arguments"].as_str().unwrap_or("null"))?;
    assert_eq!(arguments, json!({"cmd": "touch x", "login": false}));

    let output =
        "Chunk ID: 1\nWall time: 0.0 seconds\nProcess exited with code 0\nOutput:\nx made\n";
    let events = stream(&mock, &codex_body("RUN", &[output])).await?;
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        "ran: x made for RUN"
    );
    Ok(())
}

#[tokio::test]
async fn reasoning_summary_streams_before_the_message() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [[
        {"type": "reasoning", "summary": ["Thinking about it", "Done thinking"], "id": "rs_1"},
        {"type": "message", "text": "Answer", "chunks": 1}
    ]]}]}))
    .await?;
    let events = stream(&mock, &codex_body("why?", &[])).await?;
    let first_part = [
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
    ];
    let mut expected = vec!["response.created", "response.output_item.added"];
    expected.extend(first_part);
    expected.extend([
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]);
    assert_eq!(names(&events), expected);
    let summary_deltas: Vec<(i64, &str)> = events
        .iter()
        .filter(|e| e.name == "response.reasoning_summary_text.delta")
        .map(|e| {
            let index = e.data["summary_index"].as_i64().unwrap_or(-1);
            (index, e.data["delta"].as_str().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        summary_deltas,
        [
            (0, "Thinking"),
            (0, " about"),
            (0, " it"),
            (1, "Done"),
            (1, " thinking")
        ]
    );
    let reasoning = &events[1].data["item"];
    assert_eq!(
        (&reasoning["type"], &reasoning["id"]),
        (&json!("reasoning"), &json!("rs_1"))
    );
    let done = &find(&events, "response.output_item.done")?.data["item"];
    assert_eq!(
        done["summary"],
        json!([
            {"type": "summary_text", "text": "Thinking about it"},
            {"type": "summary_text", "text": "Done thinking"}
        ])
    );
    let message_added = events
        .iter()
        .filter(|e| e.name == "response.output_item.added")
        .nth(1)
        .map(|e| e.data["output_index"].clone());
    assert_eq!(message_added, Some(json!(1)));
    let usage = &find(&events, "response.completed")?.data["response"]["usage"];
    assert!(usage["output_tokens_details"]["reasoning_tokens"].as_u64() > Some(0));
    Ok(())
}

#[tokio::test]
async fn delay_paces_the_deltas() -> Result<()> {
    let mock = start(json!({"delay_ms": 5, "rules": [{"steps": [
        {"items": [{"type": "message", "text": "a b c d e"}], "delay_ms": 60}
    ]}]}))
    .await?;
    let started = Instant::now();
    let events = stream(&mock, &codex_body("go", &[])).await?;
    assert_eq!(deltas(&events, "response.output_text.delta"), "a b c d e");
    assert!(started.elapsed() >= Duration::from_millis(4 * 60));
    Ok(())
}

#[tokio::test]
async fn raw_events_and_sleeps_pass_through() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [[
        {"type": "raw_event", "event": {"type": "response.in_progress", "response": {"id": "r"}}},
        {"type": "sleep", "ms": 1},
        {"type": "message", "text": "x"}
    ]]}]}))
    .await?;
    let events = stream(&mock, &codex_body("go", &[])).await?;
    assert_eq!(
        names(&events)[..3],
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added"
        ]
    );
    assert_eq!(events[1].data["sequence_number"], 1);
    Ok(())
}
