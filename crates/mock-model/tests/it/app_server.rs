//! Whole turns of the real `codex app-server` against the mock (skipped without codex).

use anyhow::Result;
use cm_mock_model::{MockModel, Script};
use serde_json::{Value, json};

use crate::codex::{Codex, Turn, is_turn_completed, no_requests};
use crate::support::start;

#[tokio::test]
async fn codex_streams_a_scripted_text_reply() -> Result<()> {
    let text = "Hello from mock, streamed in pieces.";
    let mock =
        start(json!({"rules": [{"steps": [{"type": "message", "text": text, "chunks": 4}]}]}))
            .await?;
    let Some(mut codex) = Codex::start(&mock, &[]).await? else {
        return Ok(());
    };
    let thread = codex.start_thread("never", "read-only").await?;
    let turn = codex.run_turn(&thread, "Say hello", no_requests).await?;
    assert_eq!(turn.turn()["status"], "completed", "{:?}", turn.turn());
    assert_eq!(turn.notifications("item/agentMessage/delta").count(), 4);
    assert_eq!(turn.deltas("item/agentMessage/delta"), text);
    let messages = turn.completed_items("agentMessage");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["text"], text);
    let usage = turn
        .notifications("thread/tokenUsage/updated")
        .last()
        .map(|p| p["tokenUsage"]["last"]["totalTokens"].clone());
    assert!(usage.and_then(|t| t.as_u64()) > Some(0));

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["stream"], true);
    let user_texts: Vec<&Value> = requests[0]["input"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["role"] == "user")
        .collect();
    assert_eq!(
        user_texts.last().map(|m| &m["content"][0]["text"]),
        Some(&json!("Say hello"))
    );
    codex.shutdown().await
}

#[tokio::test]
async fn codex_streams_a_reasoning_summary() -> Result<()> {
    let mock = MockModel::start(Script::demo()).await?;
    let Some(mut codex) = Codex::start(&mock, &[]).await? else {
        return Ok(());
    };
    let thread = codex.start_thread("never", "read-only").await?;
    let turn = codex
        .run_turn(&thread, "REASON about this", no_requests)
        .await?;
    assert_eq!(turn.turn()["status"], "completed", "{:?}", turn.turn());
    let summary = turn.deltas("item/reasoning/summaryTextDelta");
    assert!(
        summary.starts_with("**Planning the answer**"),
        "{summary:?}"
    );
    let reasoning = turn.completed_items("reasoning");
    assert_eq!(reasoning.len(), 1, "{:?}", turn.messages);
    let answer = turn.deltas("item/agentMessage/delta");
    assert!(answer.starts_with("Here is my answer"), "{answer:?}");
    codex.shutdown().await
}

#[tokio::test]
async fn codex_runs_the_scripted_shell_command() -> Result<()> {
    let mock = MockModel::start(Script::demo()).await?;
    let Some(mut codex) = Codex::start(&mock, &[]).await? else {
        return Ok(());
    };
    let thread = codex.start_thread("never", "danger-full-access").await?;
    let turn = codex
        .run_turn(&thread, "RUN_SHELL please", no_requests)
        .await?;
    assert_eq!(turn.turn()["status"], "completed", "{:?}", turn.turn());
    let commands = turn.completed_items("commandExecution");
    assert_eq!(commands.len(), 1, "{:?}", turn.messages);
    assert_eq!(commands[0]["status"], "completed");
    assert_eq!(commands[0]["exitCode"], 0);
    let output = commands[0]["aggregatedOutput"].as_str().unwrap_or_default();
    assert!(output.contains("hello from codex-manager"), "{output:?}");
    let answer = turn.deltas("item/agentMessage/delta");
    assert!(
        answer.starts_with("I ran `echo hello from codex-manager`"),
        "{answer:?}"
    );
    assert!(
        answer.contains("\nhello from codex-manager\n"),
        "{answer:?}"
    );

    let requests = mock.wait_for_requests(2, crate::support::TIMEOUT).await?;
    let outputs: Vec<&Value> = requests[1]["input"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "function_call_output")
        .collect();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0]["call_id"], commands[0]["id"]);
    codex.shutdown().await
}

#[tokio::test]
async fn codex_applies_the_scripted_patch() -> Result<()> {
    let mock = MockModel::start(Script::demo()).await?;
    let Some(mut codex) = Codex::start(&mock, &[]).await? else {
        return Ok(());
    };
    let thread = codex.start_thread("never", "danger-full-access").await?;
    let turn = codex
        .run_turn(&thread, "APPLY_PATCH please", no_requests)
        .await?;
    assert_eq!(turn.turn()["status"], "completed", "{:?}", turn.turn());
    let changes = turn.completed_items("fileChange");
    assert_eq!(changes.len(), 1, "{:?}", turn.messages);
    assert_eq!(changes[0]["status"], "completed");
    let written = std::fs::read_to_string(codex.work_dir().join("hello.txt"))?;
    assert_eq!(written, "Hello from Codex Manager!\n");
    let answer = turn.deltas("item/agentMessage/delta");
    assert!(answer.contains("hello.txt"), "{answer:?}");
    codex.shutdown().await
}

#[tokio::test]
async fn codex_asks_the_scripted_question() -> Result<()> {
    let mock = MockModel::start(Script::demo()).await?;
    let args = ["--enable", "default_mode_request_user_input"];
    let Some(mut codex) = Codex::start(&mock, &args).await? else {
        return Ok(());
    };
    let thread = codex.start_thread("never", "read-only").await?;
    let mut asked = Vec::new();
    let turn = codex
        .run_turn(&thread, "ASK me something", |method, params| {
            asked.push((method.to_owned(), params.clone()));
            json!({"answers": {"color": {"answers": ["Red"]}}})
        })
        .await?;
    assert_eq!(turn.turn()["status"], "completed", "{:?}", turn.turn());
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, "item/tool/requestUserInput");
    assert_eq!(asked[0].1["questions"][0]["id"], "color");
    let answer = turn.deltas("item/agentMessage/delta");
    assert!(
        answer.starts_with("Thanks!") && answer.contains("Red"),
        "{answer:?}"
    );
    codex.shutdown().await
}

#[tokio::test]
async fn codex_reports_scripted_failures_and_recovers() -> Result<()> {
    let mock = MockModel::start(Script::demo()).await?;
    let Some(mut codex) = Codex::start(&mock, &[]).await? else {
        return Ok(());
    };
    let thread = codex.start_thread("never", "read-only").await?;
    for keyword in ["FAIL400", "FAILSTREAM", "CUT"] {
        let turn = codex.run_turn(&thread, keyword, no_requests).await?;
        assert_eq!(
            turn.turn()["status"],
            "failed",
            "{keyword}: {:?}",
            turn.turn()
        );
        assert!(turn.notifications("error").count() >= 1, "{keyword}");
    }
    let turn = codex.run_turn(&thread, "hello again", no_requests).await?;
    assert_eq!(turn.turn()["status"], "completed");
    assert!(
        turn.deltas("item/agentMessage/delta")
            .contains("demo model")
    );
    codex.shutdown().await
}

#[tokio::test]
async fn codex_interrupts_a_slow_stream() -> Result<()> {
    let mock = MockModel::start(Script::demo()).await?;
    let Some(mut codex) = Codex::start(&mock, &[]).await? else {
        return Ok(());
    };
    let thread = codex.start_thread("never", "read-only").await?;
    let turn_id = codex.start_turn(&thread, "SLOW please").await?;
    let is_delta = |m: &Value| m["method"] == "item/agentMessage/delta";
    codex.collect(is_delta, no_requests).await?;
    codex
        .request(
            "turn/interrupt",
            json!({"threadId": thread, "turnId": turn_id}),
        )
        .await?;
    let turn = Turn {
        messages: codex.collect(is_turn_completed, no_requests).await?,
    };
    assert_eq!(turn.turn()["status"], "interrupted", "{:?}", turn.turn());
    assert!(turn.completed_items("agentMessage").is_empty());
    // The thread goes on with the next turn.
    let turn = codex.run_turn(&thread, "hello", no_requests).await?;
    assert_eq!(turn.turn()["status"], "completed");
    codex.shutdown().await
}
