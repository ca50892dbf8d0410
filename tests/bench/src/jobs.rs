//! Scenario `jobs`: no-op jobs from enqueue to completed.
//!
//! Baseline: a raw JetStream work queue on the same nats-server — `WINDOW` publishes in flight
//! into a `WorkQueue` stream, then one pull consumer fetching and acking every message: the
//! least a durable queue does per job (store it, hand it out once, forget it). System: the
//! same number of `noop` jobs through `cm.v1.queue.job.enqueue` (`WINDOW` in flight, each a
//! signed bus request, a Postgres transaction with its outbox row), run by the stack's queue
//! worker, until `queue.stats` counts them all completed and their events are out of the
//! outbox (each job's `job.queued`, `job.started` and `job.completed` on CM_EVENTS).

use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::{self, consumer, stream};
use cm_e2e::TestStack;
use cm_schemas::commands::queue;
use cm_schemas::job::EnqueueJob;
use futures::{StreamExt, TryStreamExt};

use crate::report::{Row, Unit};
use crate::stats::{median, rate};

/// Enqueues (or raw publishes) in flight.
const WINDOW: usize = 32;
/// Alternating rounds per side.
const ROUNDS: usize = 3;
const SCENARIO: &str = "jobs";
const T: Duration = Duration::from_secs(30);

pub async fn run(stack: &TestStack, n: usize, warmup_rounds: usize) -> anyhow::Result<Vec<Row>> {
    let bus = stack.bus().await?;
    let js = bus.jetstream().clone();
    let raw_stream = js
        .create_stream(stream::Config {
            name: "CM_BENCH_WORK".to_owned(),
            subjects: vec!["cm.bench.work".to_owned()],
            retention: stream::RetentionPolicy::WorkQueue,
            ..Default::default()
        })
        .await
        .context("creating the baseline work queue")?;
    // One consumer for every round: a work queue takes one unfiltered consumer only.
    let consumer = raw_stream
        .create_consumer(consumer::pull::Config {
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    for _ in 0..warmup_rounds {
        raw_round(&js, &mut messages, n / 4).await?;
        system_round(&bus, n / 4).await?;
    }
    let (mut base, mut sys) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        base.push(rate(n, raw_round(&js, &mut messages, n).await?));
        sys.push(rate(n, system_round(&bus, n).await?));
    }
    Ok(vec![Row::new(
        SCENARIO,
        format!("enqueued→completed ({WINDOW} in flight)"),
        Unit::PerSec,
        median(&base),
        median(&sys),
        n,
    )])
}

/// `n` messages through the raw work queue: published, fetched and acked.
async fn raw_round(
    js: &jetstream::Context,
    messages: &mut consumer::pull::Stream,
    n: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| async move {
            let ack = js
                .publish("cm.bench.work", format!("{{\"n\":{i}}}").into())
                .await?;
            anyhow::Ok(ack.await?)
        })
        .buffer_unordered(WINDOW)
        .try_collect::<Vec<_>>()
        .await?;
    for _ in 0..n {
        let msg = tokio::time::timeout(T, messages.next())
            .await
            .context("the work queue ran dry")?
            .context("the consumer ended")?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        msg.double_ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(started.elapsed())
}

/// `n` no-op jobs through the queue worker, until all are completed and their events sent.
async fn system_round(bus: &cm_bus::Bus, n: usize) -> anyhow::Result<Duration> {
    let before = bus
        .call::<queue::Stats>(&Default::default(), T)
        .await?
        .completed;
    let started = Instant::now();
    let job = EnqueueJob {
        spec: serde_json::json!({ "kind": "noop" }),
        priority: Default::default(),
        project_id: None,
        session_id: None,
        dedupe_key: None,
        max_attempts: None,
        run_after: None,
        timeout_ms: None,
    };
    futures::stream::iter(0..n)
        .map(|_| bus.call::<queue::JobEnqueue>(&job, T))
        .buffer_unordered(WINDOW)
        .try_collect::<Vec<_>>()
        .await?;
    let deadline = Instant::now() + T * 4;
    loop {
        let stats = bus.call::<queue::Stats>(&Default::default(), T).await?;
        if stats.completed >= before + n as u64 && stats.outbox_pending == 0 {
            return Ok(started.elapsed());
        }
        anyhow::ensure!(Instant::now() < deadline, "jobs not done: {stats:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
