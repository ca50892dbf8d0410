//! Durable jobs over HTTP (`/api/jobs`) on the real stack: a noop runs to `completed` and its
//! `job.*` events stream on `/api/events?scope=job`; dedupe keys answer the running job (`200`);
//! bad specs are `400` naming the field; a queued job cancels at once; `Idempotency-Key`
//! replays; a full queue is `429` with `Retry-After` from `details.retryAfterSecs`.

use std::time::Duration;

use cm_e2e::{TestStack, collect_until, kinds};
use cm_schemas::EventBody;
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};

use crate::script;

/// `runAfter` an hour from now: the job stays `queued`.
fn later() -> String {
    (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339()
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    replayed: bool,
    body: Value,
}

async fn post(stack: &TestStack, path: &str, key: Option<&str>, body: &Value) -> Answer {
    let mut req = reqwest::Client::new()
        .post(stack.api.url(path))
        .bearer_auth(&stack.api.token)
        .json(body);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let resp = req.send().await.unwrap();
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (retry_after, replayed) = (header(RETRY_AFTER.as_str()), header("idempotent-replayed"));
    Answer {
        status: resp.status().as_u16(),
        retry_after,
        replayed: replayed.as_deref() == Some("true"),
        body: resp.json().await.unwrap_or(Value::Null),
    }
}

async fn enqueue(stack: &TestStack, body: Value) -> Answer {
    post(stack, "/api/jobs", None, &body).await
}

/// Reads the job until it is in `state`.
async fn wait_state(stack: &TestStack, id: &str, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let job = stack.api.get(&format!("/api/jobs/{id}")).await.unwrap();
        if job["state"] == state {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job {id} never reached {state}: {job}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn field(a: &Answer) -> (&str, &str) {
    (
        a.body["error"]["code"].as_str().unwrap_or_default(),
        a.body["error"]["details"]["field"]
            .as_str()
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn jobs_run_dedupe_cancel_and_replay_over_http() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;

    // A noop runs to completed; its events are on the job stream.
    let a = enqueue(&stack, json!({"spec": {"kind": "noop", "sleepMs": 50}})).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["deduplicated"], false);
    assert_eq!(a.body["job"]["kind"], "noop");
    let id = a.body["job"]["id"].as_str().unwrap().to_owned();
    let done = wait_state(&stack, &id, "completed").await;
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["result"]["jobId"], id.as_str());
    assert!(done["finishedAt"].is_string());
    let path = format!("/api/events?scope=job&scopeId={id}&after=0");
    let mut events = api.stream(&path, None).await.unwrap();
    let evs = collect_until(&mut events, Duration::from_secs(20), |e| {
        matches!(e.event.body, EventBody::JobCompleted { .. })
    })
    .await
    .unwrap();
    assert_eq!(kinds(&evs), ["job.queued", "job.started", "job.completed"]);
    // Every job's events, on the scope's stream.
    let mut all = api
        .stream("/api/events?scope=job&after=0", None)
        .await
        .unwrap();
    let first = collect_until(&mut all, Duration::from_secs(20), |_| true)
        .await
        .unwrap();
    assert_eq!(kinds(&first), ["job.queued"]);

    // Single flight: the same dedupe key answers the queued job (200), nothing enqueued.
    let held = json!({"spec": {"kind": "noop"}, "dedupeKey": "nightly", "runAfter": later()});
    let a = enqueue(&stack, held.clone()).await;
    assert_eq!((a.status, &a.body["deduplicated"]), (201, &json!(false)));
    let queued = a.body["job"]["id"].as_str().unwrap().to_owned();
    let b = enqueue(
        &stack,
        json!({"spec": {"kind": "noop", "sleepMs": 1}, "dedupeKey": "nightly"}),
    )
    .await;
    assert_eq!(b.status, 200, "{}", b.body);
    assert_eq!(b.body["deduplicated"], true);
    assert_eq!(b.body["job"]["id"], queued.as_str());

    // A queued job cancels at once; its key is free again.
    let c = post(
        &stack,
        &format!("/api/jobs/{queued}/cancel"),
        None,
        &json!(null),
    )
    .await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["state"], "canceled");
    assert_eq!(
        api.get(&format!("/api/jobs/{queued}")).await.unwrap()["state"],
        "canceled"
    );
    let again = enqueue(&stack, held).await;
    assert_eq!(again.status, 201);
    assert_ne!(again.body["job"]["id"], queued.as_str());
    let second = again.body["job"]["id"].as_str().unwrap().to_owned();
    let c = post(
        &stack,
        &format!("/api/jobs/{second}/cancel"),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(c.body["state"], "canceled", "{}", c.body);

    // Invalid specs and fields: 400 validation naming the field, nothing enqueued.
    for (body, want) in [
        (json!({"spec": {"kind": "reindex"}}), "spec.kind"),
        (json!({"spec": {}}), "spec.kind"),
        (json!({"spec": {"kind": "noop", "slep": 1}}), "spec"),
        (
            json!({"spec": {"kind": "noop", "version": 9}}),
            "spec.version",
        ),
        (
            json!({"spec": {"kind": "noop"}, "maxAttempts": 0}),
            "maxAttempts",
        ),
        (
            json!({"spec": {"kind": "noop"}, "timeoutMs": 0}),
            "timeoutMs",
        ),
        (
            json!({"spec": {"kind": "noop"}, "projectId": "a b"}),
            "projectId",
        ),
        (
            json!({"spec": {"kind": "noop"}, "priority": "urgent"}),
            "body",
        ),
        (json!({"priority": "background"}), "body"),
    ] {
        let a = enqueue(&stack, body.clone()).await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        assert_eq!(field(&a), ("validation", want), "{body}: {}", a.body);
    }

    // Idempotency-Key: the same request replays the first answer; another body is 409.
    let body = json!({"spec": {"kind": "noop"}, "runAfter": later()});
    let first = post(&stack, "/api/jobs", Some("job-enqueue-1"), &body).await;
    assert_eq!(
        (first.status, first.replayed),
        (201, false),
        "{}",
        first.body
    );
    let replay = post(&stack, "/api/jobs", Some("job-enqueue-1"), &body).await;
    assert_eq!((replay.status, replay.replayed), (201, true));
    assert_eq!(replay.body, first.body);
    let other = post(
        &stack,
        "/api/jobs",
        Some("job-enqueue-1"),
        &json!({"spec": {"kind": "noop"}}),
    )
    .await;
    assert_eq!(other.status, 409, "{}", other.body);
    let keyed = first.body["job"]["id"].as_str().unwrap().to_owned();
    let cancel = format!("/api/jobs/{keyed}/cancel");
    let c1 = post(&stack, &cancel, Some("job-cancel-1"), &json!({})).await;
    let c2 = post(&stack, &cancel, Some("job-cancel-1"), &json!({})).await;
    assert_eq!((c1.status, c2.status, c2.replayed), (200, 200, true));
    assert_eq!(c1.body, c2.body);

    // The list: newest first, filtered, a page at a time.
    let page = api.get("/api/jobs?state=canceled").await.unwrap();
    let ids: Vec<&str> = page["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["id"].as_str())
        .collect();
    assert_eq!(ids, [keyed.as_str(), second.as_str(), queued.as_str()]);
    let page = api.get("/api/jobs?kind=noop&limit=2").await.unwrap();
    assert_eq!(page["jobs"].as_array().map(Vec::len), Some(2));
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    let rest = api
        .get(&format!("/api/jobs?kind=noop&limit=200&cursor={cursor}"))
        .await
        .unwrap();
    let rest: Vec<&str> = rest["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["id"].as_str())
        .collect();
    assert_eq!(rest, [queued.as_str(), id.as_str()]);
    let none = api.get("/api/jobs?kind=reindex").await.unwrap();
    assert_eq!(none["jobs"], json!([]));
    let mine = api.get("/api/jobs?projectId=nobody").await.unwrap();
    assert_eq!(mine["jobs"], json!([]));
    for (query, want) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=junk", "cursor"),
        ("kind=No%20op", "kind"),
        ("projectId=a%20b", "projectId"),
        ("state=bogus", "query"),
    ] {
        let (status, body) = api.get_raw(&format!("/api/jobs?{query}")).await.unwrap();
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["details"]["field"], want, "{query}: {body}");
    }

    // Unknown jobs: 404, whether the id is a UUID or not.
    for bad in ["0193b0c3-8e21-7b4d-9a6f-1c2d3e4f5a6b", "not-a-job"] {
        let (status, body) = api.get_raw(&format!("/api/jobs/{bad}")).await.unwrap();
        assert_eq!(
            (status, &body["error"]["code"]),
            (404, &json!("not_found")),
            "{body}"
        );
        let c = post(&stack, &format!("/api/jobs/{bad}/cancel"), None, &json!({})).await;
        assert_eq!(c.status, 404, "{}", c.body);
    }
}

#[tokio::test]
async fn a_full_queue_answers_429_with_its_retry_after() {
    let mut stack = TestStack::start(script()).await.unwrap();
    stack
        .configure_queue_worker(|cfg| {
            cfg.engine.max_active_per_project = 2;
            cfg.engine.queue_full_retry_after = Duration::from_secs(7);
        })
        .await
        .unwrap();
    let project = "0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d";
    let held = json!({"spec": {"kind": "noop"}, "projectId": project, "runAfter": later()});
    let mut ids = Vec::new();
    for _ in 0..2 {
        let a = enqueue(&stack, held.clone()).await;
        assert_eq!(a.status, 201, "{}", a.body);
        ids.push(a.body["job"]["id"].as_str().unwrap().to_owned());
    }
    let full = post(&stack, "/api/jobs", Some("full-1"), &held).await;
    assert_eq!(full.status, 429, "{}", full.body);
    assert_eq!(full.retry_after.as_deref(), Some("7"));
    let details = &full.body["error"]["details"];
    assert_eq!(full.body["error"]["code"], "rate_limited");
    assert_eq!(
        (
            &details["reason"],
            &details["scope"],
            &details["limit"],
            &details["retryAfterSecs"]
        ),
        (
            &json!("queue_full"),
            &json!("project"),
            &json!(2),
            &json!(7)
        )
    );
    // Other projects' and unassigned jobs still go in.
    let free = enqueue(&stack, json!({"spec": {"kind": "noop"}})).await;
    assert_eq!(free.status, 201, "{}", free.body);
    // A 429 ran nothing: its key is free for the retry once a slot frees up.
    let c = post(
        &stack,
        &format!("/api/jobs/{}/cancel", ids[0]),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(c.body["state"], "canceled");
    let retry = post(&stack, "/api/jobs", Some("full-1"), &held).await;
    assert_eq!(
        (retry.status, retry.replayed),
        (201, false),
        "{}",
        retry.body
    );
}
