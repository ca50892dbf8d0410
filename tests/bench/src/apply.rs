//! Scenario `apply`: how fast published events reach Postgres.
//!
//! Baselines, both measured here: raw Postgres on the same server — one transaction per row
//! (`BEGIN`, one prepared `INSERT` of the event's JSON into a scratch table, `COMMIT`), one at a
//! time, over one connection; and raw JetStream — a do-nothing consumer configured like the
//! session service's ([`crate::consume`]). Their sum is a third row: the floor of
//! "consume one, write one transaction, ack, next".
//! System: `item.delta` events of one session are published to `CM_EVENTS` (64 in flight, so
//! publishing is not the bottleneck) and the clock stops when `GET /api/sessions/{id}` reports
//! a `seq` at or past the last published sequence. The snapshot is polled every
//! [`POLL`], which bounds the error of one round. Each round streams into a new item, like one
//! long reply.

use std::time::{Duration, Instant};

use anyhow::Context;
use cm_e2e::TestStack;
use futures::{StreamExt, TryStreamExt};

use crate::report::{Row, Unit};
use crate::stats::{median, per_event_ms};
use crate::{consume, events};

const ROUNDS: usize = 5;
const WINDOW: usize = 64;
const POLL: Duration = Duration::from_millis(20);
const SCENARIO: &str = "apply";

/// The rows, plus a note on how the per-event time changes within a round.
pub async fn run(
    stack: &TestStack,
    n: usize,
    warmup_rounds: usize,
) -> anyhow::Result<(Vec<Row>, Vec<String>)> {
    let sid = stack.api.create_session().await?;
    let payload = serde_json::to_value(events::delta(&sid, "sample", 0))?;

    let url = stack.pg.create_database("bench").await?;
    let (mut pg, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .context("connecting to the scratch database")?;
    tokio::spawn(conn);
    pg.batch_execute("CREATE TABLE scratch (seq BIGINT PRIMARY KEY, body JSONB NOT NULL)")
        .await?;
    let mut next_row = 0i64;

    let bus = stack.bus().await?;
    let bytes = bytes::Bytes::from(serde_json::to_vec(&payload)?);
    for w in 0..warmup_rounds {
        raw_round(&mut pg, &payload, &mut next_row, n / 5).await?;
        consume::round(bus.jetstream(), bytes.clone(), n / 5).await?;
        system_round(stack, &bus, &sid, &format!("warm-{w}"), n / 5).await?;
    }
    // The three alternate round by round, so they see the same background load.
    let (mut base, mut floor, mut sys, mut halves) = (vec![], vec![], vec![], vec![]);
    for r in 0..ROUNDS {
        let t = raw_round(&mut pg, &payload, &mut next_row, n).await?;
        base.push(per_event_ms(n, t));
        let t = consume::round(bus.jetstream(), bytes.clone(), n).await?;
        floor.push(per_event_ms(n, t));
        let round = system_round(stack, &bus, &sid, &format!("item-{r}"), n).await?;
        sys.push(per_event_ms(n, round.total));
        halves.push(round.second_half_ratio);
    }

    let (b, c, s) = (median(&base), median(&floor), median(&sys));
    let n = ROUNDS * n;
    // Each delta appends to one item's text, which Postgres rewrites whole on every update.
    let notes = vec![format!(
        "apply: within a round of {} events into one item, the second half took {:.2}x as long \
         as the first",
        n / ROUNDS,
        median(&halves)
    )];
    Ok((
        vec![
            Row::new(SCENARIO, "per event vs raw PG tx", Unit::Ms, b, s, n),
            Row::new(SCENARIO, "per event vs raw JS consume", Unit::Ms, c, s, n),
            Row::new(
                SCENARIO,
                "per event vs PG tx + JS consume",
                Unit::Ms,
                b + c,
                s,
                n,
            ),
            Row::new(
                SCENARIO,
                "throughput vs raw PG tx",
                Unit::PerSec,
                1e3 / b,
                1e3 / s,
                n,
            ),
        ],
        notes,
    ))
}

/// `n` single-row transactions, one after the other.
async fn raw_round(
    pg: &mut tokio_postgres::Client,
    payload: &serde_json::Value,
    next_row: &mut i64,
    n: usize,
) -> anyhow::Result<Duration> {
    let insert = pg
        .prepare("INSERT INTO scratch (seq, body) VALUES ($1, $2)")
        .await?;
    let t = Instant::now();
    for _ in 0..n {
        *next_row += 1;
        let tx = pg.transaction().await?;
        tx.execute(&insert, &[&*next_row, payload]).await?;
        tx.commit().await?;
    }
    Ok(t.elapsed())
}

struct SystemRound {
    total: Duration,
    /// Time for the second half of the events over time for the first half.
    second_half_ratio: f64,
}

async fn system_round(
    stack: &TestStack,
    bus: &cm_bus::Bus,
    sid: &str,
    item: &str,
    n: usize,
) -> anyhow::Result<SystemRound> {
    let batch = events::deltas(sid, item, n);
    let t = Instant::now();
    let seqs: Vec<u64> = futures::stream::iter(&batch)
        .map(|e| bus.publish_event(e))
        .buffer_unordered(WINDOW)
        .try_collect()
        .await?;
    let (first, last) = match (seqs.iter().min(), seqs.iter().max()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => anyhow::bail!("nothing published"),
    };
    let mid = first + (last - first) / 2;
    let mut mid_at = None;
    let path = format!("/api/sessions/{sid}");
    let deadline = t + Duration::from_secs(120);
    loop {
        let snap = stack.api.get(&path).await?;
        let at = snap["seq"].as_u64().unwrap_or(0);
        if at >= mid && mid_at.is_none() {
            mid_at = Some(t.elapsed());
        }
        if at >= last {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "apply stuck at seq {at} of {last}"
        );
        tokio::time::sleep(POLL).await;
    }
    let total = t.elapsed();
    let first_half = mid_at.unwrap_or(total);
    Ok(SystemRound {
        total,
        second_half_ratio: (total - first_half).as_secs_f64() / first_half.as_secs_f64().max(1e-9),
    })
}
