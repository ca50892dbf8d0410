//! CORS: only configured origins get CORS headers (a UI served from elsewhere, such as a dev
//! server); every other origin gets none, so browsers keep its pages from reading answers.

use cm_e2e::TestStack;
use reqwest::header::{ACCESS_CONTROL_ALLOW_ORIGIN, HeaderMap};

use crate::script;

const UI: &str = "http://ui.example:5173";
const EVIL: &str = "http://evil.example";

fn allowed(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(ACCESS_CONTROL_ALLOW_ORIGIN)
        .and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_configured_origin_may_read_answers() {
    let stack = TestStack::start_with_gateway(script(), |cfg| {
        cfg.cors_origins = vec![format!("{UI}/")];
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = stack.api.url("/api/sessions");
    let token = &stack.api.token;

    let ok = http
        .get(&url)
        .bearer_auth(token)
        .header("Origin", UI)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        allowed(ok.headers()),
        Some(UI),
        "the trailing slash is ignored"
    );

    let other = http
        .get(&url)
        .bearer_auth(token)
        .header("Origin", EVIL)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed(other.headers()), None);

    // The browser's preflight of a POST with our headers, answered before authentication.
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, &url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type,idempotency-key,last-event-id",
            )
            .send()
    };
    let pre = preflight(UI).await.unwrap();
    assert!(pre.status().is_success(), "{}", pre.status());
    assert_eq!(allowed(pre.headers()), Some(UI));
    let methods = pre.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let headers = pre.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(headers.contains("idempotency-key"), "{headers}");
    assert!(headers.contains("last-event-id"), "{headers}");
    let pre = preflight(EVIL).await.unwrap();
    assert_eq!(allowed(pre.headers()), None);
}
