//! The runtime's output and the clients' paths cannot break the stack (issue #11): an over-long
//! line from app-server, a NUL byte in a command's output, and paths that must not reach the
//! runtime.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use cm_e2e::TestStack;
use cm_mock_model::Script;
use cm_schemas::event::TurnStatus;
use cm_schemas::{Event, EventBody, Scope, subjects};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::runtime_script::{is_turn_end, until};
use crate::turn::wait_for_seq;

/// 64 MiB: four times the bridge's default line bound.
const HUGE: usize = 64 * 1024 * 1024;
/// 20 MiB of stderr: over the bound too.
const HUGE_STDERR: usize = 20 * 1024 * 1024;

/// A codex "binary" that first writes one over-long line to stdout and one to stderr, then a
/// notification with a byte that is not UTF-8 and an escaped NUL in a key and a value, then
/// `exec`s the real `codex` with the same arguments.
fn noisy_codex(dir: &std::path::Path) -> std::path::PathBuf {
    let real = cm_test_support::codex_bin().expect("codex binary: run scripts/install-deps.sh");
    let path = dir.join("noisy-codex");
    let lossy =
        r#"printf '{"method":"cm/lossy","params":{"text":"a\377b","k\\u0000":"c\\u0000d"}}\n'"#;
    let script = format!(
        "#!/bin/sh\n\
         head -c {HUGE} /dev/zero | tr '\\0' a; echo\n\
         head -c {HUGE_STDERR} /dev/zero | tr '\\0' b >&2; echo >&2\n\
         {lossy}\n\
         exec '{}' \"$@\"\n",
        real.display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The first `n` runtime-scoped `runtime.error` events of `bridge-1`, read from `CM_EVENTS`.
async fn runtime_errors(stack: &TestStack, n: usize) -> Vec<Event> {
    use async_nats::jetstream::consumer::pull::OrderedConfig;
    let bus = stack.bus().await.unwrap();
    let stream = bus
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await
        .unwrap();
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: subjects::event(Scope::Runtime, "bridge-1", "runtime.error"),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut msgs = consumer.messages().await.unwrap();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while out.len() < n {
        let msg = tokio::time::timeout_at(deadline, msgs.next())
            .await
            .unwrap_or_else(|_| panic!("only {} runtime.error events: {out:?}", out.len()))
            .unwrap()
            .unwrap();
        out.push(serde_json::from_slice(&msg.payload).unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn an_over_long_runtime_line_is_skipped_recorded_and_the_bridge_reads_on() {
    let bin_dir = tempfile::tempdir().unwrap();
    let noisy = noisy_codex(bin_dir.path());
    let stack = TestStack::start_with(crate::script(), move |cfg| {
        cfg.spawn.bin = noisy.clone();
    })
    .await
    .unwrap();
    let api = &stack.api;

    // The same process is still up: the skipped lines did not cost a restart.
    let status = runtime_status(&stack).await;
    assert_eq!(status["restarts"], 0, "{status}");

    // A turn runs normally after them.
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    api.send(&sid, "hello").await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    match &evs.last().unwrap().event.body {
        EventBody::TurnCompleted { status, .. } => assert_eq!(*status, TurnStatus::Completed),
        other => panic!("{other:?}"),
    }

    // Both lines were recorded, runtime-scoped (they name no thread).
    let errors = runtime_errors(&stack, 2).await;
    let mut seen: Vec<(String, u64)> = errors
        .iter()
        .map(|e| match &e.body {
            EventBody::RuntimeError { error, message, .. } => {
                assert_eq!(error["code"], "line_too_long", "{error}");
                assert_eq!(error["limit"], 16 * 1024 * 1024);
                assert!(message.contains("skipped"), "{message}");
                (
                    error["stream"].as_str().unwrap().to_owned(),
                    error["bytes"].as_u64().unwrap(),
                )
            }
            other => panic!("{other:?}"),
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("stderr".to_owned(), HUGE_STDERR as u64),
            ("stdout".to_owned(), HUGE as u64)
        ]
    );
    let status = runtime_status(&stack).await;
    assert_eq!(status["restarts"], 0, "{status}");

    // The line with a byte that is not UTF-8 was decoded lossily, not dropped, and its NULs
    // (escaped in the JSON) were replaced like any other.
    let lossy = runtime_events(&stack, "runtime.notification", |e| {
        matches!(&e.body, EventBody::RuntimeNotification { method, .. } if method == "cm/lossy")
    })
    .await;
    match &lossy.body {
        EventBody::RuntimeNotification { params, .. } => {
            assert_eq!(
                params,
                &json!({ "text": "a\u{FFFD}b", "k\u{FFFD}": "c\u{FFFD}d" })
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The first runtime-scoped event of `bridge-1` of `kind` that `matches`, from `CM_EVENTS`.
async fn runtime_events(stack: &TestStack, kind: &str, matches: impl Fn(&Event) -> bool) -> Event {
    use async_nats::jetstream::consumer::pull::OrderedConfig;
    let bus = stack.bus().await.unwrap();
    let stream = bus
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await
        .unwrap();
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: subjects::event(Scope::Runtime, "bridge-1", kind),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut msgs = consumer.messages().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let msg = tokio::time::timeout_at(deadline, msgs.next())
            .await
            .unwrap_or_else(|_| panic!("no matching {kind} event"))
            .unwrap()
            .unwrap();
        let event: Event = serde_json::from_slice(&msg.payload).unwrap();
        if matches(&event) {
            return event;
        }
    }
}

/// The bridge's status as `GET /api/ready` reports it.
async fn runtime_status(stack: &TestStack) -> Value {
    let ready = stack.api.get("/api/ready").await.unwrap();
    ready["checks"]["runtime"]["status"].clone()
}

fn nul_script() -> Script {
    Script::from_value(json!({
        "rules": [
            { "name": "nul", "match": { "contains": "PRINT_NUL" }, "steps": [
                { "type": "function_call", "name": "exec_command",
                  "arguments": { "cmd": "printf 'a\\0b'", "login": false } },
                { "type": "message", "text": "It printed: {{tool_output}}" } ] },
            { "name": "default", "steps": [ { "type": "message", "text": "ok" } ] }
        ]
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_byte_in_command_output_is_stored_as_the_replacement_character() {
    let stack = TestStack::start(nul_script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    api.send(&sid, "PRINT_NUL").await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    match &evs.last().unwrap().event.body {
        EventBody::TurnCompleted { status, .. } => assert_eq!(*status, TurnStatus::Completed),
        other => panic!("{other:?}"),
    }
    // The live stream carries no U+0000, and the command's output with U+FFFD.
    let live = serde_json::to_string(&evs).unwrap();
    assert!(!live.contains("\\u0000"), "a NUL reached the stream");
    let command = evs
        .iter()
        .find_map(|e| match &e.event.body {
            EventBody::ItemCompleted {
                item_type, item, ..
            } if item_type == "commandExecution" => Some(item.clone()),
            _ => None,
        })
        .expect("a completed command");
    assert_eq!(command["aggregatedOutput"], "a\u{FFFD}b", "{command}");

    // The snapshot agrees: it reached the last event and holds the same text.
    let snap = wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;
    assert_eq!(snap["turns"][0]["status"], "completed", "{snap}");
    let stored = snap.to_string();
    assert!(stored.contains("a\u{FFFD}b"), "{stored}");
    assert!(!stored.contains("\\u0000"));

    // Persistence goes on for everyone: a session created afterwards gets its events applied.
    let second = api.create_session().await.unwrap();
    let mut events = api.events(&second, None).await.unwrap();
    api.send(&second, "hello").await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    let snap = wait_for_seq(&stack, &second, evs.last().unwrap().seq).await;
    assert!(snap["seq"].as_u64().unwrap() > 0, "{snap}");
    assert_eq!(snap["turns"][0]["status"], "completed", "{snap}");
}

/// `(status, error code, details.field)` of an answer.
fn refusal(answer: &(u16, Value)) -> (u16, &str, &str) {
    let err = &answer.1["error"];
    (
        answer.0,
        err["code"].as_str().unwrap_or_default(),
        err["details"]["field"].as_str().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn client_paths_are_checked_before_they_reach_the_runtime() {
    let stack = TestStack::start(crate::script()).await.unwrap();
    let api = &stack.api;
    let workdir = stack.workdir.path().to_str().unwrap().to_owned();

    // Session create: `..`, NUL, a missing directory, an over-long path.
    for cwd in [
        format!("{workdir}/../etc"),
        format!("{workdir}/a\u{0}b"),
        format!("{workdir}/does-not-exist"),
        format!("/{}", "a".repeat(5000)),
    ] {
        let answer = api
            .post_raw("/api/sessions", &json!({ "title": "t", "cwd": cwd }))
            .await
            .unwrap();
        assert_eq!(
            refusal(&answer),
            (400, "validation", "cwd"),
            "{cwd:?}: {answer:?}"
        );
        assert!(
            answer.1["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("cwd "),
            "{answer:?}"
        );
    }
    // A good one is normalized.
    let created = api
        .post(
            "/api/sessions",
            json!({ "title": "t", "cwd": format!("{workdir}/./") }),
        )
        .await
        .unwrap();
    assert_eq!(created["cwd"], workdir.as_str(), "{created}");
    let sid = created["id"].as_str().unwrap().to_owned();

    // A turn's cwd override.
    let path = format!("/api/sessions/{sid}/messages");
    let answer = api
        .post_raw(
            &path,
            &json!({ "text": "hi", "overrides": { "cwd": format!("{workdir}/../..") } }),
        )
        .await
        .unwrap();
    assert_eq!(refusal(&answer), (400, "validation", "cwd"), "{answer:?}");
    // The session still works, with a good override.
    let mut events = api.events(&sid, None).await.unwrap();
    api.post(
        &path,
        json!({ "text": "hi", "overrides": { "cwd": workdir } }),
    )
    .await
    .unwrap();
    let evs = until(&mut events, is_turn_end).await;
    match &evs.last().unwrap().event.body {
        EventBody::TurnCompleted { status, .. } => assert_eq!(*status, TurnStatus::Completed),
        other => panic!("{other:?}"),
    }

    // Operator pass-through: command/exec's cwd.
    let answer = api
        .post_raw(
            "/api/command/exec",
            &json!({ "command": ["true"], "cwd": "relative/dir" }),
        )
        .await
        .unwrap();
    assert_eq!(
        refusal(&answer),
        (400, "validation", "params.cwd"),
        "{answer:?}"
    );
}
