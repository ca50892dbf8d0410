//! One fault case: a slow turn, one process killed while it streams, then the checks.

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use cm_e2e::Api;
use cm_e2e::up::descendants;
use cm_schemas::event::DeltaStream;
use cm_schemas::{EventBody, StreamedEvent};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::live::{Follower, replay};

/// A process under `up` to kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Victim {
    Gateway,
    Session,
    RuntimeBridge,
    QueueWorker,
    AppServer,
    NatsServer,
    Postgres,
}

impl Victim {
    pub const ALL: [Victim; 7] = [
        Victim::Gateway,
        Victim::Session,
        Victim::RuntimeBridge,
        Victim::QueueWorker,
        Victim::AppServer,
        Victim::NatsServer,
        Victim::Postgres,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Victim::Gateway => "cm-gateway",
            Victim::Session => "cm-session",
            Victim::RuntimeBridge => "cm-runtime-bridge",
            Victim::QueueWorker => "cm-queue-worker",
            Victim::AppServer => "codex app-server",
            Victim::NatsServer => "nats-server",
            Victim::Postgres => "postgres",
        }
    }

    /// Its `comm` in `/proc` (cut to 15 bytes by the kernel).
    fn comm(self) -> &'static str {
        match self {
            Victim::RuntimeBridge => "cm-runtime-brid",
            Victim::AppServer => "codex",
            other => other.name(),
        }
    }
}

/// What one case saw.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `None`: a plain turn (the soak's background traffic).
    pub victim: Option<Victim>,
    /// The killed turn's final status.
    pub turn: String,
    /// The turn after recovery.
    pub next_turn: String,
    pub live: usize,
    pub replayed: usize,
    /// In the replay but never received live.
    pub lost: usize,
    /// Received live more than once.
    pub duplicated: usize,
    /// Received live but not in the replay.
    pub phantom: usize,
    /// The snapshot's agent text equals the concatenated text deltas (live and replayed).
    pub text_matches: bool,
    pub streamed_chars: usize,
    /// From the kill to the killed turn being terminal in the snapshot.
    pub recovery: Duration,
    pub reconnects: u32,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        ["completed", "failed", "interrupted"].contains(&self.turn.as_str())
            && self.next_turn == "completed"
            && self.lost == 0
            && self.duplicated == 0
            && self.phantom == 0
            && self.text_matches
    }
}

/// The results as a Markdown table.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "| killed | killed turn | next turn | live events | replayed | lost | duplicated | \
         snapshot = deltas | turn terminal after | SSE reconnects |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for o in outcomes {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} ({} chars) | {:.1} s | {} |\n",
            o.victim.map_or("nothing", Victim::name),
            o.turn,
            o.next_turn,
            o.live,
            o.replayed,
            o.lost,
            o.duplicated + o.phantom,
            if o.text_matches { "yes" } else { "NO" },
            o.streamed_chars,
            o.recovery.as_secs_f64(),
            o.reconnects,
        ));
    }
    out
}

const SLOW: &str = "SLOW: stream a long answer";

/// Runs one case against the `up` whose pid is `up_pid`: kills `victim` (if any) once three
/// deltas of the slow turn have streamed.
pub async fn run_case(api: &Api, up_pid: u32, victim: Option<Victim>) -> anyhow::Result<Outcome> {
    let sid = retry("create a session", || api.create_session()).await?;
    let follower = Follower::start(api.clone(), sid.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    retry("send the slow message", || api.send(&sid, SLOW)).await?;
    wait("3 deltas streamed", Duration::from_secs(60), || async {
        let deltas = count(&follower, is_text_delta);
        anyhow::ensure!(deltas >= 3, "{deltas} deltas");
        Ok(())
    })
    .await?;

    if let Some(victim) = victim {
        let (pid, _) = descendants(up_pid)
            .into_iter()
            .find(|(_, comm)| comm == victim.comm())
            .ok_or_else(|| anyhow::anyhow!("no {} under up", victim.name()))?;
        kill(Pid::from_raw(pid as i32), Signal::SIGKILL)?;
    }
    let killed = Instant::now();

    let path = format!("/api/sessions/{sid}");
    let snap = wait(
        "the killed turn terminal",
        Duration::from_secs(120),
        || async {
            let snap = api.get(&path).await?;
            let status = turn_status(&snap, 0);
            anyhow::ensure!(
                status.as_deref().is_some_and(|s| s != "inProgress"),
                "turn {status:?}"
            );
            Ok(snap)
        },
    )
    .await?;
    let recovery = killed.elapsed();
    let turn = turn_status(&snap, 0).unwrap_or_default();

    // The stack serves again: the next turn runs to the end.
    retry("send the next message", || api.send(&sid, "hello again")).await?;
    let snap = wait(
        "the next turn terminal",
        Duration::from_secs(90),
        || async {
            let snap = api.get(&path).await?;
            let status = turn_status(&snap, 1);
            anyhow::ensure!(
                status.as_deref().is_some_and(|s| s != "inProgress"),
                "turn {status:?}"
            );
            Ok(snap)
        },
    )
    .await?;
    let next_turn = turn_status(&snap, 1).unwrap_or_default();
    let last_seq = snap["seq"].as_u64().unwrap_or(0);
    // The live client catches up to what the snapshot holds, however it reconnected.
    let _ = wait(
        "the live stream to catch up",
        Duration::from_secs(30),
        || async {
            let at = follower
                .received
                .lock()
                .unwrap()
                .events
                .last()
                .map(|e| e.seq);
            anyhow::ensure!(
                at >= Some(last_seq),
                "live at {at:?}, snapshot at {last_seq}"
            );
            Ok(())
        },
    )
    .await;
    let live = follower.stop();
    let replayed = retry("replay from 0", || replay(api, &sid)).await?;

    let live_seqs: Vec<u64> = live.events.iter().map(|e| e.seq).collect();
    let live_set: HashSet<u64> = live_seqs.iter().copied().collect();
    let replay_set: HashSet<u64> = replayed.iter().map(|e| e.seq).collect();
    let agent = first_agent_text(&snap);
    let text_matches = agent.as_deref() == Some(deltas_of_first_turn(&replayed).as_str())
        && agent.as_deref() == Some(deltas_of_first_turn(&live.events).as_str());
    Ok(Outcome {
        victim,
        turn,
        next_turn,
        live: live_seqs.len(),
        replayed: replayed.len(),
        lost: replay_set.difference(&live_set).count(),
        duplicated: live_seqs.len() - live_set.len(),
        phantom: live_set.difference(&replay_set).count(),
        text_matches,
        streamed_chars: agent.map(|t| t.chars().count()).unwrap_or(0),
        recovery,
        reconnects: live.reconnects,
    })
}

fn is_text_delta(e: &StreamedEvent) -> bool {
    matches!(
        &e.event.body,
        EventBody::ItemDelta {
            stream: DeltaStream::Text,
            ..
        }
    )
}

fn count(follower: &Follower, f: impl Fn(&StreamedEvent) -> bool) -> usize {
    follower
        .received
        .lock()
        .unwrap()
        .events
        .iter()
        .filter(|e| f(e))
        .count()
}

fn turn_status(snap: &Value, n: usize) -> Option<String> {
    snap["turns"][n]["status"].as_str().map(str::to_owned)
}

fn first_agent_text(snap: &Value) -> Option<String> {
    snap["turns"][0]["items"]
        .as_array()?
        .iter()
        .find(|i| i["itemType"] == "agentMessage")
        .and_then(|i| i["text"].as_str())
        .map(str::to_owned)
}

/// The text deltas of the first turn's agent message, in stream order.
fn deltas_of_first_turn(events: &[StreamedEvent]) -> String {
    let first_turn = events.iter().find_map(|e| match &e.event.body {
        EventBody::TurnStarted { turn_id, .. } => Some(turn_id.clone()),
        _ => None,
    });
    let mut seen = HashSet::new();
    events
        .iter()
        .filter(|e| seen.insert(e.seq))
        .filter_map(|e| match &e.event.body {
            EventBody::ItemDelta { turn_id, delta, .. }
                if Some(turn_id) == first_turn.as_ref() && is_text_delta(e) =>
            {
                Some(delta.as_str())
            }
            _ => None,
        })
        .collect()
}

/// Repeats `f` until it succeeds or `deadline` passes (the stack may be restarting a process).
async fn wait<T, F, Fut>(what: &str, deadline: Duration, f: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let started = Instant::now();
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if started.elapsed() > deadline => {
                anyhow::bail!("{what}: not within {deadline:?}: {e:#}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

async fn retry<T, F, Fut>(what: &str, f: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    wait(what, Duration::from_secs(90), f).await
}
