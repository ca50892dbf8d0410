//! `agent_instruction`: one instruction, one turn, in a worker session of the job's own.
//!
//! Over the bus only, as `system:queue-worker`:
//! 1. **The session**, once per job: `session.idempotency.begin` with the key
//!    `agent_instruction:<job id>` reserves its creation; the holder creates it
//!    (`session.create` with `owner = "system:queue-worker"`, so it is hidden from session lists
//!    unless asked for) and stores its record under the key. A retried attempt gets the record
//!    back (a replay) and goes on in the same session; while another attempt holds the
//!    reservation (a worker killed between the two steps) it waits for the reservation's lease
//!    ([`RESERVATION_LEASE_SECS`]) to run out and then takes it over.
//! 2. **The turn**: the session's snapshot (`session.get`) says whether an earlier attempt
//!    started one. A running turn is followed, a completed one answered (no second turn); none,
//!    or a failed or interrupted one (a retryable failure of the last attempt), starts one
//!    with the instruction (`session.turn.start`).
//! 3. **The end**: the session's events in `CM_EVENTS` (an ordered consumer on
//!    `cm.v1.evt.session.<id>.>`, from the session's first event, so a retried attempt sees
//!    everything), folded with [`Transcript`] until the turn ends; its `reply_text()` is the
//!    reply.
//!
//! Cancel: the job's token interrupts the turn (`session.turn.interrupt`) at once; the engine
//! has already recorded the job `canceled` and gives this handler a moment to do it.

use std::time::Duration;

use cm_bus::Bus;
use cm_schemas::commands::{Command, session};
use cm_schemas::event::TurnStatus;
use cm_schemas::idempotency::{BeginIdempotent, BeginOutcome, CompleteIdempotent, StoredResponse};
use cm_schemas::job::AgentInstructionJob;
use cm_schemas::session::{
    CreateSession, GetSession, InterruptTurn, SessionInfo, SessionSnapshot, StartTurn,
};
use cm_schemas::{ErrorCode, Scope, Transcript, subjects};
use serde_json::Value;

mod outcome;

use outcome::{bus_failure, finish, sha256_hex};

use super::{JobCtx, JobFailure};

/// The owner of worker sessions, and the actor of every call: what the worker's own signature
/// names when it claims nothing (`docs/bus.md`, "Security").
pub const OWNER: &str = "system:queue-worker";
/// Each bus call's time-out (a session create starts an app-server thread).
const CALL: Duration = Duration::from_secs(30);
/// How long an attempt's reservation of the session's creation holds before a retry may take
/// it over (the attempt that held it was killed between reserving and recording).
const RESERVATION_LEASE_SECS: u32 = 20;
/// How long the record of a job's session is kept (the longest the session service allows).
const RESERVATION_TTL_SECS: u32 = 7 * 24 * 60 * 60;
/// How long a canceled attempt waits for its turn start in flight before it interrupts.
const START_LANDS: Duration = Duration::from_secs(2);

pub async fn run(spec: AgentInstructionJob, ctx: JobCtx) -> Result<Value, JobFailure> {
    let session_id = tokio::select! {
        s = worker_session(&spec, &ctx) => s?,
        () = ctx.cancel.cancelled() => return Err(canceled()),
    };
    let start = find_or_start_turn(&spec, &ctx, &session_id);
    tokio::pin!(start);
    let turn_id = tokio::select! {
        t = &mut start => t?,
        () = ctx.cancel.cancelled() => {
            // A turn start in flight lands first (briefly), so that the interrupt stops it.
            let _ = tokio::time::timeout(START_LANDS, &mut start).await;
            interrupt(&ctx.bus, &session_id).await;
            return Err(canceled());
        }
    };
    let transcript = tokio::select! {
        t = follow(&ctx.bus, &session_id, &turn_id) => t?,
        () = ctx.cancel.cancelled() => {
            interrupt(&ctx.bus, &session_id).await;
            return Err(canceled());
        }
    };
    finish(&spec, &session_id, &turn_id, &transcript)
}

fn canceled() -> JobFailure {
    JobFailure::fatal("canceled")
}

/// The job's worker session: created by the first attempt, found again by every later one.
async fn worker_session(spec: &AgentInstructionJob, ctx: &JobCtx) -> Result<String, JobFailure> {
    let key = format!("agent_instruction:{}", ctx.job_id);
    let begin = BeginIdempotent {
        scope: OWNER.to_owned(),
        request_hash: sha256_hex(&key),
        key: key.clone(),
        method: "BUS".to_owned(),
        path: session::Create::subject(),
        ttl_secs: Some(RESERVATION_TTL_SECS),
        lease_secs: Some(RESERVATION_LEASE_SECS),
    };
    loop {
        let outcome = ctx
            .bus
            .call_as::<session::IdempotencyBegin>(&begin, CALL, Some(OWNER))
            .await;
        let reservation = match outcome {
            Ok(BeginOutcome::Replay { response }) => {
                let info: SessionInfo = serde_json::from_str(&response.body).map_err(|e| {
                    JobFailure::fatal(format!("the recorded worker session does not decode: {e}"))
                })?;
                return Ok(info.id);
            }
            Ok(BeginOutcome::Proceed { reservation }) => reservation,
            Err(e) if e.code == ErrorCode::Conflict && e.details["inProgress"] == true => {
                tracing::info!(job.id = %ctx.job_id, "an earlier attempt holds the worker session's creation; waiting for its lease");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => return Err(bus_failure("reserving the worker session", e)),
        };
        let create = CreateSession {
            title: Some(format!("agent_instruction {}", ctx.job_id)),
            cwd: spec.cwd.clone(),
            model: spec.model.clone(),
            project_id: ctx.project_id.clone(),
            owner: Some(OWNER.to_owned()),
        };
        let created = ctx
            .bus
            .call_as::<session::Create>(&create, CALL, Some(OWNER))
            .await;
        let response = created.as_ref().ok().map(|info| StoredResponse {
            status: 200,
            content_type: Some("application/json".to_owned()),
            body: serde_json::to_string(info).unwrap_or_default(),
        });
        // Released when the create failed, so that the retry creates it.
        let complete = CompleteIdempotent {
            scope: OWNER.to_owned(),
            key: key.clone(),
            reservation,
            response,
        };
        if let Err(e) = ctx
            .bus
            .call_as::<session::IdempotencyComplete>(&complete, CALL, Some(OWNER))
            .await
        {
            // This attempt goes on in its session; only a retry would make a second one.
            tracing::warn!(job.id = %ctx.job_id, error = %e, "recording the worker session failed");
        }
        let info = created.map_err(|e| bus_failure("creating the worker session", e))?;
        tracing::info!(job.id = %ctx.job_id, session.id = %info.id, "worker session created");
        return Ok(info.id);
    }
}

/// The turn of this job in its session: an earlier attempt's running or completed one, else a
/// new one.
async fn find_or_start_turn(
    spec: &AgentInstructionJob,
    ctx: &JobCtx,
    session_id: &str,
) -> Result<String, JobFailure> {
    let snap: SessionSnapshot = ctx
        .bus
        .call_as::<session::Get>(
            &GetSession {
                session_id: session_id.to_owned(),
            },
            CALL,
            Some(OWNER),
        )
        .await
        .map_err(|e| bus_failure("reading the worker session", e))?;
    if let Some(t) = snap.turns.last()
        && (t.status == TurnStatus::InProgress.as_str()
            || t.status == TurnStatus::Completed.as_str())
    {
        tracing::info!(job.id = %ctx.job_id, turn.id = %t.id, status = %t.status, "an earlier attempt's turn is reused");
        return Ok(t.id.clone());
    }
    let start = StartTurn {
        session_id: session_id.to_owned(),
        text: spec.instruction.clone(),
        overrides: spec.overrides.clone(),
    };
    let accepted = ctx
        .bus
        .call_as::<session::TurnStart>(&start, CALL, Some(OWNER))
        .await
        .map_err(|e| bus_failure("starting the turn", e))?;
    Ok(accepted.turn_id)
}

/// Follows the session's events from its first one until `turn_id` ends; the fold of them.
async fn follow(bus: &Bus, session_id: &str, turn_id: &str) -> Result<Transcript, JobFailure> {
    use async_nats::jetstream::consumer::DeliverPolicy;
    use async_nats::jetstream::consumer::pull::OrderedConfig;
    use futures::StreamExt;

    let failed = |what: &str, e: &dyn std::fmt::Display| {
        JobFailure::retryable(format!("following the worker session: {what}: {e}"))
    };
    let mut transcript = Transcript::new();
    // The next stream sequence to read: a consumer that fails is made again from there.
    let mut next = 0u64;
    let mut failures = 0u32;
    loop {
        let stream = bus
            .jetstream()
            .get_stream(subjects::EVENTS_STREAM)
            .await
            .map_err(|e| failed("the event stream", &e))?;
        let deliver_policy = match next {
            0 => DeliverPolicy::All,
            n => DeliverPolicy::ByStartSequence { start_sequence: n },
        };
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: subjects::event_filter(Scope::Session, session_id),
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(|e| failed("a consumer", &e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| failed("the consumer's messages", &e))?;
        while let Some(msg) = messages.next().await {
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    failures += 1;
                    if failures > 5 {
                        return Err(failed("the consumer", &e));
                    }
                    tracing::info!(error = %e, "worker session consumer failed; made again");
                    break;
                }
            };
            if let Ok(info) = msg.info() {
                next = info.stream_sequence + 1;
            }
            let event = match bus.read_event(msg.headers.as_ref(), &msg.payload).await {
                Ok(ev) => ev,
                Err(cm_bus::ReadEventError::Malformed(e)) => {
                    tracing::warn!(error = %e, "malformed event in a worker session skipped");
                    continue;
                }
                Err(e) => return Err(failed("an event's blob", &e)),
            };
            transcript.apply(&event);
            if transcript.turn(turn_id).is_some_and(|t| t.is_terminal()) {
                return Ok(transcript);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Stops the session's running turn; nothing to stop is fine.
async fn interrupt(bus: &Bus, session_id: &str) {
    let req = InterruptTurn {
        session_id: session_id.to_owned(),
    };
    match bus
        .call_as::<session::TurnInterrupt>(&req, Duration::from_secs(2), Some(OWNER))
        .await
    {
        Ok(_) => tracing::info!(session.id = %session_id, "canceled job's turn interrupted"),
        Err(e) if e.code == ErrorCode::NoActiveTurn => {}
        Err(e) => {
            tracing::warn!(session.id = %session_id, error = %e, "interrupting a canceled job's turn failed");
        }
    }
}
