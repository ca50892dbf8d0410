//! The bus conventions against a real `nats-server -js`: a handler that panics does not take
//! its endpoint down, and bodies larger than a NATS message travel whole.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use cm_bus::auth::Principal;
use cm_bus::{Bus, Group, spawn_endpoint};
use cm_schemas::{ErrorCode, Event, EventBody};
use cm_test_support::NatsServer;
use futures::StreamExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Ask {
    panic: bool,
    size: usize,
}

async fn answer(_: Arc<()>, ask: Ask) -> Result<String, cm_schemas::BusError> {
    if ask.panic {
        panic!("handler bug\r\nwith a line break");
    }
    Ok("x".repeat(ask.size))
}

async fn serving(nats: &NatsServer) -> (Bus, tokio::task::JoinSet<()>) {
    let bus = nats.bus_as(Principal::Admin).await.unwrap();
    let svc = bus.start_service("cm-test", "test").await.unwrap();
    let group = Group::new(&svc, "cm.v1.test", &bus);
    let mut tasks = tokio::task::JoinSet::new();
    spawn_endpoint(&group, &mut tasks, "ask", &Arc::new(()), answer)
        .await
        .unwrap();
    // Kept alive with the tasks: dropping the service would stop its endpoints.
    tasks.spawn(async move {
        let _svc = svc;
        std::future::pending::<()>().await
    });
    (bus, tasks)
}

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_panicking_handler_answers_internal_and_its_endpoint_keeps_serving() {
    let nats = NatsServer::start().await.unwrap();
    let (bus, _tasks) = serving(&nats).await;

    let err = bus
        .request::<_, String>(
            "cm.v1.test.ask",
            &Ask {
                panic: true,
                size: 0,
            },
            T,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal);
    assert!(
        !err.message.contains("handler bug"),
        "the panic is not leaked: {err:?}"
    );
    assert!(
        err.details.get("traceId").is_some(),
        "the answer has a traceId field: {err:?}"
    );

    // The same endpoint, right after.
    for _ in 0..3 {
        let ok: String = bus
            .request(
                "cm.v1.test.ask",
                &Ask {
                    panic: false,
                    size: 3,
                },
                T,
            )
            .await
            .unwrap();
        assert_eq!(ok, "xxx");
    }

    // $SRV.STATS counts the panic and says the endpoint serves.
    let client = bus.client();
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await.unwrap();
    client
        .publish_with_reply("$SRV.STATS.cm-test", inbox, "".into())
        .await
        .unwrap();
    let msg = tokio::time::timeout(T, replies.next())
        .await
        .unwrap()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
    let ep = &stats["endpoints"][0];
    assert_eq!(ep["data"]["panics"], 1, "{stats}");
    assert_eq!(ep["data"]["serving"], true, "{stats}");
}

#[tokio::test]
async fn an_answer_larger_than_a_message_arrives_whole() {
    let nats = NatsServer::start().await.unwrap();
    let (bus, _tasks) = serving(&nats).await;
    let size = 3 * 1024 * 1024;
    assert!(size > bus.body_limit());
    let big: String = bus
        .request("cm.v1.test.ask", &Ask { panic: false, size }, T)
        .await
        .unwrap();
    assert_eq!(big.len(), size);
}

#[tokio::test]
async fn an_event_larger_than_a_message_is_stored_whole_and_published_as_a_preview() {
    let nats = NatsServer::start().await.unwrap();
    let bus = nats.bus_as(Principal::Admin).await.unwrap();
    cm_bus::ensure_events_stream(bus.jetstream(), &Default::default())
        .await
        .unwrap();
    // JSON-escaped control characters: 6 bytes each on the wire.
    let text = "\u{1}".repeat(400_000);
    let event = Event::session(
        "s1",
        EventBody::RuntimeWarning {
            message: text.clone(),
        },
    )
    .with_raw(serde_json::json!({ "message": text }));
    let seq = bus.publish_event(&event).await.unwrap();

    let stream = bus
        .jetstream()
        .get_stream(cm_schemas::subjects::EVENTS_STREAM)
        .await
        .unwrap();
    let raw = stream.get_raw_message(seq).await.unwrap();
    assert!(
        raw.payload.len() <= bus.body_limit(),
        "{}",
        raw.payload.len()
    );
    let preview: serde_json::Value = serde_json::from_slice(&raw.payload).unwrap();
    assert_eq!(preview["kind"], "runtime.warning");
    assert!(preview["blob"]["name"].is_string(), "{}", preview["blob"]);
    let whole = bus
        .read_event(Some(&raw.headers), &raw.payload)
        .await
        .unwrap();
    assert_eq!(whole, event);
}

#[tokio::test]
async fn an_existing_stream_is_brought_to_the_configuration_asked_for() {
    use async_nats::jetstream::stream;
    let nats = NatsServer::start().await.unwrap();
    let bus = nats.bus_as(Principal::Admin).await.unwrap();
    bus.jetstream()
        .create_stream(stream::Config {
            name: cm_schemas::subjects::EVENTS_STREAM.to_owned(),
            subjects: vec![cm_schemas::subjects::EVENTS_SUBJECTS.to_owned()],
            max_age: Duration::from_secs(3600),
            ..Default::default()
        })
        .await
        .unwrap();
    // Two owners starting at once, as under `up`.
    let cfg = cm_bus::EventsStreamConfig::default();
    let (a, b) = tokio::join!(
        cm_bus::ensure_events_stream(bus.jetstream(), &cfg),
        cm_bus::ensure_events_stream(bus.jetstream(), &cfg)
    );
    let mut stream = a.unwrap();
    b.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(info.config.max_age, cfg.max_age);
    assert_eq!(info.config.duplicate_window, cfg.duplicate_window);
}
