//! Interrupts and crashes end turns deterministically, and the session goes on.

use std::time::{Duration, Instant};

use cm_e2e::{Service, TestStack, collect_until, kinds};
use cm_schemas::EventBody;
use cm_schemas::event::TurnStatus;
use cm_schemas::request::RequestOutcome;
use futures::StreamExt;
use serde_json::json;

use crate::runtime_script::{
    approval_stack, completed, decision_path, is_turn_end, script, send_until_request, until,
};

fn is_delta(e: &cm_schemas::StreamedEvent) -> bool {
    matches!(e.event.body, EventBody::ItemDelta { .. })
}

fn turn_end(evs: &[cm_schemas::StreamedEvent]) -> (TurnStatus, Option<String>) {
    match &evs.last().unwrap().event.body {
        EventBody::TurnCompleted { status, reason, .. } => (*status, reason.clone()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupt_stops_the_deltas_within_a_second_and_closes_the_open_message() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let interrupt = format!("/api/sessions/{sid}/interrupt");
    let (status, body) = api.post_raw(&interrupt, &json!({})).await.unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_active_turn"))
    );

    let mut events = api.events(&sid, None).await.unwrap();
    api.send(&sid, "SLOW").await.unwrap();
    let mut seen = 0;
    until(&mut events, |e| {
        seen += usize::from(is_delta(e));
        seen == 3
    })
    .await;
    let asked = Instant::now();
    api.post(&interrupt, json!({})).await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    let latency = asked.elapsed();
    println!("interrupt → turn.completed: {} ms", latency.as_millis());
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    assert_eq!(turn_end(&evs).0, TurnStatus::Interrupted);
    let msg = completed(&evs, "agentMessage").unwrap();
    assert_eq!(
        msg["status"], "canceled",
        "the half-streamed message is closed"
    );
    // Nothing streams after the end.
    let after = tokio::time::timeout(Duration::from_millis(700), events.next()).await;
    assert!(
        after.is_err()
            || !after
                .unwrap()
                .is_some_and(|e| e.is_ok_and(|e| is_delta(&e)))
    );

    let snap = crate::turn::wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;
    assert_eq!(snap["turns"][0]["status"], "interrupted");
    assert_eq!(
        snap["turns"][0]["items"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["status"],
        "canceled"
    );
    // The next turn works.
    api.send(&sid, "hello again").await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    assert_eq!(turn_end(&evs).0, TurnStatus::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_still_open_when_its_turn_ends_expires() {
    let stack = approval_stack().await;
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    let req = send_until_request(api, &sid, "RUN_SHELL", &mut events).await;
    api.post(&format!("/api/sessions/{sid}/interrupt"), json!({}))
        .await
        .unwrap();
    let evs = until(&mut events, is_turn_end).await;
    let expired = evs.iter().any(|e| {
        matches!(&e.event.body, EventBody::RequestResolved { request_id, outcome: RequestOutcome::Expired, .. } if *request_id == req.id)
    });
    assert!(expired, "{:?}", kinds(&evs));
    crate::turn::wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;
    let path = decision_path(&sid, &req.id);
    let (status, body) = api
        .post_raw(&path, &json!({ "decision": "accept" }))
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_server_crash_mid_turn_fails_the_turn_and_the_runtime_respawns() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    api.send(&sid, "SLOW").await.unwrap();
    let mut before = until(&mut events, is_delta).await;
    before.extend(until(&mut events, is_delta).await);

    let status = api.get("/api/ready").await.unwrap()["checks"]["runtime"]["status"].clone();
    let pid = status["pid"].as_u64().unwrap() as i32;
    let killed = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let evs = until(&mut events, is_turn_end).await;
    assert_eq!(
        turn_end(&evs),
        (TurnStatus::Failed, Some("runtime_exited".to_owned()))
    );
    let closed = completed(&evs, "agentMessage").unwrap();
    assert_eq!(closed["status"], "canceled");
    // What was streamed before the crash is kept: live stream, closing item and snapshot agree.
    let streamed: String = before
        .iter()
        .chain(&evs)
        .filter_map(|e| match &e.event.body {
            EventBody::ItemDelta { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert!(!streamed.is_empty());
    assert_eq!(closed["text"], streamed.as_str());
    let snap = crate::turn::wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;
    let agent = snap["turns"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["itemType"] == "agentMessage")
        .cloned()
        .unwrap();
    assert_eq!(agent["text"], streamed.as_str(), "{snap}");

    stack.wait_ready().await.unwrap();
    println!(
        "app-server killed → runtime ready again: {} ms",
        killed.elapsed().as_millis()
    );
    let status = api.get("/api/ready").await.unwrap()["checks"]["runtime"]["status"].clone();
    assert_eq!(status["restarts"], 1);
    assert_eq!(status["lastExit"]["signal"], 9);
    assert_ne!(status["pid"].as_u64().unwrap() as i32, pid);

    // The same session goes on: the thread is resumed in the new process.
    api.send(&sid, "after the crash").await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    assert_eq!(turn_end(&evs).0, TurnStatus::Completed);
    let snap = crate::turn::wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;
    assert_eq!(snap["turns"][0]["status"], "failed");
    assert_eq!(snap["turns"][0]["reason"], "runtime_exited");
    assert_eq!(snap["turns"][1]["status"], "completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_bridge_ends_its_turn_when_it_comes_back_and_the_session_goes_on() {
    let mut stack = approval_stack().await;
    let api = stack.api.clone();
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    let req = send_until_request(&api, &sid, "RUN_SHELL", &mut events).await;

    stack.kill_service(Service::RuntimeBridge).await;
    stack.start_service(Service::RuntimeBridge).await.unwrap();
    let evs = collect_until(&mut events, Duration::from_secs(30), is_turn_end)
        .await
        .unwrap();
    assert_eq!(
        turn_end(&evs),
        (TurnStatus::Failed, Some("runtime_exited".to_owned()))
    );
    let expired = evs.iter().any(|e| {
        matches!(&e.event.body, EventBody::RequestResolved { request_id, outcome: RequestOutcome::Expired, .. } if *request_id == req.id)
    });
    assert!(expired, "{:?}", kinds(&evs));

    stack.wait_ready().await.unwrap();
    api.send(&sid, "still there?").await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    assert_eq!(turn_end(&evs).0, TurnStatus::Completed);
}
