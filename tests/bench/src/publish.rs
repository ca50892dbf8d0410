//! Scenario `publish`: storing one event in JetStream.
//!
//! Baseline: `jetstream.publish(subject, bytes).await?.await?` of the exact bytes the bus would
//! send. System: `Bus::publish_event` (serialization, `Nats-Msg-Id` so the server checks its
//! duplicate window, `traceparent` injection, one retry on failure). Both run against a private
//! nats-server with `CM_EVENTS` created by `cm_bus::ensure_events_stream` and no consumers, so
//! nothing else competes for the CPU. Latency: one publish at a time, alternating rounds of
//! baseline and system. Throughput: `WINDOW` publishes in flight.

use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use cm_bus::{Bus, EventsStreamConfig, ensure_events_stream};
use cm_schemas::Event;
use cm_test_support::NatsServer;
use futures::{StreamExt, TryStreamExt};

use crate::events;
use crate::report::{Row, Unit};
use crate::stats::{Summary, median, rate};

/// Publishes in flight in the throughput phase.
const WINDOW: usize = 64;
/// Alternating rounds per side in the latency phase.
const ROUNDS: usize = 10;
/// Alternating rounds of `n` events per side in the throughput phase.
const THROUGHPUT_ROUNDS: usize = 5;
const SCENARIO: &str = "publish";

pub async fn run(n: usize, warmup_rounds: usize) -> anyhow::Result<Vec<Row>> {
    let nats = NatsServer::start().await?;
    let bus = Bus::from_client(nats.connect().await?);
    ensure_events_stream(bus.jetstream(), &EventsStreamConfig::default())
        .await
        .context("creating CM_EVENTS")?;
    let js = bus.jetstream().clone();
    let sid = "00000000-0000-7000-8000-00000000beef";
    let per_round = n.div_ceil(ROUNDS).max(1);

    // Warm-up: connections, stream files, allocator.
    for _ in 0..warmup_rounds {
        raw_sequential(&js, events::raw(&events::deltas(sid, "warm", 200))?).await?;
        system_sequential(&bus, events::deltas(sid, "warm", 200)).await?;
    }

    let (mut base, mut sys) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        base.extend(raw_sequential(&js, events::raw(&events::deltas(sid, "b", per_round))?).await?);
        sys.extend(system_sequential(&bus, events::deltas(sid, "s", per_round)).await?);
    }
    let (b, s) = (Summary::of(&base), Summary::of(&sys));

    let (mut base_rate, mut sys_rate) = (Vec::new(), Vec::new());
    for _ in 0..THROUGHPUT_ROUNDS {
        let batch = events::raw(&events::deltas(sid, "b", n))?;
        let t = Instant::now();
        futures::stream::iter(batch)
            .map(|(subject, bytes)| raw_publish(&js, subject, bytes))
            .buffer_unordered(WINDOW)
            .try_collect::<Vec<_>>()
            .await?;
        base_rate.push(rate(n, t.elapsed()));

        let batch = events::deltas(sid, "s", n);
        let t = Instant::now();
        futures::stream::iter(&batch)
            .map(|e| bus.publish_event(e))
            .buffer_unordered(WINDOW)
            .try_collect::<Vec<_>>()
            .await?;
        sys_rate.push(rate(n, t.elapsed()));
    }

    Ok(vec![
        Row::new(
            SCENARIO,
            "latency median (1 in flight)",
            Unit::Ms,
            b.median_ms,
            s.median_ms,
            b.n,
        ),
        Row::new(
            SCENARIO,
            "latency p90 (1 in flight)",
            Unit::Ms,
            b.p90_ms,
            s.p90_ms,
            b.n,
        ),
        Row::new(
            SCENARIO,
            "throughput (1 in flight)",
            Unit::PerSec,
            1e3 / b.mean_ms,
            1e3 / s.mean_ms,
            b.n,
        ),
        Row::new(
            SCENARIO,
            format!("throughput ({WINDOW} in flight)"),
            Unit::PerSec,
            median(&base_rate),
            median(&sys_rate),
            n,
        ),
    ])
}

async fn raw_publish(
    js: &async_nats::jetstream::Context,
    subject: String,
    bytes: Bytes,
) -> anyhow::Result<u64> {
    Ok(js.publish(subject, bytes).await?.await?.sequence)
}

async fn raw_sequential(
    js: &async_nats::jetstream::Context,
    batch: Vec<(String, Bytes)>,
) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(batch.len());
    for (subject, bytes) in batch {
        let t = Instant::now();
        raw_publish(js, subject, bytes).await?;
        out.push(t.elapsed());
    }
    Ok(out)
}

async fn system_sequential(bus: &Bus, batch: Vec<Event>) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(batch.len());
    for event in &batch {
        let t = Instant::now();
        bus.publish_event(event).await?;
        out.push(t.elapsed());
    }
    Ok(out)
}
