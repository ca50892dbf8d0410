//! Poison input through the real stack: a NUL in a message, a message whose events exceed a
//! NATS message, and events Postgres refuses or that never decode. None of them may stop the
//! persistence of any session, and readiness must tell what happened.

use std::time::Duration;

use cm_e2e::{TestStack, collect_until};
use cm_schemas::{Event, EventBody, StreamedEvent};

use crate::script;
use crate::turn::wait_for_seq;

fn is_turn_end(ev: &StreamedEvent) -> bool {
    matches!(ev.event.body, EventBody::TurnCompleted { .. })
}

/// A turn in a new session is streamed and persisted: the pipeline moves.
async fn a_new_session_is_persisted(stack: &TestStack) {
    let sid = stack.api.create_session().await.unwrap();
    let mut events = stack.api.events(&sid, None).await.unwrap();
    stack.api.send(&sid, "Say hello").await.unwrap();
    let evs = collect_until(&mut events, Duration::from_secs(30), is_turn_end)
        .await
        .unwrap();
    let snap = wait_for_seq(stack, &sid, evs.last().unwrap().seq).await;
    assert_eq!(snap["turns"][0]["status"], "completed", "{snap}");
}

fn user_text(snap: &serde_json::Value) -> String {
    snap["turns"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["itemType"] == "userMessage")
        .and_then(|i| i["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_message_and_a_title_is_stored_as_a_replacement_character() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let created = api
        .post(
            "/api/sessions",
            serde_json::json!({ "title": "nul \u{0} title" }),
        )
        .await
        .unwrap();
    assert_eq!(created["title"], "nul \u{FFFD} title", "{created}");
    let sid = created["id"].as_str().unwrap().to_owned();
    let mut events = api.events(&sid, None).await.unwrap();
    api.send(&sid, "hello \u{0} world").await.unwrap();
    let evs = collect_until(&mut events, Duration::from_secs(30), is_turn_end)
        .await
        .unwrap();
    let snap = wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;
    assert_eq!(user_text(&snap), "hello \u{FFFD} world");
    assert_eq!(snap["turns"][0]["status"], "completed");
    a_new_session_is_persisted(&stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_whose_events_exceed_a_nats_message_travels_whole() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    // 100,000 control characters: 600 KB as JSON, twice in its item.completed event (data and
    // raw): over the 1 MiB NATS limit.
    let text = "\u{1}".repeat(100_000);
    api.send(&sid, &text).await.unwrap();
    let evs = collect_until(&mut events, Duration::from_secs(60), is_turn_end)
        .await
        .unwrap();
    // The live stream carries the whole user message...
    let streamed = evs.iter().find_map(|e| match &e.event.body {
        EventBody::ItemCompleted {
            item_type, item, ..
        } if item_type == "userMessage" => Some(item.clone()),
        _ => None,
    });
    let streamed = serde_json::to_string(&streamed).unwrap();
    assert!(
        streamed.len() > 500_000,
        "streamed item {} bytes",
        streamed.len()
    );
    // ...and so does the snapshot; after a second such turn it is an answer larger than a NATS
    // message itself (1.2 MB).
    api.send(&sid, &text).await.unwrap();
    let evs = collect_until(&mut events, Duration::from_secs(60), is_turn_end)
        .await
        .unwrap();
    let snap = wait_for_seq(&stack, &sid, evs.last().unwrap().seq).await;
    assert!(
        snap.to_string().len() > 1_100_000,
        "{}",
        snap.to_string().len()
    );
    assert_eq!(user_text(&snap), text);
    assert_eq!(snap["turns"][1]["status"], "completed");
    a_new_session_is_persisted(&stack).await;
}

/// 3,000 hex digits that do not compress: a session id too long for a Postgres b-tree index
/// entry (2,704 bytes), so every insert of its events fails the same way.
fn unindexable_id() -> String {
    (0..94)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn events_that_fail_for_good_are_dead_lettered_and_the_consumer_goes_on() {
    let stack = TestStack::start(script()).await.unwrap();
    let bus = stack.bus().await.unwrap();
    // One that never decodes, one that Postgres refuses on every attempt.
    let js = bus.jetstream();
    js.publish("cm.v1.evt.session.garbage.turn.started", "{not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let refused = Event::session(
        unindexable_id(),
        EventBody::RuntimeWarning {
            message: "refused".into(),
        },
    );
    bus.publish_event(&refused).await.unwrap();

    let api = stack.api.clone();
    cm_test_support::wait_for("two dead letters", Duration::from_secs(60), move || {
        let api = api.clone();
        async move {
            let (_, ready) = api.get_raw("/api/ready").await?;
            let n = ready["checks"]["events"]["status"]["deadLettersTotal"].as_u64();
            anyhow::ensure!(n == Some(2), "dead letters: {n:?}");
            Ok(())
        }
    })
    .await
    .unwrap();
    let seen = notices(&bus).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].0.contains("malformed"), "{seen:?}");
    assert_eq!(seen[1].1.as_deref(), Some("runtime.warning"), "{seen:?}");

    // Everything after them is applied, and readiness says ready with the dead letters counted.
    a_new_session_is_persisted(&stack).await;
    let (status, ready) = stack.api.get_raw("/api/ready").await.unwrap();
    assert_eq!(status, 200, "{ready}");
    let consumer = &ready["checks"]["events"]["status"];
    assert_eq!(consumer["deadLettersTotal"], 2, "{ready}");
    assert_eq!(consumer["healthy"], true, "{ready}");
}

/// The `event.dead_lettered` notices in `CM_EVENTS`: (error, kind of the failed event).
async fn notices(bus: &cm_bus::Bus) -> Vec<(String, Option<String>)> {
    use async_nats::jetstream::consumer::pull::OrderedConfig;
    use futures::StreamExt;
    let stream = bus
        .jetstream()
        .get_stream(cm_schemas::subjects::EVENTS_STREAM)
        .await
        .unwrap();
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: "cm.v1.evt.runtime.session-apply.>".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut msgs = consumer.messages().await.unwrap();
    let mut out = Vec::new();
    while out.len() < 2 {
        let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(10), msgs.next()).await
        else {
            break;
        };
        if let Ok(Event {
            body: EventBody::EventDeadLettered {
                event_kind, error, ..
            },
            ..
        }) = serde_json::from_slice::<Event>(&m.payload)
        {
            out.push((error, event_kind));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recreated_event_stream_over_an_existing_database_is_reported_not_skipped() {
    let mut stack = TestStack::start(script()).await.unwrap();
    a_new_session_is_persisted(&stack).await;

    // The NATS store is lost: the stream comes back empty and its sequences start over.
    let bus = stack.bus().await.unwrap();
    bus.jetstream()
        .delete_stream(cm_schemas::subjects::EVENTS_STREAM)
        .await
        .unwrap();
    // Restarted without waiting for readiness: readiness is what must now say no.
    for svc in [cm_e2e::Service::Session, cm_e2e::Service::RuntimeBridge] {
        stack.stop_service(svc).await.unwrap();
        stack.start_service(svc).await.unwrap();
    }
    // A new session's events take sequences Postgres holds already.
    let api = stack.api.clone();
    cm_test_support::wait_for("a session created", Duration::from_secs(30), move || {
        let api = api.clone();
        async move { api.create_session().await }
    })
    .await
    .unwrap();

    let api = stack.api.clone();
    let ready = cm_test_support::wait_for(
        "the conflict reported",
        Duration::from_secs(60),
        move || {
            let api = api.clone();
            async move {
                let (status, ready) = api.get_raw("/api/ready").await?;
                let consumer = &ready["checks"]["events"]["status"];
                anyhow::ensure!(consumer["problem"] == "store_replaced", "{ready}");
                anyhow::ensure!(status == 503, "ready answered {status}");
                Ok(ready)
            }
        },
    )
    .await
    .unwrap();
    let consumer = &ready["checks"]["events"]["status"];
    assert!(
        consumer["deadLettersTotal"].as_u64().unwrap() >= 1,
        "{ready}"
    );
    assert!(
        consumer["lastError"]
            .as_str()
            .unwrap()
            .contains("recreated"),
        "{ready}"
    );
}
