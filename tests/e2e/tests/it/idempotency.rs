//! `Idempotency-Key` on POST: replay of the first answer, conflicts, validation, records that
//! outlive a gateway restart, answers after a failure (kept when the request may have run,
//! released when nothing ran), and the session service's begin/complete semantics on the bus.

use std::time::Duration;

use cm_e2e::{Service, TestStack, collect_until};
use cm_schemas::commands::verb;
use cm_schemas::idempotency::{
    BeginIdempotent, BeginOutcome, CompleteIdempotent, CompleteOutcome, StoredResponse,
};
use cm_schemas::subjects::{self, prefix};
use cm_schemas::{BusError, ErrorCode, EventBody};
use reqwest::header::HeaderValue;
use serde_json::{Value, json};

use crate::script;

struct Answer {
    status: u16,
    replayed: bool,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

async fn post_keyed(stack: &TestStack, path: &str, key: HeaderValue, body: &Value) -> Answer {
    let resp = reqwest::Client::new()
        .post(stack.api.url(path))
        .bearer_auth(&stack.api.token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let replayed = resp
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    Answer {
        status,
        replayed,
        text: resp.text().await.unwrap(),
    }
}

fn key(k: &str) -> HeaderValue {
    HeaderValue::from_str(k).unwrap()
}

async fn session_count(stack: &TestStack) -> usize {
    let page = stack.api.get("/api/sessions?limit=100").await.unwrap();
    page["sessions"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_post_replays_its_first_answer_and_runs_once() {
    let mut stack = TestStack::start(script()).await.unwrap();
    let create = json!({ "title": "idem", "cwd": "/tmp" });

    // Create: the second call replays the first answer and creates nothing.
    let first = post_keyed(&stack, "/api/sessions", key("create-1"), &create).await;
    assert_eq!(
        (first.status, first.replayed),
        (201, false),
        "{}",
        first.text
    );
    let again = post_keyed(&stack, "/api/sessions", key("create-1"), &create).await;
    assert_eq!(
        (again.status, again.replayed),
        (201, true),
        "{}",
        again.text
    );
    assert_eq!(again.text, first.text);
    // Key order and whitespace do not make a different request.
    let reordered = json!({ "cwd": "/tmp", "title": "idem" });
    let third = post_keyed(&stack, "/api/sessions", key("create-1"), &reordered).await;
    assert_eq!((third.status, third.replayed), (201, true));
    assert_eq!(session_count(&stack).await, 1);
    let sid = first.json()["id"].as_str().unwrap().to_owned();

    // A different request under the same key is refused.
    let other = json!({ "title": "other" });
    let conflict = post_keyed(&stack, "/api/sessions", key("create-1"), &other).await;
    assert_eq!(conflict.status, 409, "{}", conflict.text);
    let body = conflict.json();
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(body["error"]["details"]["inProgress"], false);
    assert_eq!(session_count(&stack).await, 1);

    // Send a message twice under one key: one turn.
    let mut events = stack.api.events(&sid, None).await.unwrap();
    let path = format!("/api/sessions/{sid}/messages");
    let msg = json!({ "text": "Say hello" });
    let sent = post_keyed(&stack, &path, key("msg-1"), &msg).await;
    assert_eq!((sent.status, sent.replayed), (202, false), "{}", sent.text);
    let resent = post_keyed(&stack, &path, key("msg-1"), &msg).await;
    assert_eq!((resent.status, resent.replayed), (202, true));
    assert_eq!(resent.text, sent.text);
    let evs = collect_until(&mut events, Duration::from_secs(30), |e| {
        matches!(e.event.body, EventBody::TurnCompleted { .. })
    })
    .await
    .unwrap();
    // The snapshot has applied the turn's end; a second turn would already be recorded.
    crate::turn::wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;
    let snapshot = stack
        .api
        .get(&format!("/api/sessions/{sid}"))
        .await
        .unwrap();
    let turns = snapshot["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1, "{snapshot}");
    assert_eq!(turns[0]["id"], sent.json()["turnId"]);

    // 4xx answers are stored too.
    let missing = "/api/sessions/does-not-exist/messages";
    let nf = post_keyed(&stack, missing, key("nf-1"), &msg).await;
    assert_eq!((nf.status, nf.replayed), (404, false));
    let nf2 = post_keyed(&stack, missing, key("nf-1"), &msg).await;
    assert_eq!((nf2.status, nf2.replayed), (404, true));
    assert_eq!(nf2.json()["error"]["code"], "not_found");

    // Bad keys are a validation error naming the header.
    let long = "k".repeat(256);
    for bad in [
        HeaderValue::from_static(""),
        key("has space"),
        key(&long),
        HeaderValue::from_bytes("clé".as_bytes()).unwrap(),
    ] {
        let a = post_keyed(&stack, "/api/sessions", bad.clone(), &create).await;
        assert_eq!(a.status, 400, "{bad:?}: {}", a.text);
        assert_eq!(a.json()["error"]["code"], "validation");
        assert_eq!(a.json()["error"]["details"]["field"], "Idempotency-Key");
    }
    assert!(
        post_keyed(&stack, "/api/sessions", key(&long[1..]), &create)
            .await
            .status
            < 300
    );
    assert_eq!(session_count(&stack).await, 2);

    // The records are in Postgres: a restarted gateway still replays.
    stack.restart_service(Service::Gateway).await.unwrap();
    let after = post_keyed(&stack, "/api/sessions", key("create-1"), &create).await;
    assert_eq!((after.status, after.replayed), (201, true));
    assert_eq!(after.text, first.text);
    let resent = post_keyed(&stack, &path, key("msg-1"), &msg).await;
    assert_eq!((resent.status, resent.text), (202, sent.text));
    assert_eq!(session_count(&stack).await, 2);
}

/// Lines of `file` (0 while it does not exist).
fn lines(file: &std::path::Path, word: &str) -> usize {
    std::fs::read_to_string(file)
        .map(|t| t.lines().filter(|l| *l == word).count())
        .unwrap_or(0)
}

async fn wait_lines(file: &std::path::Path, word: &'static str, n: usize) {
    let file = file.to_owned();
    cm_test_support::wait_for("marker lines", Duration::from_secs(30), move || {
        let file = file.clone();
        async move {
            let seen = lines(&file, word);
            anyhow::ensure!(seen >= n, "{seen} {word} lines, want {n}");
            Ok(())
        }
    })
    .await
    .unwrap();
}

/// A request that ran but whose answer was a failure (here the gateway's time-out while the
/// runtime still runs the command) keeps its key: a retry while it runs is `409` in progress,
/// one after it is the stored `504`, replayed, and the command never runs twice. An answer that
/// says nothing ran (`503`, the runtime bridge is stopped) releases the key.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_whose_request_may_have_run_is_never_released() {
    let stack = TestStack::start_with_gateway(script(), |cfg| {
        cfg.request_timeout = Duration::from_secs(3);
    })
    .await
    .unwrap();
    let marker = stack.workdir.path().join("runs");
    let script = format!(
        "echo ran >> {m}; sleep 5; echo done >> {m}",
        m = marker.display()
    );
    let exec = json!({
        "command": ["sh", "-c", script],
        "cwd": stack.workdir.path(),
        "sandboxPolicy": { "type": "dangerFullAccess" },
    });

    let stack = std::sync::Arc::new(stack);
    let first = {
        let (stack, exec) = (stack.clone(), exec.clone());
        tokio::spawn(
            async move { post_keyed(&stack, "/api/command/exec", key("slow-1"), &exec).await },
        )
    };
    wait_lines(&marker, "ran", 1).await;
    // While it runs: in progress, at once.
    let busy = post_keyed(&stack, "/api/command/exec", key("slow-1"), &exec).await;
    assert_eq!(busy.status, 409, "{}", busy.text);
    assert_eq!(busy.json()["error"]["details"]["inProgress"], true);
    let first = first.await.unwrap();
    assert_eq!(
        (first.status, first.replayed),
        (504, false),
        "{}",
        first.text
    );
    assert_eq!(first.json()["error"]["code"], "timeout");
    // After it: the stored 504, replayed; nothing runs again.
    let retry = post_keyed(&stack, "/api/command/exec", key("slow-1"), &exec).await;
    assert_eq!(
        (retry.status, retry.replayed),
        (504, true),
        "{}",
        retry.text
    );
    assert_eq!(retry.text, first.text);
    wait_lines(&marker, "done", 1).await;
    assert_eq!(lines(&marker, "ran"), 1, "the command ran once");

    // Nothing ran: the bridge is stopped, the answer is 503 and the key is free again.
    let mut stack = std::sync::Arc::into_inner(stack).unwrap();
    stack.stop_service(Service::RuntimeBridge).await.unwrap();
    let quick = json!({ "command": ["echo", "hi"] });
    let down = post_keyed(&stack, "/api/command/exec", key("quick-1"), &quick).await;
    assert_eq!((down.status, down.replayed), (503, false), "{}", down.text);
    stack.start_service(Service::RuntimeBridge).await.unwrap();
    stack.wait_ready().await.unwrap();
    let up = post_keyed(&stack, "/api/command/exec", key("quick-1"), &quick).await;
    assert_eq!((up.status, up.replayed), (200, false), "{}", up.text);
    assert_eq!(up.json()["stdout"], "hi\n");
    let again = post_keyed(&stack, "/api/command/exec", key("quick-1"), &quick).await;
    assert_eq!((again.status, again.replayed), (200, true));
}

async fn begin(
    bus: &cm_bus::Bus,
    key: &str,
    hash: char,
    lease: Option<u32>,
) -> Result<BeginOutcome, BusError> {
    let req = BeginIdempotent {
        scope: "test".into(),
        key: key.into(),
        request_hash: hash.to_string().repeat(64),
        method: "POST".into(),
        path: "/api/x".into(),
        ttl_secs: None,
        lease_secs: lease,
    };
    let subject = subjects::command(prefix::SESSION, verb::IDEMPOTENCY_BEGIN);
    bus.request(&subject, &req, Duration::from_secs(10)).await
}

async fn complete(
    bus: &cm_bus::Bus,
    key: &str,
    reservation: &str,
    response: Option<StoredResponse>,
) -> bool {
    let req = CompleteIdempotent {
        scope: "test".into(),
        key: key.into(),
        reservation: reservation.into(),
        response,
    };
    let subject = subjects::command(prefix::SESSION, verb::IDEMPOTENCY_COMPLETE);
    let done: CompleteOutcome = bus
        .request(&subject, &req, Duration::from_secs(10))
        .await
        .unwrap();
    done.applied
}

fn reservation(o: Result<BeginOutcome, BusError>) -> String {
    match o {
        Ok(BeginOutcome::Proceed { reservation }) => reservation,
        other => panic!("expected proceed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_service_reserves_stores_releases_and_takes_over_keys() {
    let stack = TestStack::start(script()).await.unwrap();
    let bus = stack.bus().await.unwrap();

    // While the first request runs, the key is in progress.
    let r1 = reservation(begin(&bus, "k1", 'a', None).await);
    let busy = begin(&bus, "k1", 'a', None).await.unwrap_err();
    assert_eq!(busy.code, ErrorCode::Conflict);
    assert_eq!(busy.details["inProgress"], true);
    let other = begin(&bus, "k1", 'b', None).await.unwrap_err();
    assert_eq!(other.details["inProgress"], false);

    // Completed: replayed exactly.
    let stored = StoredResponse {
        status: 201,
        content_type: Some("application/json".into()),
        body: r#"{"id":"x"}"#.into(),
    };
    assert!(complete(&bus, "k1", &r1, Some(stored.clone())).await);
    assert!(
        !complete(&bus, "k1", &r1, None).await,
        "completed records are not released"
    );
    match begin(&bus, "k1", 'a', None).await.unwrap() {
        BeginOutcome::Replay { response } => assert_eq!(response, stored),
        other => panic!("expected replay, got {other:?}"),
    }

    // Released (a 5xx): the key is free again.
    let r2 = reservation(begin(&bus, "k2", 'a', None).await);
    assert!(complete(&bus, "k2", &r2, None).await);
    let r3 = reservation(begin(&bus, "k2", 'a', None).await);

    // An abandoned reservation is taken over by the same request after its lease, and the
    // first holder can no longer complete it.
    let r4 = reservation(begin(&bus, "k3", 'a', Some(1)).await);
    // The lease running out is what is tested here, so this waits it out.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(begin(&bus, "k3", 'b', None).await.is_err());
    let r5 = reservation(begin(&bus, "k3", 'a', None).await);
    assert_ne!(r4, r5);
    assert!(!complete(&bus, "k3", &r4, Some(stored.clone())).await);
    assert!(complete(&bus, "k3", &r5, Some(stored)).await);
    assert!(complete(&bus, "k2", &r3, None).await);

    // Invalid requests are validation errors.
    let bad = begin(&bus, "with space", 'a', None).await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::Validation);
}
