//! Supplemental transcript entries (`PUT /api/sessions/{id}/transcript/{messageId}`): upserted
//! by message id, keeping their place; merged with the turns by `seq`; gone with a rolled-back
//! turn or a deleted session; and every error status of the route.

use std::time::Duration;

use cm_e2e::{TestStack, collect_until};
use cm_schemas::EventBody;
use reqwest::Method;
use serde_json::{Value, json};

use crate::lifecycle::wait_turn;
use crate::projects::{assert_error, call};
use crate::script;

fn entry_path(sid: &str, message_id: &str) -> String {
    format!("/api/sessions/{sid}/transcript/{message_id}")
}

async fn put(api: &cm_e2e::Api, sid: &str, message_id: &str, body: Value) -> (u16, Value) {
    call(api, Method::PUT, &entry_path(sid, message_id), Some(body)).await
}

fn message_ids(snap: &Value) -> Vec<&str> {
    snap["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["messageId"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_are_upserted_by_message_id_keep_their_place_and_merge_with_turns() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();

    let (status, first) = put(
        api,
        &sid,
        "note-1",
        json!({ "role": "note", "text": "before" }),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["messageId"], "note-1");
    assert_eq!(first["role"], "note");
    assert_eq!(first["turnId"], Value::Null);
    assert_eq!(first["seq"], first["updatedSeq"]);
    let first_seq = first["seq"].as_u64().unwrap();

    let turn = api.send(&sid, "hello").await.unwrap();
    wait_turn(api, &sid, &turn).await;
    let body = json!({ "role": "system", "text": "about the turn", "turnId": turn, "data": {"k": [1, 2]} });
    let (status, second) = put(api, &sid, "sys-1", body).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["turnId"], turn.as_str());
    assert_eq!(second["data"], json!({"k": [1, 2]}));

    // The same message id again: content replaced, place kept.
    let body = json!({ "role": "note", "text": "after", "data": {"edited": true} });
    let (status, again) = put(api, &sid, "note-1", body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["seq"].as_u64(), Some(first_seq));
    assert!(again["updatedSeq"].as_u64().unwrap() > second["seq"].as_u64().unwrap());
    assert_eq!(again["text"], "after");
    assert_eq!(again["data"], json!({"edited": true}));

    // The snapshot: entries by position, turns with theirs, one merged order.
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(message_ids(&snap), ["note-1", "sys-1"]);
    assert_eq!(snap["entries"][0]["text"], "after");
    let turn_seq = snap["turns"][0]["seq"].as_u64().unwrap();
    let entry_seqs: Vec<u64> = snap["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(
        entry_seqs[0] < turn_seq && turn_seq < entry_seqs[1],
        "{snap}"
    );

    // Each write is one `transcript.upserted` on the session's stream, in order.
    let mut upserts = Vec::new();
    collect_until(&mut events, Duration::from_secs(30), |e| {
        if let EventBody::TranscriptUpserted {
            message_id, text, ..
        } = &e.event.body
        {
            upserts.push((e.seq, message_id.clone(), text.clone()));
        }
        upserts.len() == 3
    })
    .await
    .unwrap();
    let expected = [
        (first_seq, "note-1", "before"),
        (second["seq"].as_u64().unwrap(), "sys-1", "about the turn"),
        (again["updatedSeq"].as_u64().unwrap(), "note-1", "after"),
    ];
    let got: Vec<(u64, &str, &str)> = upserts
        .iter()
        .map(|(s, m, t)| (*s, m.as_str(), t.as_str()))
        .collect();
    assert_eq!(got, expected);

    // The consumer applied the same events: after it caught up, the snapshot is unchanged.
    let last = again["updatedSeq"].as_u64().unwrap();
    let settled = cm_test_support::wait_for("events applied", Duration::from_secs(10), || async {
        let s = api.get(&format!("/api/sessions/{sid}")).await?;
        anyhow::ensure!(s["seq"].as_u64() >= Some(last), "not yet");
        Ok(s)
    })
    .await
    .unwrap();
    assert_eq!(settled["entries"], snap["entries"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_route_answers_each_error_status() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let ok = json!({ "role": "user", "text": "hi" });

    let bad = put(api, &sid, "m", json!({ "role": "robot", "text": "hi" })).await;
    assert_error(&bad, 400, "validation", Some("role"));
    let bad = put(api, &sid, "m", json!({ "text": "no role" })).await;
    assert_error(&bad, 400, "validation", Some("body"));
    let bad = put(
        api,
        &sid,
        "m",
        json!({ "role": "user", "text": "hi", "extra": 1 }),
    )
    .await;
    assert_error(&bad, 400, "validation", Some("body"));
    let bad = put(
        api,
        &sid,
        "m",
        json!({ "role": "user", "text": "hi", "turnId": "nope" }),
    )
    .await;
    assert_error(&bad, 400, "validation", Some("turnId"));
    let long_id = "x".repeat(201);
    let bad = put(api, &sid, &long_id, ok.clone()).await;
    assert_error(&bad, 400, "validation", Some("messageId"));
    let big = json!({ "role": "user", "text": "x".repeat(256 * 1024 + 1) });
    let bad = put(api, &sid, "m", big).await;
    assert_error(&bad, 413, "payload_too_large", Some("text"));
    assert_eq!(bad.1["error"]["details"]["limit"], 256 * 1024);
    // Nothing of the refused writes was recorded.
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(snap["entries"], json!([]));

    let unknown = put(api, "no-such-session", "m", ok.clone()).await;
    assert_error(&unknown, 404, "not_found", None);
    let (status, _) = call(api, Method::DELETE, &format!("/api/sessions/{sid}"), None).await;
    assert_eq!(status, 204);
    let gone = put(api, &sid, "m", ok).await;
    assert_error(&gone, 410, "gone", None);
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_takes_the_turns_entries_and_fork_copies_the_rest() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let t1 = api.send(&sid, "one").await.unwrap();
    wait_turn(api, &sid, &t1).await;
    let t2 = api.send(&sid, "two").await.unwrap();
    wait_turn(api, &sid, &t2).await;
    for (id, turn) in [("free", None), ("of-t1", Some(&t1)), ("of-t2", Some(&t2))] {
        let (status, body) = put(
            api,
            &sid,
            id,
            json!({ "role": "note", "text": id, "turnId": turn }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }

    let (status, body) = call(
        api,
        Method::POST,
        &format!("/api/sessions/{sid}/rollback"),
        Some(json!({ "turns": 1 })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(message_ids(&snap), ["free", "of-t1"]);

    // The consumer applies the rollback too (after the upserts), and leaves the same entries.
    let mut events = api.events(&sid, None).await.unwrap();
    let evs = collect_until(&mut events, Duration::from_secs(30), |e| {
        matches!(e.event.body, EventBody::SessionRolledBack { .. })
    })
    .await
    .unwrap();
    let rolled_back = evs.last().unwrap().seq;
    let settled =
        cm_test_support::wait_for("rollback applied", Duration::from_secs(10), || async {
            let s = api.get(&format!("/api/sessions/{sid}")).await?;
            anyhow::ensure!(s["seq"].as_u64() >= Some(rolled_back), "not yet");
            Ok(s)
        })
        .await
        .unwrap();
    assert_eq!(message_ids(&settled), ["free", "of-t1"]);

    // A fork starts with the entries of its copied turns and those of no turn.
    let fork = api
        .post(&format!("/api/sessions/{sid}/fork"), json!({}))
        .await
        .unwrap();
    let fid = fork["id"].as_str().unwrap();
    let fsnap = api.get(&format!("/api/sessions/{fid}")).await.unwrap();
    assert_eq!(message_ids(&fsnap), ["free", "of-t1"]);
    assert_eq!(fsnap["entries"], snap["entries"]);
}
