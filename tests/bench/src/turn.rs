//! Scenario `turn`: one whole turn, end to end.
//!
//! Baseline: the real `codex app-server` driven directly over stdio JSON-RPC ([`Direct`]), with
//! its own `CODEX_HOME` pointed at the stack's scripted model: `turn/start`, then read until
//! `turn/completed`. System: `POST /api/sessions/{id}/messages`, then the session's SSE stream
//! (opened once, before the first turn) until `turn.completed` — gateway → session → bridge →
//! app-server and back through JetStream. Same script, same prompt. The two alternate turn by
//! turn, so both see the same background load; after each system turn the session service is
//! left to apply it (untimed) before the next baseline turn. Also the time to the first text
//! delta (`item/agentMessage/delta` vs SSE `item.delta`).

use std::time::{Duration, Instant};

use anyhow::Context;
use cm_e2e::{Api, SseStream, TestStack};
use cm_schemas::EventBody;
use cm_schemas::event::{DeltaStream, TurnStatus};
use cm_test_support::CodexHome;
use futures::StreamExt;

use crate::appserver::{Direct, TurnTiming};
use crate::report::{Row, Unit};
use crate::script::{APP_SERVER_ARGS, PROMPT};
use crate::settle;
use crate::stats::Summary;

const SCENARIO: &str = "turn";
const TURN_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run(stack: &TestStack, iterations: usize, warmup: usize) -> anyhow::Result<Vec<Row>> {
    let bin = cm_test_support::codex_bin()
        .context("codex binary not found: run scripts/install-deps.sh or set CODEX_BIN")?;
    let home = CodexHome::create(&stack.mock.base_url())?;
    let cwd = tempfile::tempdir()?;
    let mut direct = Direct::start(&bin, &APP_SERVER_ARGS, home.envs()).await?;
    let thread = direct.thread_start(cwd.path()).await?;

    let api = &stack.api;
    let sid = api.create_session().await?;
    let mut sse = api.events(&sid, None).await?;

    let (mut base, mut sys) = (Samples::default(), Samples::default());
    for i in 0..warmup + iterations {
        let b = direct.turn(&thread, PROMPT).await?;
        let (s, seq) = system_turn(api, &sid, &mut sse).await?;
        settle::applied(api, &sid, seq).await?;
        if i >= warmup {
            base.record(b);
            sys.record(s);
        }
    }
    let (b, s) = (Summary::of(&base.completed), Summary::of(&sys.completed));
    let (bf, sf) = (Summary::of(&base.first), Summary::of(&sys.first));
    Ok(vec![
        Row::new(
            SCENARIO,
            "latency median",
            Unit::Ms,
            b.median_ms,
            s.median_ms,
            b.n,
        ),
        Row::new(SCENARIO, "latency p90", Unit::Ms, b.p90_ms, s.p90_ms, b.n),
        Row::new(
            SCENARIO,
            "first delta median",
            Unit::Ms,
            bf.median_ms,
            sf.median_ms,
            bf.n,
        ),
    ])
}

#[derive(Default)]
struct Samples {
    completed: Vec<Duration>,
    first: Vec<Duration>,
}

impl Samples {
    fn record(&mut self, t: TurnTiming) {
        self.completed.push(t.completed);
        self.first.push(t.first_delta);
    }
}

/// Sends the prompt and reads the stream concurrently, so the first delta is timed when it
/// arrives even if that is before the POST is answered. Returns the timing and the sequence
/// of `turn.completed`.
async fn system_turn(
    api: &Api,
    sid: &str,
    sse: &mut SseStream,
) -> anyhow::Result<(TurnTiming, u64)> {
    let t = Instant::now();
    let read = async {
        let mut first_delta = None;
        loop {
            let ev = tokio::time::timeout(TURN_TIMEOUT, sse.next())
                .await
                .context("no event within 60 s")?
                .context("event stream ended")??;
            match ev.event.body {
                EventBody::ItemDelta {
                    stream: DeltaStream::Text,
                    ..
                } if first_delta.is_none() => first_delta = Some(t.elapsed()),
                EventBody::TurnCompleted {
                    turn_id, status, ..
                } => {
                    let completed = t.elapsed();
                    anyhow::ensure!(status == TurnStatus::Completed, "turn ended {status:?}");
                    let timing = TurnTiming {
                        first_delta: first_delta.unwrap_or(completed),
                        completed,
                    };
                    return Ok((turn_id, timing, ev.seq));
                }
                _ => {}
            }
        }
    };
    let (sent, (done, timing, seq)) = tokio::try_join!(api.send(sid, PROMPT), read)?;
    anyhow::ensure!(
        sent == done,
        "turn {done} completed while {sent} was awaited"
    );
    Ok((timing, seq))
}
