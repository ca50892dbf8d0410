//! Scenario `fanout`: many SSE clients watching one session while turns run.
//!
//! For one client (the baseline) and then for K clients (the system), on a fresh session each:
//! open the streams, run turns one after the other, and record for every event each client
//! receives its delivery latency — arrival time minus the event's `time`, which the runtime
//! bridge stamps when it creates the event (same process, same clock). Also the turn latency as
//! the slowest client sees it (POST → its `turn.completed`). The clients are tasks of this
//! process, so their own SSE and JSON decoding shares the two cores with the services.

use std::time::{Duration, Instant};

use anyhow::Context;
use cm_e2e::{SseStream, TestStack};
use cm_schemas::EventBody;
use futures::StreamExt;
use tokio::sync::mpsc;

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
    let one = phase(stack, 1, iterations, warmup).await?;
    let many = phase(stack, clients.max(1), iterations, warmup).await?;
    let label = |what: &str| format!("{what} (1 vs {clients} clients)");
    Ok(vec![
        Row::new(
            SCENARIO,
            label("delivery median"),
            Unit::Ms,
            one.delivery.median_ms,
            many.delivery.median_ms,
            one.delivery.n,
        ),
        Row::new(
            SCENARIO,
            label("delivery p90"),
            Unit::Ms,
            one.delivery.p90_ms,
            many.delivery.p90_ms,
            one.delivery.n,
        ),
        Row::new(
            SCENARIO,
            label("turn, slowest client"),
            Unit::Ms,
            one.turn.median_ms,
            many.turn.median_ms,
            one.turn.n,
        ),
    ])
}

struct Phase {
    delivery: Summary,
    turn: Summary,
}

async fn phase(
    stack: &TestStack,
    clients: usize,
    iterations: usize,
    warmup: usize,
) -> anyhow::Result<Phase> {
    let sid = stack.api.create_session().await?;
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Instant>();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        // The gateway creates its consumer before answering, so once this returns the client
        // will see every event that follows.
        let sse = stack.api.events(&sid, None).await?;
        tasks.push(tokio::spawn(client(
            sse,
            done_tx.clone(),
            warmup,
            warmup + iterations,
        )));
    }
    drop(done_tx);

    let mut turns = Vec::with_capacity(iterations);
    for i in 0..warmup + iterations {
        let t = Instant::now();
        stack.api.send(&sid, PROMPT).await?;
        let mut slowest = t;
        for _ in 0..clients {
            let at = tokio::time::timeout(TIMEOUT, done_rx.recv())
                .await
                .context("a client did not see turn.completed within 60 s")?
                .context("a client stopped early")?;
            slowest = slowest.max(at);
        }
        if i >= warmup {
            turns.push(slowest - t);
        }
    }
    let mut delivery = Vec::new();
    for task in tasks {
        delivery.extend(task.await??);
    }
    Ok(Phase {
        delivery: Summary::of(&delivery),
        turn: Summary::of(&turns),
    })
}

/// Reads until `turns` turns completed; returns the delivery latencies of events after the
/// first `skip` turns, and reports each `turn.completed` arrival on `done`.
async fn client(
    mut sse: SseStream,
    done: mpsc::UnboundedSender<Instant>,
    skip: usize,
    turns: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    let mut completed = 0;
    while completed < turns {
        let ev = tokio::time::timeout(TIMEOUT, sse.next())
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
            // The driver may have given up already; nothing to do then.
            let _ = done.send(arrived);
        }
    }
    Ok(latencies)
}
