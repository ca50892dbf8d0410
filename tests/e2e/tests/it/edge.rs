//! The HTTP edge against any input (issue #11): resume points, page sizes, cursors and path
//! ids out of range are `400 validation` naming the field, before anything reaches the bus —
//! and the gateway keeps serving afterwards.

use cm_e2e::TestStack;
use serde_json::{Value, json};

use crate::script;

async fn get_with(stack: &TestStack, path: &str, header: Option<(&str, &str)>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .get(stack.api.url(path))
        .bearer_auth(&stack.api.token);
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn put(stack: &TestStack, path: &str, body: &Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .put(stack.api.url(path))
        .bearer_auth(&stack.api.token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn field(body: &Value) -> (&str, &str) {
    (
        body["error"]["code"].as_str().unwrap_or_default(),
        body["error"]["details"]["field"]
            .as_str()
            .unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_range_input_is_a_validation_error_and_the_gateway_keeps_serving() {
    let stack = TestStack::start(script()).await.unwrap();
    let sid = stack.api.create_session().await.unwrap();
    let events = format!("/api/sessions/{sid}/events");

    // 2^64 - 1 used to overflow `cursor + 1` and panic the handler.
    for (path, header) in [
        (
            events.as_str(),
            Some(("Last-Event-ID", "18446744073709551615")),
        ),
        (
            "/api/events",
            Some(("Last-Event-ID", "18446744073709551615")),
        ),
        (
            "/api/events",
            Some(("Last-Event-ID", "1000000000000000000")),
        ),
        ("/api/events", Some(("Last-Event-ID", "-1"))),
    ] {
        let (status, body) = get_with(&stack, path, header).await;
        assert_eq!(status, 400, "{path} {header:?}: {body}");
        assert_eq!(field(&body), ("validation", "Last-Event-ID"), "{body}");
    }
    let (status, body) = get_with(&stack, "/api/events?after=18446744073709551615", None).await;
    assert_eq!(
        (status, field(&body)),
        (400, ("validation", "after")),
        "{body}"
    );
    // The largest accepted resume point opens a stream (and nothing overflows).
    let resp = reqwest::Client::new()
        .get(stack.api.url(&events))
        .bearer_auth(&stack.api.token)
        .header("Last-Event-ID", "999999999999999999")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    drop(resp);

    // Page sizes and cursors of the session list.
    for (query, name) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=", "cursor"),
        ("cursor=junk", "cursor"),
        ("projectId=%00", "projectId"),
    ] {
        let (status, body) = stack
            .api
            .get_raw(&format!("/api/sessions?{query}"))
            .await
            .unwrap();
        assert_eq!(
            (status, field(&body)),
            (400, ("validation", name)),
            "{query}: {body}"
        );
    }
    assert_eq!(
        stack
            .api
            .get_raw("/api/sessions?limit=200")
            .await
            .unwrap()
            .0,
        200
    );

    // Path ids: NUL, control characters, spaces, absurd length — 400 before the bus.
    let long = "a".repeat(201);
    for id in ["%00", "a%0Ab", "a%0D%0Ab", "a%20b", "x.y", long.as_str()] {
        let (status, body) = stack
            .api
            .get_raw(&format!("/api/sessions/{id}"))
            .await
            .unwrap();
        assert_eq!(
            (status, field(&body)),
            (400, ("validation", "id")),
            "{id}: {body}"
        );
        let (status, body) = stack
            .api
            .post_raw(&format!("/api/sessions/{id}/archive"), &json!({}))
            .await
            .unwrap();
        assert_eq!(status, 400, "{id}: {body}");
    }
    let (status, body) = stack.api.get_raw("/api/settings/a%20b").await.unwrap();
    assert_eq!(
        (status, field(&body)),
        (400, ("validation", "key")),
        "{body}"
    );

    // A typed body is an object: serde would read `["t"]` as a CreateSession (title "t").
    let (status, body) = stack
        .api
        .post_raw("/api/sessions", &json!(["t"]))
        .await
        .unwrap();
    assert_eq!(
        (status, field(&body)),
        (400, ("validation", "body")),
        "{body}"
    );
    // A setting value may be an array; `null` is no value.
    let (status, _) = put(&stack, "/api/settings/edge.list", &json!([1, 2])).await;
    assert_eq!(status, 200);
    let (status, body) = put(&stack, "/api/settings/edge.list", &Value::Null).await;
    assert_eq!(
        (status, field(&body)),
        (400, ("validation", "value")),
        "{body}"
    );

    // Still serving: readiness and a new session.
    assert_eq!(stack.api.get_raw("/api/ready").await.unwrap().0, 200);
    stack.api.create_session().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_session_title_is_stored_as_a_replacement_character() {
    let stack = TestStack::start(script()).await.unwrap();
    let (status, body) = stack
        .api
        .post_raw("/api/sessions", &json!({ "title": "a\u{0}b" }))
        .await
        .unwrap();
    // Postgres text cannot hold U+0000: it is stored (and answered) as U+FFFD.
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["title"], "a\u{FFFD}b");
    let id = body["id"].as_str().unwrap();
    let got = stack.api.get(&format!("/api/sessions/{id}")).await.unwrap();
    assert_eq!(got["session"]["title"], "a\u{FFFD}b", "{got}");
    assert_eq!(stack.api.get_raw("/api/ready").await.unwrap().0, 200);
}
