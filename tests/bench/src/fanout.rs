//! Scenario `fanout`: many SSE clients watching one session while turns run.
//!
//! Two sessions: A watched by one SSE client (the baseline), B by K clients (the system). Turns
//! alternate between A and B, one at a time, so both see the same background load. Every
//! client records, for every event it receives, its delivery latency — arrival time minus the
//! event's `time`, which the runtime bridge stamps when it creates the event (same process,
//! same clock) — and the driver records the turn latency as the slowest client of the session
//! sees it (POST → its `turn.completed`). The clients are tasks of this process, so their own
//! SSE and JSON decoding shares the two cores with the services.
//!
//! A raw JetStream ordered consumer on A's subjects (what the gateway itself reads) watches A's
//! events too, which separates the gateway/HTTP hop from the bus: the first rows compare it with
//! A's SSE client.

use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use cm_e2e::{SseStream, TestStack};
use cm_schemas::{Event, EventBody, Scope, StreamedEvent, subjects};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::report::{Row, Unit};
use crate::script::PROMPT;
use crate::stats::Summary;

const SCENARIO: &str = "fanout";
const TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run(
    stack: &TestStack,
    clients: usize,
    iterations: usize,
    warmup: usize,
) -> anyhow::Result<Vec<Row>> {
    let turns = warmup + iterations;
    let mut one = Group::open(stack, 1, warmup, turns).await?;
    let raw = spawn_client(raw_events(stack, &one.sid).await?, None, warmup, turns);
    let mut many = Group::open(stack, clients.max(1), warmup, turns).await?;
    let (mut one_turns, mut many_turns) = (Vec::new(), Vec::new());
    for i in 0..turns {
        let a = one.turn(stack).await?;
        let b = many.turn(stack).await?;
        if i >= warmup {
            one_turns.push(a);
            many_turns.push(b);
        }
    }
    let raw = Summary::of(&finish(raw).await?);
    let one_d = one.delivery().await?;
    let many_d = many.delivery().await?;
    let (one_t, many_t) = (Summary::of(&one_turns), Summary::of(&many_turns));
    let label = |what: &str| format!("{what} (1 vs {clients} clients)");
    Ok(vec![
        Row::new(
            SCENARIO,
            "delivery median (raw JS vs 1 SSE)",
            Unit::Ms,
            raw.median_ms,
            one_d.median_ms,
            raw.n,
        ),
        Row::new(
            SCENARIO,
            "delivery p90 (raw JS vs 1 SSE)",
            Unit::Ms,
            raw.p90_ms,
            one_d.p90_ms,
            raw.n,
        ),
        Row::new(
            SCENARIO,
            label("delivery median"),
            Unit::Ms,
            one_d.median_ms,
            many_d.median_ms,
            one_d.n,
        ),
        Row::new(
            SCENARIO,
            label("delivery p90"),
            Unit::Ms,
            one_d.p90_ms,
            many_d.p90_ms,
            one_d.n,
        ),
        Row::new(
            SCENARIO,
            label("turn, slowest client"),
            Unit::Ms,
            one_t.median_ms,
            many_t.median_ms,
            one_t.n,
        ),
    ])
}

/// One session and the SSE clients watching it.
struct Group {
    sid: String,
    clients: usize,
    done: mpsc::UnboundedReceiver<Instant>,
    tasks: Vec<JoinHandle<anyhow::Result<Vec<Duration>>>>,
}

impl Group {
    async fn open(
        stack: &TestStack,
        clients: usize,
        skip: usize,
        turns: usize,
    ) -> anyhow::Result<Self> {
        let sid = stack.api.create_session().await?;
        let (tx, done) = mpsc::unbounded_channel();
        let mut tasks = Vec::with_capacity(clients);
        for _ in 0..clients {
            // The gateway creates its consumer before answering, so once this returns the
            // client will see every event that follows.
            let sse = stack.api.events(&sid, None).await?;
            tasks.push(spawn_client(sse, Some(tx.clone()), skip, turns));
        }
        Ok(Self {
            sid,
            clients,
            done,
            tasks,
        })
    }

    /// Runs one turn; returns when every client has seen its `turn.completed`.
    async fn turn(&mut self, stack: &TestStack) -> anyhow::Result<Duration> {
        let t = Instant::now();
        stack.api.send(&self.sid, PROMPT).await?;
        let mut slowest = t;
        for _ in 0..self.clients {
            let at = tokio::time::timeout(TIMEOUT, self.done.recv())
                .await
                .context("a client did not see turn.completed within 60 s")?
                .context("a client stopped early")?;
            slowest = slowest.max(at);
        }
        Ok(slowest - t)
    }

    /// The delivery latencies of all clients, once they have read every turn.
    async fn delivery(self) -> anyhow::Result<Summary> {
        let mut all = Vec::new();
        for task in self.tasks {
            all.extend(finish(task).await?);
        }
        Ok(Summary::of(&all))
    }
}

type ClientTask = JoinHandle<anyhow::Result<Vec<Duration>>>;

async fn finish(task: ClientTask) -> anyhow::Result<Vec<Duration>> {
    tokio::time::timeout(TIMEOUT, task)
        .await
        .context("a client did not finish")??
}

/// Reads until `turns` turns completed; returns the delivery latencies of events after the
/// first `skip` turns, and reports each `turn.completed` arrival on `done`.
fn spawn_client(
    mut events: SseStream,
    done: Option<mpsc::UnboundedSender<Instant>>,
    skip: usize,
    turns: usize,
) -> ClientTask {
    tokio::spawn(async move {
        let mut latencies = Vec::new();
        let mut completed = 0;
        while completed < turns {
            let ev = tokio::time::timeout(TIMEOUT, events.next())
                .await
                .context("no event within 60 s")?
                .context("event stream ended")??;
            let arrived = Instant::now();
            let age = chrono::Utc::now() - ev.event.time;
            let measured =
                completed >= skip && !matches!(ev.event.body, EventBody::SessionCreated { .. });
            if measured {
                latencies.push(age.to_std().unwrap_or_default());
            }
            if matches!(ev.event.body, EventBody::TurnCompleted { .. }) {
                completed += 1;
                if let Some(done) = &done {
                    // The driver may have given up already; nothing to do then.
                    let _ = done.send(arrived);
                }
            }
        }
        Ok(latencies)
    })
}

/// The session's events from a JetStream ordered consumer, as the gateway reads them.
async fn raw_events(stack: &TestStack, sid: &str) -> anyhow::Result<SseStream> {
    let bus = stack.bus().await?;
    let consumer = bus
        .jetstream()
        .get_stream(subjects::EVENTS_STREAM)
        .await?
        .create_consumer(OrderedConfig {
            filter_subject: subjects::event_filter(Scope::Session, sid),
            ..Default::default()
        })
        .await?;
    let messages = consumer.messages().await?;
    Ok(Box::pin(messages.map(move |m| {
        // The stream keeps the connection alive as long as it is read.
        let _ = &bus;
        let msg = m.map_err(|e| anyhow::anyhow!("{e}"))?;
        let seq = msg
            .info()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .stream_sequence;
        let event: Event = serde_json::from_slice(&msg.payload)?;
        Ok(StreamedEvent { seq, event })
    })))
}
