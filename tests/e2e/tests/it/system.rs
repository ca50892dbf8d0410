//! System routes (A4, R6) against the real app-server running offline on the scripted model
//! provider: every route answers with the runtime's own shapes or its documented error.

use std::time::Duration;

use cm_e2e::{Service, TestStack};
use cm_schemas::commands::verb;
use cm_schemas::subjects::{self, prefix};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::script;

/// Expects `status` and `error.code` (with `details.field` when given).
async fn refused(api: &cm_e2e::Api, post: Option<Value>, path: &str, want: (u16, &str, &str)) {
    let (status, body) = match post {
        Some(body) => api.post_raw(path, &body).await.unwrap(),
        None => api.get_raw(path).await.unwrap(),
    };
    let err = &body["error"];
    assert_eq!(
        (status, err["code"].as_str()),
        (want.0, Some(want.1)),
        "{path}: {body}"
    );
    if !want.2.is_empty() {
        assert_eq!(err["details"]["field"], want.2, "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn system_routes_reach_the_runtime_and_map_its_errors() {
    let mut stack = TestStack::start(script()).await.unwrap();
    let api = stack.api.clone();

    let caps = api.get("/api/capabilities").await.unwrap();
    assert_eq!(caps["apiVersion"], "1.0.0", "{caps}");
    assert_eq!(caps["contractVersion"], cm_schemas::CONTRACT_VERSION);
    assert_eq!(caps["runtime"]["initialized"], true);
    let probed = caps["runtime"]["capabilities"].as_array().unwrap();
    assert!(probed.contains(&json!("model/list")), "{caps}");
    let routes = caps["routes"].as_array().unwrap();
    assert_eq!(routes.len(), cm_schemas::operator::OPERATOR_METHODS.len());
    let models = routes.iter().find(|r| r["path"] == "/api/models").unwrap();
    assert_eq!(
        (models["runtimeMethod"].as_str(), &models["capability"]),
        (Some("model/list"), &json!(true))
    );

    // Reads.
    let models = api.get("/api/models?limit=1").await.unwrap();
    assert_eq!(models["data"].as_array().unwrap().len(), 1, "{models}");
    assert!(models["data"][0]["id"].is_string());
    let account = api.get("/api/account").await.unwrap();
    assert_eq!(
        (&account["account"], &account["requiresOpenaiAuth"]),
        (&Value::Null, &json!(false))
    );
    let config = api.get("/api/config").await.unwrap();
    assert_eq!(config["config"]["model_provider"], "mock", "{config}");
    let layered = api.get("/api/config?includeLayers=true").await.unwrap();
    assert!(layered["layers"].is_array(), "{layered}");
    let req = api.get("/api/config/requirements").await.unwrap();
    assert!(
        req.as_object().unwrap().contains_key("requirements"),
        "{req}"
    );
    let mcp = api.get("/api/mcp/servers").await.unwrap();
    assert_eq!(mcp["data"], json!([]), "{mcp}");
    let skills = api.get("/api/skills?forceReload=true").await.unwrap();
    assert!(skills["data"].is_array(), "{skills}");
    let apps = api.get("/api/apps").await.unwrap();
    assert!(apps["data"].is_array(), "{apps}");
    let features = api.get("/api/experimental-features").await.unwrap();
    assert!(
        !features["data"].as_array().unwrap().is_empty(),
        "{features}"
    );

    // Writes and one-off commands.
    let write = json!({ "keyPath": "model_verbosity", "value": "low", "mergeStrategy": "replace" });
    let written = api.post("/api/config/value", write).await.unwrap();
    assert_eq!(written["status"], "ok", "{written}");
    let edits = json!({ "edits": [
        { "keyPath": "model_reasoning_summary", "value": "concise", "mergeStrategy": "replace" } ] });
    assert_eq!(
        api.post("/api/config/batch", edits).await.unwrap()["status"],
        "ok"
    );
    let config = api.get("/api/config").await.unwrap()["config"].clone();
    assert_eq!(
        (
            &config["model_verbosity"],
            &config["model_reasoning_summary"]
        ),
        (&json!("low"), &json!("concise"))
    );
    assert_eq!(
        api.post("/api/mcp/reload", json!({})).await.unwrap(),
        json!({})
    );
    let exec = json!({ "command": ["echo", "hi"] });
    let ran = api.post("/api/command/exec", exec).await.unwrap();
    assert_eq!(
        (&ran["exitCode"], &ran["stdout"]),
        (&json!(0), &json!("hi\n"))
    );

    // The runtime's refusals, typed: what it calls an invalid request (no ChatGPT login, an
    // unknown MCP server, a cursor it never gave) is 400 with its message; a failure of its
    // own (offline upload) is 502. An unknown login id is invalid too.
    refused(
        &api,
        None,
        "/api/account/rate-limits",
        (400, "validation", "params"),
    )
    .await;
    refused(
        &api,
        None,
        "/api/models?cursor=not-a-cursor",
        (400, "validation", "params"),
    )
    .await;
    refused(
        &api,
        None,
        "/api/models?cursor=",
        (400, "validation", "params"),
    )
    .await;
    // Control characters stop at the gateway (the runtime would echo them in its message).
    refused(
        &api,
        None,
        "/api/models?cursor=a%0D%0Ab",
        (400, "validation", "cursor"),
    )
    .await;
    let cancel = Some(json!({ "loginId": "nope" }));
    refused(
        &api,
        cancel,
        "/api/account/login/cancel",
        (400, "validation", "params"),
    )
    .await;
    refused(
        &api,
        Some(json!({})),
        "/api/mcp/servers/nope/login",
        (400, "validation", "params"),
    )
    .await;
    let feedback = Some(json!({ "classification": "bug", "includeLogs": false }));
    refused(&api, feedback, "/api/feedback", (502, "runtime_error", "")).await;
    refused(
        &api,
        Some(json!({})),
        "/api/config/value",
        (400, "validation", "params"),
    )
    .await;

    // What the gateway refuses itself.
    refused(
        &api,
        None,
        "/api/models?limit=many",
        (400, "validation", "limit"),
    )
    .await;
    refused(
        &api,
        None,
        "/api/models?colour=red",
        (400, "validation", "query"),
    )
    .await;
    refused(
        &api,
        Some(json!([1])),
        "/api/command/exec",
        (400, "validation", "body"),
    )
    .await;
    let untyped = reqwest::Client::new()
        .post(api.url("/api/command/exec"))
        .bearer_auth(&api.token)
        .body(r#"{"command": ["true"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status().as_u16(), 400);
    let body: Value = untyped.json().await.unwrap();
    assert_eq!(body["error"]["details"]["field"], "Content-Type", "{body}");

    // Login with an API key and log out (the test's own CODEX_HOME).
    let login = json!({ "type": "apiKey", "apiKey": "sk-test-not-real" });
    assert_eq!(
        api.post("/api/account/login", login).await.unwrap()["type"],
        "apiKey"
    );
    assert_eq!(
        api.post("/api/account/logout", json!({})).await.unwrap(),
        json!({})
    );

    // A runtime without the method answers 501. No route's method is missing from the pinned
    // runtime, so a stand-in bridge answers `not_supported` the way the real one does.
    stack.kill_service(Service::RuntimeBridge).await;
    // Until nats-server notices the dead connection, a status request can still reach its
    // subscription and time out; once it has, nobody answers and it is `unavailable`.
    let caps = cm_test_support::wait_for("bridge gone", Duration::from_secs(10), || async {
        let caps = api.get("/api/capabilities").await?;
        anyhow::ensure!(
            caps["runtime"].is_null() && caps["runtimeError"]["code"] == "unavailable",
            "still there: {caps}"
        );
        Ok(caps)
    })
    .await
    .unwrap();
    assert_eq!(caps["runtimeError"]["code"], "unavailable", "{caps}");
    let bus = stack.bus().await.unwrap();
    let subject = subjects::command(prefix::RUNTIME, verb::RUNTIME_CALL);
    let mut calls = bus.client().subscribe(subject.clone()).await.unwrap();
    let client = bus.client().clone();
    tokio::spawn(async move {
        while let Some(msg) = calls.next().await {
            let call: Value = serde_json::from_slice(&msg.payload).unwrap_or_default();
            let reply = json!({ "error": { "code": "not_supported",
                "message": format!("the runtime does not support {}", call["method"]),
                "details": { "method": call["method"] } } });
            if let Some(to) = msg.reply {
                let _ = client.publish(to, reply.to_string().into()).await;
            }
        }
    });
    // `flush` only writes the SUB; a round trip through it proves nats-server registered it
    // before the gateway's request arrives on another connection.
    bus.client()
        .request(subject, r#"{"method":"probe"}"#.into())
        .await
        .unwrap();
    let (status, body) = api.get_raw("/api/skills").await.unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (501, Some("not_supported")),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["method"], "skills/list");
}
