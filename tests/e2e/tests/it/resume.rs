//! Reconnecting with `Last-Event-ID` mid-turn delivers exactly the missed events.

use std::time::Duration;

use cm_e2e::{TestStack, collect_deltas, collect_until, text_deltas};
use cm_schemas::EventBody;

use crate::{script, slow_text};

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_reconnects_with_last_event_id_gets_exactly_what_it_missed() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();

    let mut first = api.events(&sid, None).await.unwrap();
    api.send(&sid, "SLOW please").await.unwrap();
    // Read until a few deltas have arrived, then drop the connection mid-turn.
    let seen = collect_deltas(&mut first, Duration::from_secs(30), 5)
        .await
        .unwrap();
    drop(first);
    let last_seen = seen.last().unwrap().seq;
    // Let more events happen while disconnected: wait until the session has applied some.
    let path = format!("/api/sessions/{sid}");
    cm_test_support::wait_for(
        "events while disconnected",
        Duration::from_secs(30),
        || async {
            let applied = api.get(&path).await?["seq"].as_u64().unwrap_or(0);
            anyhow::ensure!(applied >= last_seen + 5, "applied up to {applied}");
            Ok(())
        },
    )
    .await
    .unwrap();

    let mut resumed = api.events(&sid, Some(last_seen)).await.unwrap();
    let rest = collect_until(&mut resumed, Duration::from_secs(30), |e| {
        matches!(e.event.body, EventBody::TurnCompleted { .. })
    })
    .await
    .unwrap();
    assert!(rest.first().unwrap().seq > last_seen);

    // Reference: the full history from the beginning.
    let mut full = api.events(&sid, None).await.unwrap();
    let all = collect_until(&mut full, Duration::from_secs(30), |e| {
        matches!(e.event.body, EventBody::TurnCompleted { .. })
    })
    .await
    .unwrap();

    let joined: Vec<u64> = seen.iter().chain(rest.iter()).map(|e| e.seq).collect();
    let reference: Vec<u64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(joined, reference, "nothing lost, nothing twice");

    let text = text_deltas(seen.iter().chain(rest.iter()));
    assert_eq!(text, slow_text());
}
