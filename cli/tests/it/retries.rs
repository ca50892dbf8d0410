//! Retries: what the API answers "not now" is repeated with the same Idempotency-Key, so a POST
//! whose answer was lost runs once; what may have run is not repeated.
//!
//! A fault-injecting proxy stands between the CLI and the real gateway: it answers or cuts
//! the next requests as scripted and forwards the rest.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use cm_e2e::TestStack;
use serde_json::{Value, json};

use crate::cm::Cm;

/// What the proxy does with one request.
enum Fault {
    /// Answers this status and error code without asking the gateway.
    Answer(u16, &'static str, Value),
    /// Forwards, then cuts the connection before the answer's body: the command ran, and the
    /// client never learnt how.
    LoseAnswer,
}

/// One request as the proxy saw it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    path: String,
    key: Option<String>,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    /// Starts on a free loopback port; returns its base URL.
    async fn start(upstream: &str) -> (Self, String) {
        let proxy = Self {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            faults: Arc::default(),
            seen: Arc::default(),
        };
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(proxy.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (proxy, base)
    }

    fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        let mut queue = self.faults.lock().unwrap();
        queue.clear();
        queue.extend(faults);
        self.seen.lock().unwrap().clear();
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn unavailable() -> Fault {
    Fault::Answer(503, "unavailable", json!({ "dependency": "session" }))
}

async fn forward(State(proxy): State<Proxy>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    proxy.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        key: parts
            .headers
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap().to_owned()),
    });
    let fault = proxy.faults.lock().unwrap().pop_front();
    if let Some(Fault::Answer(status, code, details)) = &fault {
        let body = json!({ "error": { "code": code, "message": "injected", "details": details } });
        let status = axum::http::StatusCode::from_u16(*status).unwrap();
        return (status, axum::Json(body)).into_response();
    }
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut headers = parts.headers.clone();
    headers.remove(axum::http::header::HOST);
    let upstream = proxy
        .http
        .request(parts.method, format!("{}{path}", proxy.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = upstream.status();
    let bytes = upstream.bytes().await.unwrap();
    if matches!(fault, Some(Fault::LoseAnswer)) {
        // A chunked body that fails: hyper aborts the connection mid-answer.
        let cut = futures::stream::once(async {
            Err::<Bytes, _>(std::io::Error::other("connection cut by the test"))
        });
        return (status, Body::from_stream(cut)).into_response();
    }
    (status, bytes).into_response()
}

/// A stack, the proxy in front of it, and the CLI pointed at the proxy.
async fn proxied() -> (TestStack, Proxy, Cm) {
    let stack = TestStack::start(cm_mock_model::Script::text("ok"))
        .await
        .unwrap();
    let (proxy, base) = Proxy::start(&stack.api.base).await;
    let cm = Cm::against(&stack).with_url(&base);
    (stack, proxy, cm)
}

#[tokio::test(flavor = "multi_thread")]
async fn what_says_not_now_is_retried_with_one_key_and_a_post_runs_once() {
    let (stack, proxy, cm) = proxied().await;

    // Dependency down, then still in progress, then the command runs and its answer is lost:
    // the fourth attempt gets the stored answer replayed.
    let in_progress = Fault::Answer(409, "conflict", json!({ "inProgress": true }));
    proxy.script([unavailable(), in_progress, Fault::LoseAnswer]);
    let out = cm.run(&["projects", "create", "retried"]).await;
    assert!(out.ok().stdout.contains("retried"), "{}", out.stdout);
    let seen = proxy.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen.iter().all(|s| s == &seen[0]), "{seen:?}");
    assert!(seen[0].key.is_some(), "{seen:?}");
    // Human notes on stderr, one per retry, saying why.
    let notes: Vec<_> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("note:"))
        .collect();
    assert_eq!(notes.len(), 3, "{}", out.stderr);
    assert!(notes[0].contains("unavailable"), "{}", out.stderr);
    // It ran once.
    let projects = stack.api.get("/api/projects").await.unwrap();
    let named: Vec<_> = projects["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "retried")
        .collect();
    assert_eq!(named.len(), 1, "{projects}");
    let id = named[0]["id"].as_str().unwrap();
    assert!(out.stdout.contains(id), "{}", out.stdout);

    // Reads are retried too, without a key.
    proxy.script([Fault::Answer(429, "rate_limited", json!({}))]);
    cm.run(&["projects", "list", "--json"]).await.ok();
    let seen = proxy.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((seen[0].method.as_str(), &seen[0].key), ("GET", &None));
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_stop_at_the_limit_and_what_may_have_run_is_not_repeated() {
    let (_stack, proxy, cm) = proxied().await;

    // `--retries 0`: one attempt, the server class.
    proxy.script([unavailable()]);
    let out = cm
        .run(&["--retries", "0", "projects", "create", "once"])
        .await;
    out.code(6);
    assert_eq!(proxy.seen().len(), 1);

    // The limit spent: the last answer is the error. `--json` keeps stderr one report.
    proxy.script([unavailable(), unavailable(), unavailable()]);
    let out = cm
        .run(&["--json", "--retries", "2", "projects", "create", "spent"])
        .await;
    let report = out.code(6).error_json();
    assert_eq!(report["error"]["code"], "unavailable");
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert_eq!(proxy.seen().len(), 3);

    // A time-out or an internal error may have run the command: not repeated.
    for (status, code) in [(504, "timeout"), (500, "internal")] {
        proxy.script([Fault::Answer(status, code, json!({}))]);
        let out = cm.run(&["projects", "create", "maybe"]).await;
        out.code(6);
        assert_eq!(proxy.seen().len(), 1, "{status}");
    }
    // A conflict that is not "in progress" is final.
    proxy.script([Fault::Answer(409, "conflict", json!({ "field": "name" }))]);
    cm.run(&["projects", "create", "taken"]).await.code(5);
    assert_eq!(proxy.seen().len(), 1);
}
