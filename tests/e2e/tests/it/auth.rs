//! Bearer-token auth and error shapes at the edge.

use cm_e2e::TestStack;

use crate::script;

#[tokio::test(flavor = "multi_thread")]
async fn every_route_but_health_needs_the_token_and_errors_have_stable_codes() {
    let stack = TestStack::start(script()).await.unwrap();
    let http = reqwest::Client::new();

    let health = http
        .get(stack.api.url("/api/health"))
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // No origin is configured: no CORS header for anyone (tests/it/cors.rs has the others).
    assert!(!health.headers().contains_key("access-control-allow-origin"));

    for path in ["/api/sessions", "/api/ready", "/api/sessions/x/events"] {
        let resp = http.get(stack.api.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
        let wrong = http
            .get(stack.api.url(path))
            .bearer_auth("nope")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
    }
    let post = http
        .post(stack.api.url("/api/sessions"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401);

    // Validation names the field; unknown sessions are 404.
    let (status, body) = stack
        .api
        .post_raw("/api/sessions", &serde_json::json!({ "cwd": "relative" }))
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("validation"))
    );
    assert_eq!(body["error"]["details"]["field"], "cwd");
    let (status, body) = stack
        .api
        .post_raw("/api/sessions", &serde_json::json!({ "bogus": 1 }))
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("validation")),
        "{body}"
    );
    let sid = stack.api.create_session().await.unwrap();
    let (status, body) = stack
        .api
        .post_raw(
            &format!("/api/sessions/{sid}/messages"),
            &serde_json::json!({ "text": "  " }),
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (400, Some("text"))
    );
    let (status, body) = stack
        .api
        .get_raw("/api/sessions/does-not-exist")
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = stack
        .api
        .post_raw(
            "/api/sessions/does-not-exist/messages",
            &serde_json::json!({ "text": "hi" }),
        )
        .await
        .unwrap();
    assert_eq!(status, 404);
    let (status, body) = stack.api.get_raw("/api/ready").await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["runtime"]["status"]["initialized"], true);
}
