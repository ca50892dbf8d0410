//! Failure modes: HTTP errors, failed and cut streams, bad requests, shutdown.

use std::time::Duration;

use anyhow::Result;
use serde_json::{Value, json};

use crate::support::{TIMEOUT, codex_body, deltas, names, post, start, stream, stream_until_error};

#[tokio::test]
async fn error_step_answers_with_an_http_error() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [
        {"type": "error", "status": 429, "message": "slow down", "code": "rate_limit_exceeded"}
    ]}]}))
    .await?;
    let response = post(&mock, &codex_body("go", &[])).await?;
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await?;
    assert_eq!(
        body,
        json!({"error": {"message": "slow down", "type": "invalid_request_error", "param": null, "code": "rate_limit_exceeded"}})
    );
    Ok(())
}

#[tokio::test]
async fn fail_stream_sends_response_failed_and_no_completed() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [[
        {"type": "message", "text": "partial answer", "partial": true},
        {"type": "fail_stream", "message": "boom", "code": "server_error"}
    ]]}]}))
    .await?;
    let events = stream(&mock, &codex_body("go", &[])).await?;
    assert_eq!(
        names(&events),
        [
            "response.created",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.failed",
        ]
    );
    let failed = &events[5].data["response"];
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["error"],
        json!({"code": "server_error", "message": "boom"})
    );
    Ok(())
}

#[tokio::test]
async fn cut_drops_the_connection_after_the_frames_before_it() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [[
        {"type": "message", "deltas": ["This reply ", "is cut"], "partial": true},
        {"type": "cut"}
    ]]}]}))
    .await?;
    let (events, failed) = stream_until_error(&mock, &codex_body("go", &[])).await?;
    assert!(failed, "the body must end with a transport error");
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        "This reply is cut"
    );
    assert!(!names(&events).contains(&"response.completed"));
    assert!(!names(&events).contains(&"response.output_item.done"));
    Ok(())
}

#[tokio::test]
async fn bad_requests_get_json_errors() -> Result<()> {
    let mock = start(json!({"rules": [{"steps": [{"type": "message", "text": "x"}]}]})).await?;
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    let base = mock.base_url();

    let response = client
        .post(format!("{base}/responses"))
        .body("not json")
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await?;
    assert_eq!(body["error"]["code"], "invalid_json");

    let response = post(&mock, &json!({"model": "m", "stream": true})).await?;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await?;
    assert_eq!(body["error"]["message"], "missing `input`");

    for (method, path) in [
        ("GET", "/v1/nope"),
        ("GET", "/v1/responses"),
        ("POST", "/x"),
    ] {
        let url = format!("http://{}{path}", mock.addr());
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let response = client.request(method, url).send().await?;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await?;
        assert_eq!(body["error"]["code"], "not_found");
    }

    let models: Value = client
        .get(format!("{base}/models"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(models["data"][0]["id"], "mock-model");
    // Unparseable requests are not recorded; well-formed JSON is, even when rejected.
    assert_eq!(mock.requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn no_matching_rule_is_a_server_error() -> Result<()> {
    let mock = start(json!({"rules": [
        {"match": {"contains": "ONLY"}, "steps": [{"type": "message", "text": "x"}]}
    ]}))
    .await?;
    let response = post(&mock, &codex_body("something else", &[])).await?;
    assert_eq!(response.status(), 500);
    Ok(())
}

#[tokio::test]
async fn shutdown_cuts_open_streams() -> Result<()> {
    let mock = start(json!({"rules": [{"delay_ms": 10_000, "steps": [
        {"type": "message", "text": "first second"}
    ]}]}))
    .await?;
    let mut response = post(&mock, &codex_body("go", &[])).await?;
    // Read until the first delta is in, so the stream is surely open and waiting.
    let mut text = String::new();
    while !text.contains("output_text.delta") {
        let chunk = tokio::time::timeout(TIMEOUT, response.chunk()).await??;
        let Some(chunk) = chunk else {
            anyhow::bail!("stream ended early")
        };
        text.push_str(std::str::from_utf8(&chunk)?);
    }
    tokio::time::timeout(Duration::from_secs(5), mock.shutdown()).await??;
    let rest = tokio::time::timeout(TIMEOUT, async {
        loop {
            match response.chunk().await {
                Ok(Some(_)) => continue,
                Ok(None) => return false,
                Err(_) => return true,
            }
        }
    })
    .await?;
    assert!(
        rest,
        "the open stream ends with an error, not a completed response"
    );
    Ok(())
}
