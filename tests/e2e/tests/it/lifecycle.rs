//! Session lifecycle over HTTP against the real runtime: rename and move, archive and
//! unarchive, fork, rollback, hard delete (410 after), compact, resume, review, clean terminals.

use std::time::Duration;

use cm_e2e::{Api, TestStack, collect_until};
use cm_schemas::EventBody;
use cm_schemas::commands::verb;
use cm_schemas::subjects::{self, prefix};
use cm_schemas::thread::{RuntimeResult, ThreadCommand, ThreadOp};
use cm_schemas::{BusError, ErrorCode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::projects::{assert_error, call};
use crate::script;

/// Polls the snapshot until the turn has ended; returns the snapshot.
pub async fn wait_turn(api: &Api, sid: &str, turn_id: &str) -> Value {
    cm_test_support::wait_for("the turn to end", Duration::from_secs(30), || async {
        let snap = api.get(&format!("/api/sessions/{sid}")).await?;
        let done = snap["turns"].as_array().is_some_and(|t| {
            t.iter()
                .any(|t| t["id"] == turn_id && t["status"] != "inProgress")
        });
        anyhow::ensure!(done, "turn {turn_id} of {sid} still running");
        Ok(snap)
    })
    .await
    .unwrap()
}

fn turn_ids(snap: &Value) -> Vec<String> {
    snap["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `thread/read` straight from the runtime, past the session service.
async fn runtime_read(stack: &TestStack, sid: &str) -> Result<Value, BusError> {
    let bus = stack.bus().await.unwrap();
    let cmd = ThreadCommand {
        thread_id: sid.to_owned(),
        op: ThreadOp::Read {
            include_turns: true,
        },
    };
    let subject = subjects::command(prefix::RUNTIME, verb::THREAD_OP);
    let r: RuntimeResult = bus.request(&subject, &cmd, Duration::from_secs(30)).await?;
    Ok(r.result)
}

async fn send_and_wait(api: &Api, sid: &str, text: &str) -> String {
    let turn = api.send(sid, text).await.unwrap();
    wait_turn(api, sid, &turn).await;
    turn
}

#[tokio::test(flavor = "multi_thread")]
async fn rename_move_archive_and_unarchive() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let other = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    let path = format!("/api/sessions/{sid}");

    let renamed = call(
        api,
        Method::PATCH,
        &path,
        Some(json!({ "title": " Plan " })),
    )
    .await;
    assert_eq!(renamed.0, 200, "{}", renamed.1);
    assert_eq!(renamed.1["title"], "Plan");
    let thread = runtime_read(&stack, &sid).await.unwrap();
    assert_eq!(thread["thread"]["name"], "Plan");
    let seen = collect_until(&mut events, Duration::from_secs(10), |e| {
        matches!(&e.event.body, EventBody::SessionUpdated { session } if session.title.as_deref() == Some("Plan"))
    })
    .await
    .unwrap();
    assert!(!seen.is_empty());

    let empty = call(api, Method::PATCH, &path, Some(json!({ "title": "" }))).await;
    assert_error(&empty, 400, "validation", Some("title"));
    let unknown = call(api, Method::PATCH, "/api/sessions/nope", Some(json!({}))).await;
    assert_error(&unknown, 404, "not_found", None);
    let no_project = call(
        api,
        Method::PATCH,
        &path,
        Some(json!({ "projectId": "nope" })),
    )
    .await;
    assert_error(&no_project, 404, "not_found", None);

    // Move into a project and out again.
    let p = api
        .post("/api/projects", json!({ "name": "Moves" }))
        .await
        .unwrap();
    let pid = p["id"].as_str().unwrap();
    let moved = call(api, Method::PATCH, &path, Some(json!({ "projectId": pid }))).await;
    assert_eq!(moved.1["projectId"], pid, "{}", moved.1);
    assert_eq!(moved.1["title"], "Plan");
    let out = call(
        api,
        Method::PATCH,
        &path,
        Some(json!({ "projectId": null })),
    )
    .await;
    assert_eq!(out.1["projectId"], Value::Null, "{}", out.1);

    // Archived sessions leave the default list and show with archived=true|all.
    let archived = api
        .post(&format!("{path}/archive"), json!({}))
        .await
        .unwrap();
    assert_eq!(archived["archived"], true);
    let again = api
        .post(&format!("{path}/archive"), json!({}))
        .await
        .unwrap();
    assert_eq!(again["archived"], true, "archiving twice is harmless");
    let listed = |q: &'static str| async move {
        let page = api.get(&format!("/api/sessions{q}")).await.unwrap();
        page["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(listed("").await, [other.as_str()]);
    assert_eq!(listed("?archived=false").await, [other.as_str()]);
    assert_eq!(listed("?archived=true").await, [sid.as_str()]);
    assert_eq!(listed("?archived=all").await.len(), 2);
    assert_error(
        &api.get_raw("/api/sessions?archived=maybe").await.unwrap(),
        400,
        "validation",
        None,
    );
    // An archived thread does not run: 409 until unarchived.
    let send = api
        .post_raw(&format!("{path}/messages"), &json!({ "text": "hi" }))
        .await
        .unwrap();
    assert_error(&send, 409, "conflict", None);
    let fork = api
        .post_raw(&format!("{path}/fork"), &json!({}))
        .await
        .unwrap();
    assert_error(&fork, 409, "conflict", None);

    let restored = api
        .post(&format!("{path}/unarchive"), json!({}))
        .await
        .unwrap();
    assert_eq!(restored["archived"], false);
    assert_eq!(listed("").await.len(), 2);
    let turn = send_and_wait(api, &sid, "after unarchive").await;
    let snap = wait_turn(api, &sid, &turn).await;
    assert_eq!(snap["turns"][0]["status"], "completed", "{snap}");
    let thread = runtime_read(&stack, &sid).await.unwrap();
    assert_eq!(thread["thread"]["name"], "Plan");
    assert_error(
        &api.post_raw("/api/sessions/nope/archive", &json!({}))
            .await
            .unwrap(),
        404,
        "not_found",
        None,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fork_gives_a_working_session_and_rollback_drops_turns_in_both_places() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let p = api
        .post("/api/projects", json!({ "name": "Forks" }))
        .await
        .unwrap();
    let pid = p["id"].as_str().unwrap();
    let s = api
        .post(
            "/api/sessions",
            json!({ "title": "Base", "projectId": pid }),
        )
        .await
        .unwrap();
    let sid = s["id"].as_str().unwrap().to_owned();
    let first = send_and_wait(api, &sid, "one").await;

    // Fork: a new session in the same project with the source's transcript, whose first turn
    // runs.
    let (status, fork) = api
        .post_raw(&format!("/api/sessions/{sid}/fork"), &json!({}))
        .await
        .unwrap();
    assert_eq!(status, 201, "{fork}");
    let fid = fork["id"].as_str().unwrap().to_owned();
    assert_ne!(fid, sid);
    assert_eq!(fork["title"], "Base (fork)");
    assert_eq!(fork["projectId"], pid);
    let in_fork = send_and_wait(api, &fid, "in the fork").await;
    let snap = api.get(&format!("/api/sessions/{fid}")).await.unwrap();
    assert_eq!(turn_ids(&snap), [first.clone(), in_fork]);
    assert_eq!(snap["turns"][1]["status"], "completed");
    let source = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(turn_ids(&source), [first.as_str()]);

    // Rollback 1 after two turns leaves the first, here and in the runtime.
    let second = send_and_wait(api, &sid, "two").await;
    let path = format!("/api/sessions/{sid}/rollback");
    assert_error(
        &api.post_raw(&path, &json!({ "turns": 0 })).await.unwrap(),
        400,
        "validation",
        Some("turns"),
    );
    assert_error(
        &api.post_raw(&path, &json!({ "turns": 3 })).await.unwrap(),
        409,
        "conflict",
        None,
    );
    assert_error(
        &api.post_raw("/api/sessions/nope/rollback", &json!({ "turns": 1 }))
            .await
            .unwrap(),
        404,
        "not_found",
        None,
    );
    let mut events = api.events(&sid, None).await.unwrap();
    let rolled = api.post(&path, json!({ "turns": 1 })).await.unwrap();
    assert_eq!(rolled["removedTurnIds"], json!([second]));
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(turn_ids(&snap), [first.as_str()]);
    let thread = runtime_read(&stack, &sid).await.unwrap();
    let runtime_turns: Vec<&str> = thread["thread"]["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(runtime_turns, [first.as_str()]);
    collect_until(&mut events, Duration::from_secs(10), |e| {
        matches!(&e.event.body, EventBody::SessionRolledBack { turn_ids } if turn_ids == std::slice::from_ref(&second))
    })
    .await
    .unwrap();
    // The session goes on from the shorter history.
    send_and_wait(api, &sid, "three").await;
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(turn_ids(&snap).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_session_is_gone_everywhere() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    send_and_wait(api, &sid, "hello").await;
    let path = format!("/api/sessions/{sid}");

    let del = call(api, Method::DELETE, &path, None).await;
    assert_eq!(del.0, 204, "{}", del.1);
    assert_error(&api.get_raw(&path).await.unwrap(), 410, "gone", None);
    assert_error(
        &api.post_raw(&format!("{path}/messages"), &json!({ "text": "hi" }))
            .await
            .unwrap(),
        410,
        "gone",
        None,
    );
    for action in ["archive", "fork", "compact", "resume", "review"] {
        let r = api
            .post_raw(&format!("{path}/{action}"), &json!({}))
            .await
            .unwrap();
        assert_error(&r, 410, "gone", None);
    }
    let patch = call(api, Method::PATCH, &path, Some(json!({ "title": "x" }))).await;
    assert_error(&patch, 410, "gone", None);
    assert_error(
        &call(api, Method::DELETE, &path, None).await,
        410,
        "gone",
        None,
    );
    assert_error(
        &api.get_raw(&format!("{path}/events")).await.unwrap(),
        410,
        "gone",
        None,
    );
    assert_error(
        &call(api, Method::DELETE, "/api/sessions/nope", None).await,
        404,
        "not_found",
        None,
    );
    let page = api.get("/api/sessions?archived=all").await.unwrap();
    assert_eq!(page["sessions"], json!([]));
    // The runtime no longer has the thread either.
    let read = runtime_read(&stack, &sid).await;
    assert!(read.is_err(), "{read:?}");
    // Its history left the event stream: only the `session.deleted` marker remains.
    let js = stack.bus().await.unwrap();
    let mut stream = js
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await
        .unwrap();
    let info = stream.info().await.unwrap();
    assert!(info.state.messages > 0);
    let subject = subjects::event(cm_schemas::Scope::Session, &sid, "session.deleted");
    let last = stream.get_last_raw_message_by_subject(&subject).await;
    assert!(last.is_ok(), "{last:?}");
    let earlier = subjects::event(cm_schemas::Scope::Session, &sid, "turn.started");
    assert!(
        stream
            .get_last_raw_message_by_subject(&earlier)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn compact_resume_review_and_clean_terminals() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    send_and_wait(api, &sid, "hello").await;
    let path = format!("/api/sessions/{sid}");

    let (status, compact) = api
        .post_raw(&format!("{path}/compact"), &json!({}))
        .await
        .unwrap();
    assert_eq!(status, 202, "{compact}");
    // The compaction runs as a turn of its own.
    let snap =
        cm_test_support::wait_for("the compaction turn", Duration::from_secs(10), || async {
            let snap = api.get(&path).await?;
            let ended = snap["turns"]
                .as_array()
                .is_some_and(|t| t.len() == 2 && t[1]["status"] != "inProgress");
            anyhow::ensure!(ended, "compaction still running");
            Ok(snap)
        })
        .await
        .unwrap();
    assert_eq!(
        snap["turns"][1]["items"][0]["itemType"],
        "contextCompaction"
    );

    let resumed = api
        .post(&format!("{path}/resume"), json!({}))
        .await
        .unwrap();
    assert_eq!(resumed["id"], sid.as_str());

    let bad = api
        .post_raw(
            &format!("{path}/review"),
            &json!({ "target": "everything" }),
        )
        .await
        .unwrap();
    assert_error(&bad, 400, "validation", Some("target"));
    let (status, review) = api
        .post_raw(&format!("{path}/review"), &json!({}))
        .await
        .unwrap();
    assert_eq!(status, 202, "{review}");
    let turn = review["turnId"].as_str().unwrap();
    let snap = wait_turn(api, &sid, turn).await;
    assert_eq!(turn_ids(&snap).last().map(String::as_str), Some(turn));
    // The review's child turn counts as the review turn: nothing is left running.
    let running: Vec<&Value> = snap["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "inProgress")
        .collect();
    assert!(running.is_empty(), "{running:?}");

    // codex (0.169.0, 0.171.0) implements `thread/backgroundTerminals/clean`; a runtime without it
    // answers 501 not_supported through the same route.
    let (status, clean) = api
        .post_raw(&format!("{path}/terminals/clean"), &json!({}))
        .await
        .unwrap();
    match status {
        200 => assert_eq!(clean["sessionId"], sid.as_str()),
        501 => assert_eq!(clean["error"]["code"], "not_supported"),
        other => panic!("terminals/clean answered {other}: {clean}"),
    }

    // Idle again, so it can be archived.
    let archived = api
        .post(&format!("{path}/archive"), json!({}))
        .await
        .unwrap();
    assert_eq!(archived["archived"], true);

    for action in [
        "compact",
        "resume",
        "review",
        "terminals/clean",
        "unarchive",
    ] {
        let r = api
            .post_raw(&format!("/api/sessions/nope/{action}"), &json!({}))
            .await
            .unwrap();
        assert_error(&r, 404, "not_found", None);
    }
    // Lifecycle errors travel the bus with their codes too.
    let bus = stack.bus().await.unwrap();
    let err = bus
        .request::<_, Value>(
            &subjects::command(prefix::SESSION, verb::SESSION_ROLLBACK),
            &json!({ "sessionId": sid, "turns": 99 }),
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}
