//! The bus's security against a real, secured `nats-server`: anonymous clients are refused,
//! each principal is confined to its subjects, and a command's actor is what its signature
//! allows, never what a header says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use cm_bus::auth::Principal;
use cm_bus::{Bus, Group, spawn_endpoint};
use cm_schemas::{BusError, ErrorCode, Event, EventBody, Scope, commands, subjects};
use cm_test_support::NatsServer;
use futures::StreamExt;
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(5);
/// A request the server drops for want of permission is never answered: the caller waits.
const DROPPED: Duration = Duration::from_millis(700);

/// A `cm.v1.session.*` endpoint (served as the session principal) that answers the actor its
/// handler sees.
async fn session_whoami(nats: &NatsServer) -> (Bus, tokio::task::JoinSet<()>) {
    let bus = nats.bus_as(Principal::Session).await.unwrap();
    let svc = bus.start_service("cm-session-test", "test").await.unwrap();
    let group = Group::new(&svc, subjects::prefix::SESSION, &bus);
    let mut tasks = tokio::task::JoinSet::new();
    for verb in [commands::verb::SESSION_GET, commands::verb::SETTINGS_SET] {
        spawn_endpoint(
            &group,
            &mut tasks,
            verb,
            &Arc::new(()),
            |_, _: Value| async { Ok::<_, BusError>(json!({ "actor": cm_bus::actor() })) },
        )
        .await
        .unwrap();
    }
    tasks.spawn(async move {
        let _svc = svc;
        std::future::pending::<()>().await
    });
    // A round trip proves the subscriptions reached the server (a flush does not: it only
    // writes the socket), so other connections' requests find a responder.
    let admin = nats.bus_as(Principal::Admin).await.unwrap();
    for verb in [commands::verb::SESSION_GET, commands::verb::SETTINGS_SET] {
        let subject = subjects::command(subjects::prefix::SESSION, verb);
        cm_test_support::wait_for("the test endpoint", T, || {
            let (admin, subject) = (admin.clone(), subject.clone());
            async move { Ok(admin.request::<_, Value>(&subject, &json!({}), T).await?) }
        })
        .await
        .unwrap();
    }
    (bus, tasks)
}

async fn actor_seen(bus: &Bus, subject: &str, claim: Option<&str>) -> Result<Value, BusError> {
    bus.request_as::<_, Value>(subject, &json!({}), T, claim)
        .await
        .map(|v| v["actor"].clone())
}

#[tokio::test]
async fn anonymous_and_unknown_clients_are_refused() {
    let nats = NatsServer::start().await.unwrap();
    let anonymous = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(2))
        .connect(nats.url())
        .await;
    let err = anonymous.expect_err("an anonymous client got in");
    assert!(
        err.to_string().to_lowercase().contains("authorization"),
        "{err}"
    );
    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    let unknown = async_nats::ConnectOptions::new()
        .nkey(stranger)
        .connection_timeout(Duration::from_secs(2))
        .connect(nats.url())
        .await;
    assert!(unknown.is_err(), "a key not among the principals got in");
}

#[tokio::test]
async fn the_actor_comes_from_the_signature_not_the_header() {
    let nats = NatsServer::start().await.unwrap();
    let (_session, _tasks) = session_whoami(&nats).await;
    let get = subjects::command(subjects::prefix::SESSION, commands::verb::SESSION_GET);
    let gateway = nats.bus_as(Principal::Gateway).await.unwrap();
    let worker = nats.bus_as(Principal::QueueWorker).await.unwrap();
    let automation = nats.bus_as(Principal::Automation).await.unwrap();

    assert_eq!(actor_seen(&gateway, &get, None).await.unwrap(), "user:api");
    assert_eq!(
        actor_seen(&gateway, &get, Some("user:web")).await.unwrap(),
        "user:web"
    );
    assert_eq!(
        actor_seen(&worker, &get, None).await.unwrap(),
        "system:queue-worker"
    );
    assert_eq!(
        actor_seen(&worker, &get, Some("system:queue"))
            .await
            .unwrap(),
        "system:queue"
    );
    assert_eq!(
        actor_seen(&automation, &get, None).await.unwrap(),
        "automation"
    );
    for (bus, claim) in [
        (&gateway, "system:queue"),
        (&worker, "user:alice"),
        (&automation, "system:queue"),
        (&automation, "user:alice"),
    ] {
        let err = actor_seen(bus, &get, Some(claim)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{claim}: {err:?}");
    }

    // A bare header, without a signature: refused, whoever's connection carries it.
    let raw = nats.connect().await.unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(cm_bus::ACTOR_HEADER, "system:queue");
    let reply = raw
        .request_with_headers(get.clone(), headers, "{}".into())
        .await
        .unwrap();
    let reply: Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(reply["error"]["code"], "forbidden", "{reply}");
    assert_eq!(reply["error"]["details"]["reason"], "unsigned_actor");
    // Unsigned and claiming nothing: served, with no actor.
    let reply = raw.request(get.clone(), "{}".into()).await.unwrap();
    let reply: Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(reply["ok"]["actor"], Value::Null, "{reply}");

    // A signature copied onto another body does not hold.
    let mut headers = async_nats::HeaderMap::new();
    nats.identity(Principal::QueueWorker)
        .unwrap()
        .sign(&get, None, b"{}", &mut headers);
    let reply = raw
        .request_with_headers(get, headers, "{\"other\":1}".into())
        .await
        .unwrap();
    let reply: Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(reply["error"]["details"]["reason"], "bad_signature");
}

#[tokio::test]
async fn the_gateway_cannot_publish_runtime_events_or_serve_as_the_bridge() {
    let nats = NatsServer::start().await.unwrap();
    let admin = nats.bus_as(Principal::Admin).await.unwrap();
    cm_bus::ensure_events_stream(admin.jetstream(), &Default::default())
        .await
        .unwrap();
    let gateway = nats.bus_as(Principal::Gateway).await.unwrap();
    let bridge = nats.bus_as(Principal::RuntimeBridge).await.unwrap();
    let event = |n: &str| {
        Event::new(
            Scope::Session,
            "s1",
            EventBody::TurnStarted {
                turn_id: n.to_owned(),
            },
        )
    };

    let x = event("x");
    let forged = tokio::time::timeout(Duration::from_secs(3), gateway.publish_event(&x));
    assert!(
        !matches!(forged.await, Ok(Ok(_))),
        "the gateway stored a runtime event"
    );
    bridge.publish_event(&event("real")).await.unwrap();
    let stream = admin
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await
        .unwrap();
    assert_eq!(stream.get_info().await.unwrap().state.messages, 1);

    // Subscribing to the runtime's commands is the bridge's alone: the gateway's subscription
    // receives nothing.
    let mut spy = gateway.client().subscribe("cm.v1.runtime.>").await.unwrap();
    admin
        .client()
        .publish("cm.v1.runtime.call", "{}".into())
        .await
        .unwrap();
    admin.client().flush().await.unwrap();
    let heard = tokio::time::timeout(DROPPED, spy.next()).await;
    assert!(
        !matches!(heard, Ok(Some(_))),
        "the gateway heard a runtime command"
    );
}

#[tokio::test]
async fn automation_follows_events_and_calls_only_what_the_docs_say() {
    let nats = NatsServer::start().await.unwrap();
    let (_session, _tasks) = session_whoami(&nats).await;
    let bridge = nats.bus_as(Principal::RuntimeBridge).await.unwrap();
    cm_bus::ensure_events_stream(bridge.jetstream(), &Default::default())
        .await
        .unwrap();
    let automation = nats.bus_as(Principal::Automation).await.unwrap();

    // Follows events with an ordered consumer of its own.
    let event = Event::new(
        Scope::Session,
        "s1",
        EventBody::TurnStarted {
            turn_id: "t1".into(),
        },
    );
    bridge.publish_event(&event).await.unwrap();
    let stream = automation
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await
        .unwrap();
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let first = tokio::time::timeout(T, messages.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let seen = automation
        .read_event(first.headers.as_ref(), &first.payload)
        .await
        .unwrap();
    assert_eq!(seen.id, event.id);

    // Calls a documented session command...
    let get = subjects::command(subjects::prefix::SESSION, commands::verb::SESSION_GET);
    assert_eq!(
        actor_seen(&automation, &get, None).await.unwrap(),
        "automation"
    );
    // ...and nothing else: settings, the runtime, events of its own. The server drops the
    // publish, so no responder sees it and the caller times out.
    for subject in [
        subjects::command(subjects::prefix::SESSION, commands::verb::SETTINGS_SET),
        subjects::command(subjects::prefix::RUNTIME, commands::verb::RUNTIME_CALL),
    ] {
        let err = automation
            .request::<_, Value>(&subject, &json!({}), DROPPED)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Timeout, "{subject}: {err:?}");
    }
    let forged = tokio::time::timeout(Duration::from_secs(3), automation.publish_event(&event));
    assert!(!matches!(forged.await, Ok(Ok(_))));
    // It cannot delete the session service's durable consumer, nor any other.
    let deleted = tokio::time::timeout(
        Duration::from_secs(3),
        stream.delete_consumer(subjects::SESSION_CONSUMER),
    )
    .await;
    assert!(!matches!(deleted, Ok(Ok(_))));
}
