//! Issue #4's stream guarantees end to end: a client resumes with `Last-Event-ID` across a
//! gateway restart with no gap and no duplicate, and a snapshot taken mid-turn plus the stream
//! from its `seq` reproduces the live transcript exactly.

use std::time::Duration;

use cm_e2e::{Service, SseStream, TestStack, collect_deltas, collect_until, text_deltas};
use cm_schemas::item::{completed_status, delta_item_type, item_text};
use cm_schemas::{EventBody, StreamedEvent};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::{script, slow_text};

const T: Duration = Duration::from_secs(30);

fn is_turn_end(e: &StreamedEvent) -> bool {
    matches!(e.event.body, EventBody::TurnCompleted { .. })
}

/// Whatever a stream still yields until it ends (the server went away) or goes quiet.
async fn drain(stream: &mut SseStream) -> Vec<StreamedEvent> {
    let mut out = Vec::new();
    while let Ok(Some(Ok(ev))) = tokio::time::timeout(Duration::from_secs(2), stream.next()).await {
        out.push(ev);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_resumes_across_a_gateway_restart_with_no_gap_and_no_duplicate() {
    let mut stack = TestStack::start(script()).await.unwrap();
    let api = stack.api.clone();
    let sid = api.create_session().await.unwrap();

    let mut first = api.events(&sid, None).await.unwrap();
    api.send(&sid, "SLOW please").await.unwrap();
    let mut seen = collect_deltas(&mut first, T, 3).await.unwrap();

    // The gateway goes away mid-turn; its streams end. Keep what arrived before they did.
    stack.restart_service(Service::Gateway).await.unwrap();
    seen.extend(drain(&mut first).await);
    drop(first);
    let last_seen = seen.last().unwrap().seq;
    assert!(
        !seen.iter().any(is_turn_end),
        "the turn should still run when the gateway goes"
    );

    let mut resumed = api.events(&sid, Some(last_seen)).await.unwrap();
    let rest = collect_until(&mut resumed, T, is_turn_end).await.unwrap();

    let mut full = api.events(&sid, None).await.unwrap();
    let all = collect_until(&mut full, T, is_turn_end).await.unwrap();
    let joined: Vec<u64> = seen.iter().chain(&rest).map(|e| e.seq).collect();
    let reference: Vec<u64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(joined, reference, "nothing lost, nothing twice");
    let text = text_deltas(seen.iter().chain(&rest));
    assert_eq!(text, slow_text());
}

/// `(id, type, status, text)` of an item.
type Item = (String, String, String, String);
/// `(turn id, seq, status, items)`.
type Turn = (String, Option<u64>, String, Vec<Item>);

/// The transcript as a client keeps it: turns with their items, and supplemental entries.
#[derive(Debug, Default, Clone, PartialEq)]
struct Transcript {
    /// `(turn id, seq, status, items: (id, type, status, text))`, in order.
    turns: Vec<Turn>,
    /// `(message id, seq, role, text, data)`, by place.
    entries: Vec<(String, u64, String, String, Value)>,
}

impl Transcript {
    fn of_snapshot(snap: &Value) -> Self {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let turns = snap["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let items = t["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            s(&i["id"]),
                            s(&i["itemType"]),
                            s(&i["status"]),
                            s(&i["text"]),
                        )
                    })
                    .collect();
                (s(&t["id"]), t["seq"].as_u64(), s(&t["status"]), items)
            })
            .collect();
        let mut entries: Vec<_> = snap["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let data = e["data"].clone();
                (
                    s(&e["messageId"]),
                    e["seq"].as_u64().unwrap(),
                    s(&e["role"]),
                    s(&e["text"]),
                    data,
                )
            })
            .collect();
        entries.sort_by_key(|e| e.1);
        Self { turns, entries }
    }

    fn turn(&mut self, id: &str, seq: u64) -> &mut Turn {
        let at = match self.turns.iter().position(|t| t.0 == id) {
            Some(at) => at,
            None => {
                self.turns
                    .push((id.to_owned(), None, "inProgress".into(), Vec::new()));
                self.turns.len() - 1
            }
        };
        let turn = &mut self.turns[at];
        turn.1.get_or_insert(seq);
        turn
    }

    fn item<'a>(turn: &'a mut Turn, id: &str, item_type: &str) -> &'a mut Item {
        let items = &mut turn.3;
        let at = match items.iter().position(|i| i.0 == id) {
            Some(at) => at,
            None => {
                items.push((
                    id.to_owned(),
                    item_type.to_owned(),
                    "streaming".into(),
                    String::new(),
                ));
                items.len() - 1
            }
        };
        &mut items[at]
    }

    /// Folds one event the way a client does (and the session service's consumer).
    fn apply(&mut self, ev: &StreamedEvent) {
        let seq = ev.seq;
        match &ev.event.body {
            EventBody::TurnStarted { turn_id } => {
                self.turn(turn_id, seq);
            }
            EventBody::ItemStarted {
                turn_id,
                item_id,
                item_type,
                item,
            } => {
                let turn = self.turn(turn_id, seq);
                let fresh = !turn.3.iter().any(|i| &i.0 == item_id);
                let it = Self::item(turn, item_id, item_type.as_str());
                if fresh {
                    it.3 = item_text(item).unwrap_or_default();
                }
            }
            EventBody::ItemDelta {
                turn_id,
                item_id,
                stream,
                delta,
            } => {
                let item_type = delta_item_type(*stream).unwrap_or("unknown");
                let turn = self.turn(turn_id, seq);
                Self::item(turn, item_id, item_type).3.push_str(delta);
            }
            EventBody::ItemCompleted {
                turn_id,
                item_id,
                item_type,
                item,
            } => {
                let turn = self.turn(turn_id, seq);
                let it = Self::item(turn, item_id, item_type.as_str());
                it.1 = item_type.to_string();
                it.2 = completed_status(item).to_owned();
                if let Some(text) = item_text(item) {
                    it.3 = text;
                }
            }
            EventBody::TurnCompleted {
                turn_id, status, ..
            } => {
                let turn = self.turn(turn_id, seq);
                turn.2 = status.as_str().to_owned();
                for item in &mut turn.3 {
                    if item.2 == "streaming" {
                        item.2 = "canceled".into();
                    }
                }
            }
            EventBody::TranscriptUpserted {
                message_id,
                role,
                text,
                data,
                ..
            } => {
                let data = data.clone().unwrap_or(Value::Null);
                match self.entries.iter_mut().find(|e| &e.0 == message_id) {
                    Some(e) => (e.2, e.3, e.4) = (role.clone(), text.clone(), data),
                    None => self.entries.push((
                        message_id.clone(),
                        seq,
                        role.clone(),
                        text.clone(),
                        data,
                    )),
                }
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_plus_the_stream_from_its_seq_reproduces_the_live_transcript() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let entry = |text: &str| json!({ "role": "note", "text": text, "data": {"v": text} });
    let put = |id: &str, body: Value| {
        let path = format!("/api/sessions/{sid}/transcript/{id}");
        async move { crate::projects::call(api, reqwest::Method::PUT, &path, Some(body)).await }
    };

    // A client that follows everything live, from the start.
    let mut live = api.events(&sid, None).await.unwrap();
    assert_eq!(put("before", entry("one")).await.0, 201);
    api.send(&sid, "SLOW please").await.unwrap();
    let mut live_seen = collect_deltas(&mut live, T, 5).await.unwrap();
    assert_eq!(put("during", entry("two")).await.0, 201);

    // Mid-turn: a snapshot, then the stream from its sequence.
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(snap["turns"][0]["status"], "inProgress", "{snap}");
    let snap_seq = snap["seq"].as_u64().unwrap();
    let mut from_snapshot = api.events(&sid, Some(snap_seq)).await.unwrap();
    assert_eq!(put("before", entry("one, edited")).await.0, 200);
    let tail = collect_until(&mut from_snapshot, T, is_turn_end)
        .await
        .unwrap();
    live_seen.extend(collect_until(&mut live, T, is_turn_end).await.unwrap());
    // The edit may land after the turn's end: follow both streams to it.
    let edited = |e: &StreamedEvent| matches!(&e.event.body, EventBody::TranscriptUpserted { text, .. } if text == "one, edited");
    let mut tail = tail;
    if !tail.iter().any(edited) {
        tail.extend(collect_until(&mut from_snapshot, T, edited).await.unwrap());
    }
    if !live_seen.iter().any(edited) {
        live_seen.extend(collect_until(&mut live, T, edited).await.unwrap());
    }
    let last = tail.last().unwrap().seq;
    assert_eq!(last, live_seen.last().unwrap().seq);

    // The stream from the snapshot is exactly the live stream after it.
    assert!(tail.first().unwrap().seq > snap_seq);
    let live_after: Vec<u64> = live_seen
        .iter()
        .map(|e| e.seq)
        .filter(|s| *s > snap_seq)
        .collect();
    assert_eq!(tail.iter().map(|e| e.seq).collect::<Vec<_>>(), live_after);

    // Folding: snapshot + tail == everything from zero == the final snapshot.
    let mut folded = Transcript::of_snapshot(&snap);
    for ev in &tail {
        folded.apply(ev);
    }
    let mut from_zero = Transcript::default();
    for ev in &live_seen {
        from_zero.apply(ev);
    }
    let last_applied = cm_test_support::wait_for("events applied", T, || async {
        let s = api.get(&format!("/api/sessions/{sid}")).await?;
        anyhow::ensure!(s["seq"].as_u64() >= Some(last), "not yet");
        Ok(s)
    })
    .await
    .unwrap();
    let final_snapshot = Transcript::of_snapshot(&last_applied);
    assert_eq!(folded, final_snapshot);
    assert_eq!(from_zero, final_snapshot);
    let agent_text = &final_snapshot.turns[0]
        .3
        .iter()
        .find(|i| i.1 == "agentMessage")
        .unwrap()
        .3;
    assert_eq!(agent_text, &slow_text());
    let entries: Vec<(&str, &str)> = final_snapshot
        .entries
        .iter()
        .map(|e| (e.0.as_str(), e.3.as_str()))
        .collect();
    assert_eq!(entries, [("before", "one, edited"), ("during", "two")]);
}
