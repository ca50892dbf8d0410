//! Controls and settings (S5) end to end: defaults and locks, a session's controls merged into
//! every turn, free-form settings by key, globally and per session.

use cm_e2e::{Api, TestStack, kinds};
use cm_schemas::EventBody;
use cm_schemas::request::RequestKind;
use reqwest::Method;
use serde_json::{Value, json};

use crate::runtime_script::{self, completed, is_turn_end, opened, until};

/// Any method with the token; status and JSON body (`Null` when there is none).
pub async fn call(api: &Api, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, api.url(path))
        .bearer_auth(&api.token);
    if let Some(body) = body {
        req = req.json(body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Expects `status`; returns the body.
async fn ok(api: &Api, method: Method, path: &str, body: Value, status: u16) -> Value {
    let (got, resp) = call(api, method.clone(), path, Some(&body)).await;
    assert_eq!(got, status, "{method} {path} {body}: {resp}");
    resp
}

/// Expects an error with `code` and, when given, `details.field`.
async fn fails(api: &Api, method: Method, path: &str, body: Value, code: &str, field: &str) {
    let (status, resp) = call(api, method.clone(), path, Some(&body)).await;
    let err = &resp["error"];
    assert_eq!(err["code"], code, "{method} {path} {body}: {status} {resp}");
    if !field.is_empty() {
        assert_eq!(err["details"]["field"], field, "{resp}");
    }
}

/// The reasoning effort of the model's latest request.
fn last_effort(stack: &TestStack) -> String {
    let requests = stack.mock.requests();
    let last = requests.last().unwrap();
    last["reasoning"]["effort"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn session_controls_merge_over_locked_defaults_and_reach_the_turn() {
    let stack = TestStack::start(runtime_script::script()).await.unwrap();
    let api = &stack.api;
    let defaults = "/api/controls/defaults";

    let empty = api.get(defaults).await.unwrap();
    assert_eq!(empty["locked"], json!([]), "{empty}");
    assert_eq!(empty["sandbox"], Value::Null);
    fails(
        api,
        Method::PUT,
        defaults,
        json!({ "approvalPolicy": "sometimes" }),
        "validation",
        "approvalPolicy",
    )
    .await;
    fails(
        api,
        Method::PUT,
        defaults,
        json!({ "locked": ["colour"] }),
        "validation",
        "locked",
    )
    .await;
    let set = json!({ "effort": "low", "sandbox": "read-only", "locked": ["sandbox"] });
    let d = ok(api, Method::PUT, defaults, set, 200).await;
    assert_eq!(
        (d["effort"].as_str(), d["locked"].clone()),
        (Some("low"), json!(["sandbox"]))
    );
    assert_eq!(api.get(defaults).await.unwrap(), d);

    let sid = api.create_session().await.unwrap();
    let path = format!("/api/sessions/{sid}/controls");
    let c = api.get(&path).await.unwrap();
    assert_eq!(c["controls"]["effort"], Value::Null, "{c}");
    assert_eq!(c["effective"]["effort"], "low");
    assert_eq!(c["effective"]["sandbox"], "read-only");
    assert_eq!(c["locked"], json!(["sandbox"]));

    // PUT replaces, PATCH merges (null unsets), the effective controls follow.
    ok(
        api,
        Method::PUT,
        &path,
        json!({ "model": "mock-model", "effort": "medium" }),
        200,
    )
    .await;
    let c = ok(api, Method::PUT, &path, json!({ "effort": "high" }), 200).await;
    assert_eq!(c["controls"]["model"], Value::Null, "replaced: {c}");
    let c = ok(
        api,
        Method::PATCH,
        &path,
        json!({ "approvalPolicy": "untrusted" }),
        200,
    )
    .await;
    assert_eq!(c["controls"]["effort"], "high", "merged: {c}");
    assert_eq!(c["effective"]["approvalPolicy"], "untrusted");
    let c = ok(api, Method::PATCH, &path, json!({ "effort": null }), 200).await;
    assert_eq!(c["controls"]["effort"], Value::Null, "{c}");
    assert_eq!(
        c["effective"]["effort"], "low",
        "the default shows again: {c}"
    );
    assert_eq!(api.get(&path).await.unwrap(), c);

    // Bad values name their field; a locked key may only repeat its default.
    fails(
        api,
        Method::PATCH,
        &path,
        json!({ "effort": "extreme" }),
        "validation",
        "effort",
    )
    .await;
    fails(
        api,
        Method::PUT,
        &path,
        json!({ "sandbox": "none" }),
        "validation",
        "sandbox",
    )
    .await;
    fails(
        api,
        Method::PATCH,
        &path,
        json!({ "colour": "red" }),
        "validation",
        "body",
    )
    .await;
    let (status, body) = call(
        api,
        Method::PATCH,
        &path,
        Some(&json!({ "sandbox": "danger-full-access" })),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (423, Some("locked")),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["field"], "sandbox");
    ok(
        api,
        Method::PATCH,
        &path,
        json!({ "sandbox": "read-only" }),
        200,
    )
    .await;
    let messages = format!("/api/sessions/{sid}/messages");
    let locked = json!({ "text": "hi", "overrides": { "sandbox": "workspace-write" } });
    let (status, body) = api.post_raw(&messages, &locked).await.unwrap();
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (423, Some("sandbox")),
        "{body}"
    );
    let bad = json!({ "text": "hi", "overrides": { "effort": "extreme" } });
    let (status, body) = api.post_raw(&messages, &bad).await.unwrap();
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (400, Some("effort")),
        "{body}"
    );

    // The runtime's config says `never`; the session's `untrusted` makes the command ask, and
    // its effort reaches the model.
    ok(api, Method::PATCH, &path, json!({ "effort": "high" }), 200).await;
    let mut events = api.events(&sid, None).await.unwrap();
    api.send(&sid, "RUN_SHELL please").await.unwrap();
    let evs = until(&mut events, |e| opened(e).is_some()).await;
    let req = opened(evs.last().unwrap()).unwrap().clone();
    assert_eq!(req.kind, RequestKind::CommandApproval, "{req:?}");
    let decide = format!("/api/sessions/{sid}/requests/{}/decision", req.id);
    api.post(&decide, json!({ "decision": "accept" }))
        .await
        .unwrap();
    let evs = until(&mut events, is_turn_end).await;
    assert_eq!(
        completed(&evs, "commandExecution").unwrap()["status"],
        "completed"
    );
    assert_eq!(last_effort(&stack), "high");

    // A message's own overrides win over the session's controls.
    let own = json!({ "text": "RUN_SHELL again",
        "overrides": { "approvalPolicy": "never", "effort": "medium" } });
    api.post(&messages, own).await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    assert!(
        !evs.iter().any(|e| opened(e).is_some()),
        "{:?}",
        kinds(&evs)
    );
    let ran = completed(&evs, "commandExecution").unwrap();
    assert_eq!(ran["status"], "completed", "{ran}");
    assert!(matches!(
        evs.last().unwrap().event.body,
        EventBody::TurnCompleted { .. }
    ));
    assert_eq!(last_effort(&stack), "medium");
    crate::turn::wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;

    // A deleted session has no controls any more.
    let (status, body) = call(api, Method::DELETE, &format!("/api/sessions/{sid}"), None).await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = call(api, Method::GET, &path, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (410, Some("gone")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_are_set_merged_bounded_and_unset_globally_and_per_session() {
    let stack = TestStack::start(crate::script()).await.unwrap();
    let api = &stack.api;

    assert_eq!(
        api.get("/api/settings").await.unwrap(),
        json!({ "settings": [] })
    );
    let s = ok(
        api,
        Method::PUT,
        "/api/settings/ui.theme",
        json!("dark"),
        200,
    )
    .await;
    assert_eq!(
        (s["key"].as_str(), s["value"].as_str()),
        (Some("ui.theme"), Some("dark")),
        "{s}"
    );
    assert!(s["updatedAt"].is_string());
    let layout = json!({ "sidebar": { "width": 280, "open": true }, "tabs": ["chat"] });
    ok(api, Method::PUT, "/api/settings/ui.layout", layout, 200).await;
    let patch = json!({ "sidebar": { "open": null, "pinned": true }, "tabs": ["chat", "diff"] });
    let merged = ok(api, Method::PATCH, "/api/settings/ui.layout", patch, 200).await;
    let want = json!({ "sidebar": { "width": 280, "pinned": true }, "tabs": ["chat", "diff"] });
    assert_eq!(merged["value"], want);
    assert_eq!(
        api.get("/api/settings/ui.layout").await.unwrap()["value"],
        want
    );
    // A merge into an unset key starts from {}.
    let fresh = ok(
        api,
        Method::PATCH,
        "/api/settings/new-key",
        json!({ "a": 1 }),
        200,
    )
    .await;
    assert_eq!(fresh["value"], json!({ "a": 1 }));
    let list = api.get("/api/settings").await.unwrap();
    let keys: Vec<&str> = list["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["new-key", "ui.layout", "ui.theme"]);

    fails(
        api,
        Method::PATCH,
        "/api/settings/ui.theme",
        json!({ "a": 1 }),
        "conflict",
        "",
    )
    .await;
    fails(
        api,
        Method::PATCH,
        "/api/settings/ui.layout",
        json!([1]),
        "validation",
        "patch",
    )
    .await;
    fails(
        api,
        Method::PUT,
        "/api/settings/ui.theme",
        Value::Null,
        "validation",
        "value",
    )
    .await;
    fails(
        api,
        Method::PUT,
        "/api/settings/bad%20key",
        json!(1),
        "validation",
        "key",
    )
    .await;
    let long = format!("/api/settings/{}", "k".repeat(129));
    fails(api, Method::PUT, &long, json!(1), "validation", "key").await;
    ok(
        api,
        Method::PUT,
        &format!("/api/settings/{}", "k".repeat(128)),
        json!(1),
        200,
    )
    .await;

    // Values are bounded at 64 KiB: a big PUT, and a merge that grows past the limit.
    let big = json!("x".repeat(70 * 1024));
    let (status, body) = call(api, Method::PUT, "/api/settings/big", Some(&big)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );
    let half = "y".repeat(40 * 1024);
    ok(
        api,
        Method::PUT,
        "/api/settings/grows",
        json!({ "a": half }),
        200,
    )
    .await;
    let (status, body) = call(
        api,
        Method::PATCH,
        "/api/settings/grows",
        Some(&json!({ "b": half })),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );
    assert_eq!(
        api.get("/api/settings/grows").await.unwrap()["value"]["b"],
        Value::Null
    );

    let (status, _) = call(api, Method::DELETE, "/api/settings/ui.theme", None).await;
    assert_eq!(status, 204);
    let (status, body) = call(api, Method::GET, "/api/settings/ui.theme", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, _) = call(api, Method::DELETE, "/api/settings/ui.theme", None).await;
    assert_eq!(status, 404);

    // Per session: separate from the global keys, gone with the session.
    let sid = api.create_session().await.unwrap();
    let base = format!("/api/sessions/{sid}/settings");
    assert_eq!(api.get(&base).await.unwrap(), json!({ "settings": [] }));
    ok(
        api,
        Method::PUT,
        &format!("{base}/ui.layout"),
        json!({ "split": 0.5 }),
        200,
    )
    .await;
    let merged = ok(
        api,
        Method::PATCH,
        &format!("{base}/ui.layout"),
        json!({ "zoom": 2 }),
        200,
    )
    .await;
    assert_eq!(merged["value"], json!({ "split": 0.5, "zoom": 2 }));
    let one = api.get(&format!("{base}/ui.layout")).await.unwrap();
    assert_eq!(one["key"], "ui.layout");
    assert_eq!(one["value"], merged["value"]);
    let list = api.get(&base).await.unwrap();
    assert_eq!(list["settings"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        api.get("/api/settings/ui.layout").await.unwrap()["value"],
        want,
        "global untouched"
    );
    let key = format!("{base}/ui.layout");
    let (status, _) = call(api, Method::DELETE, &key, None).await;
    assert_eq!(status, 204);
    let (status, body) = call(api, Method::GET, &key, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, body) = call(api, Method::GET, "/api/sessions/nope/settings", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, _) = call(api, Method::DELETE, &format!("/api/sessions/{sid}"), None).await;
    assert_eq!(status, 204);
    let (status, body) = call(api, Method::GET, &base, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (410, Some("gone")),
        "{body}"
    );
}
