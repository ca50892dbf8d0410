//! One turn through every service: streamed text, sequences, persisted transcript.

use std::time::Duration;

use cm_e2e::{Service, TestStack, collect_until, fold, kinds, text_deltas};
use cm_schemas::event::TurnStatus;
use cm_schemas::{EventBody, Scope, subjects};
use futures::StreamExt;

use crate::{GREETING, script};

fn is_turn_end(ev: &cm_schemas::StreamedEvent) -> bool {
    matches!(ev.event.body, EventBody::TurnCompleted { .. })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_turn_streams_the_scripted_text_and_is_persisted() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();

    let mut events = api.events(&sid, None).await.unwrap();
    let turn_id = api.send(&sid, "Say hello").await.unwrap();
    assert!(!turn_id.is_empty());
    let evs = collect_until(&mut events, Duration::from_secs(30), is_turn_end)
        .await
        .unwrap();

    // The streamed text equals the script.
    let text = text_deltas(&evs);
    assert_eq!(text, GREETING.concat(), "events: {:?}", kinds(&evs));
    // Folded, the stream is one completed turn whose reply is that text.
    let folded = fold(&evs);
    let turn = folded.turn(&turn_id).unwrap();
    assert_eq!(
        (turn.status, turn.reply_text()),
        (TurnStatus::Completed, GREETING.concat())
    );
    for kind in [
        "session.created",
        "turn.started",
        "item.started",
        "item.completed",
        "usage.updated",
    ] {
        assert!(
            kinds(&evs).contains(&kind),
            "missing {kind} in {:?}",
            kinds(&evs)
        );
    }
    match &evs.last().unwrap().event.body {
        EventBody::TurnCompleted {
            turn_id: t, status, ..
        } => {
            assert_eq!(t, &turn_id);
            assert_eq!(*status, TurnStatus::Completed);
        }
        other => panic!("last event {other:?}"),
    }

    // Sequences strictly increase, and the SSE stream holds exactly the session's events in
    // JetStream: no gap, no duplicate.
    let seqs: Vec<u64> = evs.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let in_stream = jetstream_seqs(&stack, &sid, *seqs.last().unwrap()).await;
    assert_eq!(seqs, in_stream);

    // The transcript is persisted and reflects the last event.
    let snap = wait_for_seq(&stack, &sid, *seqs.last().unwrap()).await;
    let turn = &snap["turns"][0];
    assert_eq!(turn["id"], turn_id.as_str());
    assert_eq!(turn["status"], "completed");
    let items = turn["items"].as_array().unwrap();
    let user = items
        .iter()
        .find(|i| i["itemType"] == "userMessage")
        .unwrap();
    assert_eq!(user["text"], "Say hello");
    let agent = items
        .iter()
        .find(|i| i["itemType"] == "agentMessage")
        .unwrap();
    assert_eq!(agent["text"], GREETING.concat());
    assert_eq!(agent["status"], "completed");
    assert_eq!(snap["session"]["status"], "idle");

    // Listed from Postgres.
    let list = api.get("/api/sessions").await.unwrap();
    assert!(
        list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == sid.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_transcript_survives_a_session_service_restart_and_the_next_turn_works() {
    let mut stack = TestStack::start(script()).await.unwrap();
    let sid = stack.api.create_session().await.unwrap();
    let mut events = stack.api.events(&sid, None).await.unwrap();
    stack.api.send(&sid, "first").await.unwrap();
    let first = collect_until(&mut events, Duration::from_secs(30), is_turn_end)
        .await
        .unwrap();
    let before = wait_for_seq(&stack, &sid, first.last().unwrap().seq).await;

    stack.restart_service(Service::Session).await.unwrap();
    let after = stack
        .api
        .get(&format!("/api/sessions/{sid}"))
        .await
        .unwrap();
    assert_eq!(before, after);

    // Events published while the session service is down are applied when it is back.
    stack.stop_service(Service::Session).await.unwrap();
    // (the gateway still streams from JetStream; the session service is needed to send)
    stack.start_service(Service::Session).await.unwrap();
    stack.wait_ready().await.unwrap();
    stack.api.send(&sid, "second").await.unwrap();
    let second = collect_until(&mut events, Duration::from_secs(30), is_turn_end)
        .await
        .unwrap();
    let snap = wait_for_seq(&stack, &sid, second.last().unwrap().seq).await;
    assert_eq!(snap["turns"].as_array().unwrap().len(), 2);
    assert_eq!(snap["turns"][1]["status"], "completed");
}

/// The stream sequences of every event of the session in `CM_EVENTS` up to `last`, read with a
/// raw JetStream consumer (the baseline the SSE stream is compared with).
async fn jetstream_seqs(stack: &TestStack, sid: &str, last: u64) -> Vec<u64> {
    use async_nats::jetstream::consumer::pull::OrderedConfig;
    let bus = stack.bus().await.unwrap();
    let stream = bus
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await
        .unwrap();
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: subjects::event_filter(Scope::Session, sid),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut msgs = consumer.messages().await.unwrap();
    let mut out = Vec::new();
    while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(5), msgs.next()).await {
        let seq = m.info().unwrap().stream_sequence;
        out.push(seq);
        if seq >= last {
            break;
        }
    }
    out
}

/// The session snapshot once the session service has applied everything up to `seq`.
pub async fn wait_for_seq(stack: &TestStack, sid: &str, seq: u64) -> serde_json::Value {
    let api = stack.api.clone();
    let path = format!("/api/sessions/{sid}");
    cm_test_support::wait_for("snapshot to catch up", Duration::from_secs(30), move || {
        let api = api.clone();
        let path = path.clone();
        async move {
            let snap = api.get(&path).await?;
            let at = snap["seq"].as_u64().unwrap_or(0);
            anyhow::ensure!(at >= seq, "snapshot at {at}, want {seq}");
            Ok(snap)
        }
    })
    .await
    .unwrap()
}
