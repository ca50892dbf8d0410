//! SSE streams (A3): the global stream and its filters, resume, heartbeats, the subscriber
//! limit, history older than the stream keeps (from Postgres), `gap` when nothing has it, and
//! dropping a client that stops reading.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use cm_e2e::{Api, Service, TestStack};
use cm_schemas::{Event, EventBody, Scope, StreamedEvent, commands, subjects};
use futures::{Stream, StreamExt};
use serde_json::Value;

use crate::script;

/// One SSE frame as sent: a comment (`: heartbeat`) or an event.
#[derive(Debug, Clone)]
struct Frame {
    comment: Option<String>,
    event: String,
    id: Option<u64>,
    data: String,
}

impl Frame {
    fn streamed(&self) -> Option<StreamedEvent> {
        if self.comment.is_some() || matches!(self.event.as_str(), "gap" | "dropped") {
            return None;
        }
        serde_json::from_str(&self.data).ok()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// An SSE reader that keeps every frame, comments included.
struct Sse {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buf: String,
    frames: VecDeque<Frame>,
}

async fn get(api: &Api, path: &str, last_event_id: Option<u64>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(api.url(path))
        .bearer_auth(&api.token);
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    req.send().await.unwrap()
}

impl Sse {
    async fn open(api: &Api, path: &str, last_event_id: Option<u64>) -> Sse {
        let resp = get(api, path, last_event_id).await;
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        Sse::from(resp)
    }

    fn from(resp: reqwest::Response) -> Sse {
        Sse {
            body: Box::pin(resp.bytes_stream().map(|r| r.map(|b| b.to_vec()))),
            buf: String::new(),
            frames: VecDeque::new(),
        }
    }

    /// The next frame; `None` when the stream ended.
    async fn frame(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(f) = self.frames.pop_front() {
                return Some(f);
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .expect("no SSE frame in time")?;
            self.buf
                .push_str(&String::from_utf8_lossy(&chunk.expect("SSE body")));
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                self.frames.extend(parse(&block));
            }
        }
    }

    /// Events (not comments) until `stop` says so, inclusive.
    async fn events_until(&mut self, mut stop: impl FnMut(&Frame) -> bool) -> Vec<Frame> {
        let mut out = Vec::new();
        loop {
            let f = self
                .frame(Duration::from_secs(60))
                .await
                .unwrap_or_else(|| panic!("stream ended after {} frames", out.len()));
            if f.comment.is_some() {
                continue;
            }
            let done = stop(&f);
            out.push(f);
            if done {
                return out;
            }
        }
    }

    /// Exactly `n` events.
    async fn events(&mut self, n: usize) -> Vec<Frame> {
        let mut left = n;
        self.events_until(|_| {
            left -= 1;
            left == 0
        })
        .await
    }
}

fn parse(block: &str) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut frame = Frame {
        comment: None,
        event: "message".into(),
        id: None,
        data: String::new(),
    };
    let mut has_fields = false;
    for line in block.lines().filter(|l| !l.is_empty()) {
        if let Some(c) = line.strip_prefix(':') {
            out.push(Frame {
                comment: Some(c.trim().to_owned()),
                ..frame.clone()
            });
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        has_fields = true;
        match field {
            "event" => frame.event = value.to_owned(),
            "id" => frame.id = value.parse().ok(),
            "data" => {
                if !frame.data.is_empty() {
                    frame.data.push('\n');
                }
                frame.data.push_str(value);
            }
            _ => {}
        }
    }
    if has_fields {
        out.push(frame);
    }
    out
}

fn seqs(frames: &[Frame]) -> Vec<u64> {
    frames.iter().filter_map(|f| f.id).collect()
}

fn is_kind(kind: &'static str) -> impl Fn(&Frame) -> bool {
    move |f| f.event == kind
}

fn completes(sid: &str) -> impl Fn(&Frame) -> bool + '_ {
    move |f| f.event == "turn.completed" && f.streamed().is_some_and(|e| e.event.scope_id == sid)
}

/// Waits until the session service has applied the session's events up to `seq`.
async fn wait_applied(api: &Api, sid: &str, seq: u64) {
    let path = format!("/api/sessions/{sid}");
    cm_test_support::wait_for(
        &format!("applied up to {seq}"),
        Duration::from_secs(30),
        || async {
            let applied = api.get(&path).await?["seq"].as_u64().unwrap_or(0);
            anyhow::ensure!(applied >= seq, "applied up to {applied}");
            Ok(())
        },
    )
    .await
    .unwrap();
}

fn probe(id: &str, message: impl Into<String>) -> Event {
    Event::new(
        Scope::Runtime,
        id,
        EventBody::RuntimeWarning {
            message: message.into(),
        },
    )
}

async fn purge_events(stack: &TestStack) -> u64 {
    let bus = stack.bus().await.unwrap();
    let mut stream = bus
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await
        .unwrap();
    stream.purge().await.unwrap();
    stream.info().await.unwrap().state.first_sequence
}

#[tokio::test(flavor = "multi_thread")]
async fn the_global_stream_merges_sessions_in_order_filters_and_resumes() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let (a, b) = (
        api.create_session().await.unwrap(),
        api.create_session().await.unwrap(),
    );
    let mut all = Sse::open(api, "/api/events?after=0", None).await;
    let mut completed = Sse::open(api, "/api/events?kind=turn.completed", None).await;
    let mut items_b = Sse::open(api, &format!("/api/events?sessionId={b}&kind=item.*"), None).await;
    let mut runtime = Sse::open(api, "/api/events?scope=runtime", None).await;
    let mut sessions = Sse::open(api, "/api/events?scope=session&kind=turn.*", None).await;

    let (ta, tb) = tokio::join!(api.send(&a, "hello"), api.send(&b, "hello"));
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    let mut done = (false, false);
    let merged = all
        .events_until(|f| {
            done.0 |= completes(&a)(f);
            done.1 |= completes(&b)(f);
            done == (true, true)
        })
        .await;
    let ids = seqs(&merged);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in seq order: {ids:?}");
    let scope_ids: Vec<String> = merged
        .iter()
        .filter_map(|f| f.streamed().map(|e| e.event.scope_id))
        .collect();
    assert!(scope_ids.contains(&a) && scope_ids.contains(&b));
    // The same envelope and ids as the per-session stream.
    let mut per_a = Sse::open(api, &format!("/api/sessions/{a}/events"), None).await;
    let per_a = per_a.events_until(completes(&a)).await;
    let a_done = per_a.last().unwrap().id;
    let from_all: Vec<&Frame> = merged
        .iter()
        .filter(|f| f.id <= a_done && f.streamed().is_some_and(|e| e.event.scope_id == a))
        .collect();
    assert_eq!(
        seqs(&per_a),
        from_all.iter().filter_map(|f| f.id).collect::<Vec<_>>()
    );
    assert_eq!(per_a[0].data, from_all[0].data);

    // Filters: by kind, by session and kind prefix, by scope.
    let done = completed.events(2).await;
    assert!(done.iter().all(is_kind("turn.completed")));
    let turns: Vec<String> = done
        .iter()
        .filter_map(|f| f.json()["data"]["turnId"].as_str().map(str::to_owned))
        .collect();
    assert!(turns.contains(&ta) && turns.contains(&tb), "{turns:?}");
    let items = items_b
        .events_until(|f| {
            f.event == "item.completed" && f.json()["data"]["itemType"] == "agentMessage"
        })
        .await;
    assert!(items.iter().any(is_kind("item.delta")));
    for f in &items {
        let e = f.streamed().unwrap();
        assert!(
            e.event.scope_id == b && e.event.body.kind().starts_with("item."),
            "{f:?}"
        );
    }
    let turn_kinds = sessions.events(4).await;
    assert!(
        turn_kinds.iter().all(|f| f.event.starts_with("turn.")),
        "{turn_kinds:?}"
    );
    let bus = stack.bus().await.unwrap();
    let probe_seq = bus.publish_event(&probe("probe", "scoped")).await.unwrap();
    let rt = runtime.events_until(|f| f.id == Some(probe_seq)).await;
    assert!(rt.iter().all(|f| f.json()["scope"] == "runtime"), "{rt:?}");
    let rest = all.events_until(|f| f.id == Some(probe_seq)).await;
    assert!(seqs(&rest).iter().all(|s| *s > *ids.last().unwrap()));

    // Resume the global stream in the middle: exactly the rest, in order.
    let middle = ids[ids.len() / 2];
    let mut resumed = Sse::open(api, "/api/events", Some(middle)).await;
    let again = resumed.events_until(|f| f.id == Some(probe_seq)).await;
    let expected: Vec<u64> = ids
        .iter()
        .chain(seqs(&rest).iter())
        .copied()
        .filter(|s| *s > middle)
        .collect();
    assert_eq!(seqs(&again), expected);

    // Bad filters are 400s before any stream starts.
    for bad in [
        "scope=jobs",
        "kind=Item",
        "sessionId=a.b",
        "scopeId=x",
        "after=x",
    ] {
        let (status, body) = api.get_raw(&format!("/api/events?{bad}")).await.unwrap();
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("validation")),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn heartbeats_follow_the_configured_interval_and_subscribers_are_limited() {
    let stack = TestStack::start_with_gateway(script(), |cfg| {
        cfg.streams.keep_alive = Duration::from_millis(200);
        cfg.streams.max_subscribers = 2;
    })
    .await
    .unwrap();
    let api = &stack.api;
    let mut first = Sse::open(api, "/api/events", None).await;
    let started = tokio::time::Instant::now();
    for _ in 0..3 {
        let f = first.frame(Duration::from_secs(5)).await.unwrap();
        assert_eq!(f.comment.as_deref(), Some("heartbeat"), "{f:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(3));

    let sid = api.create_session().await.unwrap();
    let second = Sse::open(api, &format!("/api/sessions/{sid}/events"), None).await;
    let over = get(api, "/api/events", None).await;
    assert_eq!(over.status().as_u16(), 429);
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["details"]["limit"], 2);
    // The rest of the API is not affected.
    api.get(&format!("/api/sessions/{sid}")).await.unwrap();

    // A closed stream frees its slot.
    drop(second);
    let path = format!("/api/sessions/{sid}/events");
    cm_test_support::wait_for("slot freed", Duration::from_secs(10), || async {
        let status = get(api, &path, None).await.status().as_u16();
        anyhow::ensure!(status == 200, "still {status}");
        Ok(())
    })
    .await
    .unwrap();
    // The first stream (which saw the session's events meanwhile) still has its heartbeats.
    loop {
        let f = first.frame(Duration::from_secs(5)).await.unwrap();
        if f.comment.is_some() {
            assert_eq!(f.comment.as_deref(), Some("heartbeat"));
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn history_older_than_the_stream_is_paged_from_postgres() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut live = Sse::open(api, &format!("/api/sessions/{sid}/events"), None).await;
    api.send(&sid, "hello").await.unwrap();
    let mut before = live.events_until(completes(&sid)).await;
    // Everything of the session so far, and applied (events after `turn.completed`, if any,
    // are picked up below).
    wait_applied(api, &sid, before.last().unwrap().id.unwrap()).await;
    let applied = api.get(&format!("/api/sessions/{sid}")).await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    if before.last().unwrap().id < Some(applied) {
        before.extend(live.events_until(|f| f.id >= Some(applied)).await);
    }
    let before_ids = seqs(&before);
    wait_applied(api, &sid, *before_ids.last().unwrap()).await;

    let first = purge_events(&stack).await;
    assert!(first > *before_ids.last().unwrap());

    // Resume from the middle: the missed events come from Postgres, then live ones, once each.
    let middle = before_ids[before_ids.len() / 2];
    let mut resumed = Sse::open(api, &format!("/api/sessions/{sid}/events"), Some(middle)).await;
    let missed: Vec<&Frame> = before.iter().filter(|f| f.id > Some(middle)).collect();
    let replayed = resumed.events(missed.len()).await;
    assert_eq!(
        replayed
            .iter()
            .map(|f| (&f.id, &f.event, &f.data))
            .collect::<Vec<_>>(),
        missed
            .iter()
            .map(|f| (&f.id, &f.event, &f.data))
            .collect::<Vec<_>>(),
    );
    api.send(&sid, "again").await.unwrap();
    let after = resumed.events_until(completes(&sid)).await;
    let after_ids = seqs(&after);
    assert!(after_ids[0] >= first, "{after_ids:?}");
    assert!(after_ids.windows(2).all(|w| w[0] < w[1]));

    // From the beginning: the whole session, history then stream, without gap or duplicate.
    let mut whole = Sse::open(api, &format!("/api/sessions/{sid}/events"), None).await;
    let everything = whole.events(before.len() + after.len()).await;
    assert_eq!(
        seqs(&everything),
        before_ids
            .iter()
            .chain(&after_ids)
            .copied()
            .collect::<Vec<_>>()
    );
    assert!(everything.iter().all(|f| f.event != "gap"));

    // The global stream pages history the same way, filters included.
    let path = format!("/api/events?sessionId={sid}&kind=turn.*");
    let mut turns = Sse::open(api, &path, Some(0)).await;
    let t = turns.events(4).await;
    let kinds: Vec<&str> = t.iter().map(|f| f.event.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "turn.started",
            "turn.completed",
            "turn.started",
            "turn.completed"
        ]
    );
    assert!(t[1].id < Some(first) && t[2].id >= Some(first));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gap_is_reported_when_neither_stream_nor_postgres_has_the_events() {
    let mut stack = TestStack::start(script()).await.unwrap();
    let bus = stack.bus().await.unwrap();
    let kept = bus
        .publish_event(&probe("gap-probe", "kept"))
        .await
        .unwrap();
    // The session service stores it (every scope goes to Postgres).
    let page = async |before: Option<u64>| -> cm_schemas::history::EventPage {
        bus.request(
            &subjects::command(
                subjects::prefix::SESSION,
                commands::verb::SESSION_EVENTS_PAGE,
            ),
            &serde_json::json!({ "scope": "runtime", "scopeId": "gap-probe", "afterSeq": 0,
                                 "beforeSeq": before }),
            Duration::from_secs(10),
        )
        .await
        .unwrap()
    };
    cm_test_support::wait_for("probe stored", Duration::from_secs(30), || async {
        anyhow::ensure!(!page(None).await.events.is_empty(), "not yet");
        Ok(())
    })
    .await
    .unwrap();

    // These never reach Postgres: the session service is down until they left the stream.
    stack.stop_service(Service::Session).await.unwrap();
    let mut lost = Vec::new();
    for i in 0..3 {
        lost.push(
            bus.publish_event(&probe("gap-probe", format!("lost {i}")))
                .await
                .unwrap(),
        );
    }
    let first = purge_events(&stack).await;
    stack.start_service(Service::Session).await.unwrap();
    stack.wait_ready().await.unwrap();
    let stored = page(Some(first)).await;
    assert_eq!(seqs_of(&stored.events), [kept]);
    let hole = stored.missing.first().copied().unwrap();
    assert!(
        kept < hole.from && hole.from <= lost[0] && hole.to == first - 1,
        "{stored:?}"
    );

    let path = "/api/events?scope=runtime&scopeId=gap-probe";
    let mut resumed = Sse::open(&stack.api, path, Some(kept)).await;
    let gap = resumed.frame(Duration::from_secs(30)).await.unwrap();
    assert_eq!(gap.event, "gap", "{gap:?}");
    let data = gap.json();
    assert_eq!(data["from"], hole.from);
    assert_eq!(data["to"], first - 1);
    assert_eq!(data["action"], "refetch_snapshot");
    assert_eq!(gap.id, Some(first - 1));
    assert!(*lost.last().unwrap() < first);
    // Then it goes on live.
    let next = bus
        .publish_event(&probe("gap-probe", "after"))
        .await
        .unwrap();
    let after = resumed.events(1).await;
    assert_eq!(after[0].id, Some(next));
    assert_eq!(after[0].json()["data"]["message"], "after");
}

fn seqs_of(events: &[StreamedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_stops_reading_is_dropped_while_others_keep_receiving() {
    let stack = TestStack::start_with_gateway(script(), |cfg| {
        cfg.streams.buffer = 4;
        cfg.streams.slow_consumer_after = Duration::from_secs(2);
        // The stuck client and the reader: a third stream opens once one of them is gone.
        cfg.streams.max_subscribers = 2;
    })
    .await
    .unwrap();
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let start = api.get(&format!("/api/sessions/{sid}")).await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let path = format!("/api/sessions/{sid}/events?kind=runtime.warning");
    // The stuck client: headers read, body never.
    let stuck = get(api, &path, Some(start)).await;
    assert_eq!(stuck.status().as_u16(), 200);
    let mut reader = Sse::open(api, &path, Some(start)).await;

    // Far more than socket buffers hold.
    let bus = stack.bus().await.unwrap();
    let big = "x".repeat(16 * 1024);
    let total = 800;
    let publisher = tokio::spawn(async move {
        let mut last = 0;
        for i in 0..total {
            let ev = Event::session(
                &sid,
                EventBody::RuntimeWarning {
                    message: format!("{i} {big}"),
                },
            );
            last = bus.publish_event(&ev).await.unwrap();
        }
        last
    });
    // (The runtime may add warnings of its own; ours are told by their number.)
    let number = |f: &Frame| -> Option<usize> {
        let m = f.json()["data"]["message"].as_str()?.to_owned();
        m.ends_with("xxxx")
            .then(|| m.split(' ').next()?.parse().ok())?
    };
    let got = reader.events_until(|f| number(f) == Some(total - 1)).await;
    let last = publisher.await.unwrap();
    assert_eq!(got.last().unwrap().id, Some(last));
    let numbers: Vec<usize> = got.iter().filter_map(number).collect();
    assert_eq!(
        numbers,
        (0..total).collect::<Vec<_>>(),
        "every event, once, in order"
    );

    // Once the gateway has given up on the stuck client (its slot is freed then), it reads:
    // what was queued, then `dropped`.
    cm_test_support::wait_for("stuck client dropped", Duration::from_secs(30), || async {
        let status = get(api, "/api/events", None).await.status().as_u16();
        anyhow::ensure!(status == 200, "still {status}");
        Ok(())
    })
    .await
    .unwrap();
    let mut stuck = Sse::from(stuck);
    let mut received = Vec::new();
    let dropped = loop {
        let f = stuck
            .frame(Duration::from_secs(30))
            .await
            .expect("ended without `dropped`");
        if f.comment.is_some() {
            continue;
        }
        if f.event == "dropped" {
            break f;
        }
        received.push(f);
    };
    assert_eq!(dropped.json()["reason"], "slow_consumer");
    let last_seq = dropped.json()["lastSeq"].as_u64().unwrap();
    assert_eq!(received.last().unwrap().id, Some(last_seq));
    let received: Vec<usize> = received.iter().filter_map(number).collect();
    assert!(
        !received.is_empty() && received.len() < total,
        "{}",
        received.len()
    );
    assert!(
        stuck.frame(Duration::from_secs(5)).await.is_none(),
        "stream ends"
    );

    // It reconnects with Last-Event-ID and gets the rest.
    let mut again = Sse::open(api, &path, Some(last_seq)).await;
    let rest = again.events_until(|f| f.id == Some(last)).await;
    let rest: Vec<usize> = rest.iter().filter_map(number).collect();
    let joined: Vec<usize> = received.iter().chain(&rest).copied().collect();
    assert_eq!(joined, (0..total).collect::<Vec<_>>());
}
