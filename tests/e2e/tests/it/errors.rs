//! The errors contract at the edge: every error is `{error: {code, message, details}}` with a
//! stable code — also axum's own 404/405, the body limit's 413, body rejections, and 503s that
//! name the dependency that is down.

use std::time::Duration;

use cm_e2e::{Service, TestStack};
use cm_schemas::ErrorCode;
use cm_schemas::commands::verb;
use cm_schemas::queue::Empty;
use cm_schemas::subjects::{self, prefix};
use serde_json::{Value, json};

use crate::script;

async fn error_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("application/json"), "{status}: {ct}");
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    (status, body["error"].clone())
}

/// Stops `svc` and waits until NATS no longer routes `subject` to it (its unsubscribe is sent
/// asynchronously), so the next request sees "no responders" rather than a time-out.
async fn stop_and_wait(stack: &mut TestStack, svc: Service, subject: &str) {
    stack.stop_service(svc).await.unwrap();
    let bus = stack.bus().await.unwrap();
    cm_test_support::wait_for(
        "the stopped service to stop answering",
        Duration::from_secs(5),
        || async {
            let r = bus
                .request::<_, Value>(subject, &Empty {}, Duration::from_millis(500))
                .await;
            anyhow::ensure!(
                matches!(&r, Err(e) if e.code == ErrorCode::Unavailable),
                "{subject} still answered after {svc:?} stopped: {r:?}"
            );
            Ok(())
        },
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_has_the_json_shape_and_a_stable_code() {
    let mut stack = TestStack::start(script()).await.unwrap();
    let http = reqwest::Client::new();
    let api = stack.api.clone();
    let url = |p: &str| api.url(p);
    let token = stack.api.token.clone();

    // Unknown route.
    let (status, e) = error_of(
        http.get(url("/api/nope"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, e["code"].as_str()), (404, Some("not_found")));
    assert_eq!(e["details"]["path"], "/api/nope");

    // Wrong method: 405 with the allowed ones.
    let resp = http
        .delete(url("/api/sessions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let allow = resp
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let (status, e) = error_of(resp).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    assert!(allow.is_some_and(|a| a.contains("POST")));

    // Body over the 1 MiB limit, with a Content-Length and streamed.
    let big = format!(r#"{{"title":"{}"}}"#, "x".repeat(1024 * 1024));
    let resp = http
        .post(url("/api/sessions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(resp).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    for key in [None, Some("big-1")] {
        let chunks: Vec<Result<Vec<u8>, std::convert::Infallible>> = big
            .as_bytes()
            .chunks(64 * 1024)
            .map(|c| Ok(c.to_vec()))
            .collect();
        let mut req = http
            .post(url("/api/sessions"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            // The gateway answers 413 as soon as the limit is crossed and closes the
            // connection; a client still uploading may see only the broken pipe.
            Err(e) if format!("{e:?}").contains("BodyWrite") => continue,
            Err(e) => panic!("{key:?}: {e:?}"),
        };
        let (status, e) = error_of(resp).await;
        assert_eq!(
            (status, e["code"].as_str()),
            (413, Some("payload_too_large")),
            "{key:?}"
        );
    }

    // Malformed JSON, missing content type, bad query: validation naming the field.
    let resp = http
        .post(url("/api/sessions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"title": "#)
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(resp).await;
    assert_eq!((status, e["code"].as_str()), (400, Some("validation")));
    assert_eq!(e["details"]["field"], "body");
    let resp = http
        .post(url("/api/sessions"))
        .bearer_auth(&token)
        .body(r#"{"title": "t"}"#)
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(resp).await;
    assert_eq!(
        (status, e["details"]["field"].as_str()),
        (400, Some("Content-Type"))
    );
    let resp = http
        .get(url("/api/sessions?limit=many"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(resp).await;
    assert_eq!(
        (status, e["details"]["field"].as_str()),
        (400, Some("query"))
    );

    // No token.
    let (status, e) = error_of(http.get(url("/api/sessions")).send().await.unwrap()).await;
    assert_eq!((status, e["code"].as_str()), (401, Some("unauthorized")));

    // The runtime is down: 503 naming it.
    let status = subjects::command(prefix::RUNTIME, verb::STATUS);
    stop_and_wait(&mut stack, Service::RuntimeBridge, &status).await;
    let resp = http
        .post(url("/api/sessions"))
        .bearer_auth(&token)
        .json(&json!({ "title": "t" }))
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(resp).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (503, Some("unavailable")),
        "{e}"
    );
    assert_eq!(e["details"]["dependency"], "runtime");

    // The session service is down: 503 naming it, with or without an idempotency key.
    let list = subjects::command(prefix::SESSION, verb::SESSION_LIST);
    stop_and_wait(&mut stack, Service::Session, &list).await;
    let resp = http
        .get(url("/api/sessions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    // Nothing ran: come back in a second (the CLI and the web UI honour it).
    assert_eq!(resp.headers()["retry-after"], "1");
    let (status, e) = error_of(resp).await;
    assert_eq!((status, e["code"].as_str()), (503, Some("unavailable")));
    assert_eq!(e["details"]["dependency"], "session");
    let resp = http
        .post(url("/api/sessions"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "down-1")
        .json(&json!({ "title": "t" }))
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(resp).await;
    assert_eq!(
        (status, e["details"]["dependency"].as_str()),
        (503, Some("session"))
    );
}
