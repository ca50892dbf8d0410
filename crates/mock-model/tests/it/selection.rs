//! Which rule and which step answer a request.

use std::time::Duration;

use anyhow::Result;
use cm_mock_model::{MockModel, Script};
use serde_json::json;

use crate::support::{TIMEOUT, codex_body, deltas, post, start, stream};

async fn reply(mock: &MockModel, text: &str, outputs: &[&str]) -> Result<String> {
    let events = stream(mock, &codex_body(text, outputs)).await?;
    Ok(deltas(&events, "response.output_text.delta"))
}

#[tokio::test]
async fn keyword_rules_win_over_the_default_wherever_it_stands() -> Result<()> {
    let mock = start(json!({"rules": [
        {"name": "default", "steps": [{"type": "message", "text": "default"}]},
        {"match": {"contains": "ALPHA"}, "steps": [{"type": "message", "text": "alpha"}]},
        {"match": {"contains": "beta", "ignore_case": true}, "steps": [{"type": "message", "text": "beta"}]},
        {"match": {"equals": "exactly this"}, "steps": [{"type": "message", "text": "exact"}]}
    ]}))
    .await?;
    assert_eq!(reply(&mock, "please ALPHA now", &[]).await?, "alpha");
    assert_eq!(reply(&mock, "BETA please", &[]).await?, "beta");
    assert_eq!(reply(&mock, " exactly this\n", &[]).await?, "exact");
    assert_eq!(reply(&mock, "exactly this and more", &[]).await?, "default");
    assert_eq!(reply(&mock, "alpha in lower case", &[]).await?, "default");
    Ok(())
}

#[tokio::test]
async fn the_step_is_the_number_of_tool_outputs_since_the_user_message() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [
        {"type": "message", "text": "zero"},
        {"type": "message", "text": "one"},
        {"type": "message", "text": "last"}
    ]}]}))
    .await?;
    assert_eq!(reply(&mock, "go", &[]).await?, "zero");
    assert_eq!(reply(&mock, "go", &["a"]).await?, "one");
    assert_eq!(reply(&mock, "go", &["a", "b"]).await?, "last");
    assert_eq!(reply(&mock, "go", &["a", "b", "c", "d"]).await?, "last");

    // Outputs that precede the last user message belong to an earlier turn.
    let mut body = codex_body("earlier", &["old"]);
    if let Some(input) = body["input"].as_array_mut() {
        input.push(crate::support::user_message("new turn"));
    }
    let events = stream(&mock, &body).await?;
    assert_eq!(deltas(&events, "response.output_text.delta"), "zero");
    Ok(())
}

#[tokio::test]
async fn requests_are_recorded_and_can_be_awaited() -> Result<()> {
    let mock = MockModel::start(Script::text("hi")).await?;
    assert!(mock.base_url().ends_with(&format!(":{}/v1", mock.port())));
    let body = codex_body("first", &[]);
    stream(&mock, &body).await?;
    stream(&mock, &codex_body("second", &["out"])).await?;
    let requests = mock.wait_for_requests(2, TIMEOUT).await?;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0], body);
    assert_eq!(requests[1]["input"][4]["output"], "out");
    let err = mock.wait_for_requests(3, Duration::from_millis(50)).await;
    assert!(matches!(
        err,
        Err(cm_mock_model::Error::Timeout { received: 2, .. })
    ));
    Ok(())
}

#[tokio::test]
async fn the_demo_script_answers_every_keyword() -> Result<()> {
    let mock = MockModel::start(Script::demo()).await?;
    let default = reply(&mock, "hello there", &[]).await?;
    assert!(default.contains("Codex Manager demo model"), "{default}");
    assert!(default.contains("offline"), "{default}");
    let shell = stream(&mock, &codex_body("RUN_SHELL please", &[])).await?;
    let call = &shell[2].data["item"];
    assert_eq!(call["name"], "exec_command");
    let arguments: serde_json::Value =
        serde_json::from_str(call["arguments"].as_str().unwrap_or("{}"))?;
    assert_eq!(
        arguments,
        json!({"cmd": "echo hello from codex-manager", "login": false})
    );
    let after = reply(
        &mock,
        "RUN_SHELL please",
        &["Output:\nhello from codex-manager\n"],
    )
    .await?;
    assert!(after.contains("hello from codex-manager"), "{after}");
    let status = post(&mock, &codex_body("FAIL400", &[])).await?.status();
    assert_eq!(status, 400);
    Ok(())
}
