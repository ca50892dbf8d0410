//! The bus contract as automation sees it: service discovery and typed errors.

use std::time::Duration;

use cm_e2e::TestStack;
use cm_schemas::ErrorCode;
use cm_schemas::commands::verb;
use cm_schemas::subjects::{self, prefix};
use futures::StreamExt;

use crate::script;

#[tokio::test(flavor = "multi_thread")]
async fn every_service_answers_srv_ping_and_commands_reply_typed_errors() {
    let stack = TestStack::start(script()).await.unwrap();
    let client = stack.nats.connect().await.unwrap();

    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await.unwrap();
    client
        .publish_with_reply("$SRV.PING", inbox, "".into())
        .await
        .unwrap();
    // Until the four have answered (a busy machine may take a while), not until a quiet spell.
    let mut names = Vec::new();
    while names.len() < 4 {
        let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(10), replies.next()).await
        else {
            break;
        };
        let v: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
        names.push(v["name"].as_str().unwrap().to_owned());
    }
    names.sort();
    assert_eq!(
        names,
        [
            "cm-gateway",
            "cm-queue-worker",
            "cm-runtime-bridge",
            "cm-session"
        ]
    );

    let bus = stack.bus().await.unwrap();
    let err = bus
        .request::<_, serde_json::Value>(
            &subjects::command(prefix::SESSION, verb::SESSION_GET),
            &serde_json::json!({ "sessionId": "nope" }),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = bus
        .request::<_, serde_json::Value>(
            &subjects::command(prefix::SESSION, verb::SESSION_GET),
            &serde_json::json!({ "wrong": true }),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation);
    let err = bus
        .request::<_, serde_json::Value>(
            "cm.v1.nobody.home",
            &serde_json::json!({}),
            Duration::from_secs(2),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable);

    // The same discovery over HTTP, with each endpoint's statistics: the two `session.get`
    // calls above are counted (a typed error reply is an answer, not a NATS service error).
    let services = stack.api.get("/api/services").await.unwrap();
    let list = services["services"].as_array().unwrap();
    let mut names: Vec<&str> = list.iter().map(|s| s["name"].as_str().unwrap()).collect();
    names.dedup();
    assert_eq!(
        names,
        [
            "cm-gateway",
            "cm-queue-worker",
            "cm-runtime-bridge",
            "cm-session"
        ],
        "{services}"
    );
    let session = list.iter().find(|s| s["name"] == "cm-session").unwrap();
    assert!(
        session["started"].as_str().unwrap().ends_with('Z'),
        "{session}"
    );
    let get = session["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"] == subjects::command(prefix::SESSION, verb::SESSION_GET).as_str())
        .unwrap_or_else(|| panic!("no session.get endpoint: {session}"));
    assert!(get["requests"].as_u64().unwrap() >= 2, "{get}");
    assert!(
        get["averageProcessingTimeMs"].as_f64().unwrap() > 0.0,
        "{get}"
    );
}
