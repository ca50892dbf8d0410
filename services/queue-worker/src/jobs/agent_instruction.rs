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
use cm_schemas::{BusError, ErrorCode, Scope, Transcript, subjects};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

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
/// How long a reply shown in a failure message may be.
const QUOTE: usize = 500;

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

/// The job's result from its ended turn.
fn finish(
    spec: &AgentInstructionJob,
    session_id: &str,
    turn_id: &str,
    transcript: &Transcript,
) -> Result<Value, JobFailure> {
    let Some(turn) = transcript.turn(turn_id).filter(|t| t.is_terminal()) else {
        return Err(JobFailure::retryable("the turn did not end"));
    };
    match turn.status {
        TurnStatus::Completed => {}
        TurnStatus::Failed | TurnStatus::Interrupted | TurnStatus::InProgress => {
            return Err(turn_failure(
                turn.status,
                turn.reason.as_deref(),
                turn.error.as_ref(),
            ));
        }
    }
    let text = turn.reply_text();
    if !spec.expect_json {
        return Ok(json!({ "sessionId": session_id, "turnId": turn.turn_id, "text": text }));
    }
    let value = parse_json_reply(&text).ok_or_else(|| {
        JobFailure::fatal(format!(
            "expectJson: the reply is not a JSON object or array: {}",
            quote(&text)
        ))
    })?;
    Ok(json!({ "sessionId": session_id, "turnId": turn.turn_id, "json": value }))
}

/// A turn that ended other than completed. Transient runtime errors (overload, rate limits,
/// lost connections to the model, the runtime exiting) are `retryable` — the next attempt
/// starts a new turn in the same session; the rest (a bad request, the context window, the
/// usage limit, policy refusals, an interrupt by someone else) are `fatal`.
fn turn_failure(status: TurnStatus, reason: Option<&str>, error: Option<&Value>) -> JobFailure {
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let info = error.and_then(|e| e.get("codexErrorInfo"));
    // A string (`"serverOverloaded"`) or an object with one key (`{"httpConnectionFailed": ..}`).
    let code = match info {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Object(m)) => m.keys().next().map(String::as_str),
        _ => None,
    };
    let mut text = format!("turn {}", status.as_str());
    for part in [reason, code].into_iter().flatten() {
        text.push_str(&format!(" ({part})"));
    }
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    let transient = reason == Some("runtime_exited")
        || code.is_some_and(|c| {
            matches!(
                c,
                "serverOverloaded"
                    | "internalServerError"
                    | "rateLimitExceeded"
                    | "flexUnavailable"
                    | "httpConnectionFailed"
                    | "responseStreamConnectionFailed"
                    | "responseStreamDisconnected"
                    | "responseTooManyFailedAttempts"
            )
        });
    if transient {
        JobFailure::retryable(text)
    } else {
        JobFailure::fatal(text)
    }
}

/// A bus call that failed: retried when the cause may pass (a service or dependency down, a
/// time-out, a conflict, the runtime's error), fatal when asking again cannot help (a bad or
/// refused request, a session gone).
fn bus_failure(what: &str, e: BusError) -> JobFailure {
    let message = format!("{what}: {}: {}", e.code.as_str(), e.message);
    match e.code {
        ErrorCode::Unavailable
        | ErrorCode::Timeout
        | ErrorCode::Internal
        | ErrorCode::RateLimited
        | ErrorCode::Locked
        | ErrorCode::Conflict
        | ErrorCode::RuntimeError => JobFailure::retryable(message),
        _ => JobFailure::fatal(message),
    }
}

/// The reply as a JSON object or array: the whole text, else the first fenced block
/// (```` ```json ```` or a bare ```` ``` ````) that is one.
pub fn parse_json_reply(text: &str) -> Option<Value> {
    let structured = |s: &str| {
        serde_json::from_str::<Value>(s.trim())
            .ok()
            .filter(|v| v.is_object() || v.is_array())
    };
    if let Some(v) = structured(text) {
        return Some(v);
    }
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        // The info string (`json`, `JSON`, nothing) runs to the end of the line.
        let body_at = after.find('\n')?;
        let lang = after[..body_at].trim();
        let body = &after[body_at + 1..];
        let close = body.find("```")?;
        if (lang.is_empty() || lang.eq_ignore_ascii_case("json"))
            && let Some(v) = structured(&body[..close])
        {
            return Some(v);
        }
        rest = &body[close + 3..];
    }
    None
}

fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE) {
        Some((at, _)) => format!("{:?}…", &text[..at]),
        None => format!("{text:?}"),
    }
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_reply_is_bare_or_fenced() {
        assert_eq!(parse_json_reply(" {\"a\": 1}\n"), Some(json!({"a": 1})));
        assert_eq!(parse_json_reply("[1, 2]"), Some(json!([1, 2])));
        let fenced = "Here you go:\n```json\n{\"actions\": [{\"type\": \"rename\"}]}\n```\nDone.";
        assert_eq!(
            parse_json_reply(fenced),
            Some(json!({"actions": [{"type": "rename"}]}))
        );
        let bare_fence = "```\n[true]\n```";
        assert_eq!(parse_json_reply(bare_fence), Some(json!([true])));
        let two = "```sh\nls\n```\nthen\n```JSON\n{\"ok\": true}\n```";
        assert_eq!(parse_json_reply(two), Some(json!({"ok": true})));
        // Scalars and prose are not structured replies.
        assert_eq!(parse_json_reply("42"), None);
        assert_eq!(parse_json_reply("\"text\""), None);
        assert_eq!(parse_json_reply("Sure! {\"a\": 1"), None);
        assert_eq!(parse_json_reply("```json\n{broken\n```"), None);
        assert_eq!(parse_json_reply("```json {\"a\":1}```"), None);
    }

    #[test]
    fn transient_turn_failures_are_retried_the_rest_are_fatal() {
        use cm_schemas::job::JobErrorClass::{Fatal, Retryable};
        let err = |info: Value| json!({ "message": "boom", "codexErrorInfo": info });
        let class = |status, reason, error: Option<Value>| {
            turn_failure(status, reason, error.as_ref()).class
        };
        assert_eq!(
            class(
                TurnStatus::Failed,
                None,
                Some(err(json!("serverOverloaded")))
            ),
            Retryable
        );
        assert_eq!(
            class(
                TurnStatus::Failed,
                None,
                Some(err(
                    json!({"responseStreamDisconnected": {"httpStatusCode": 502}})
                ))
            ),
            Retryable
        );
        assert_eq!(
            class(TurnStatus::Interrupted, Some("runtime_exited"), None),
            Retryable
        );
        assert_eq!(
            class(TurnStatus::Failed, None, Some(err(json!("badRequest")))),
            Fatal
        );
        assert_eq!(
            class(
                TurnStatus::Failed,
                None,
                Some(err(json!("usageLimitExceeded")))
            ),
            Fatal
        );
        assert_eq!(class(TurnStatus::Interrupted, None, None), Fatal);
        assert_eq!(class(TurnStatus::Failed, None, None), Fatal);
        let f = turn_failure(
            TurnStatus::Failed,
            None,
            Some(&err(json!("contextWindowExceeded"))),
        );
        assert_eq!(f.message, "turn failed (contextWindowExceeded): boom");
    }

    #[test]
    fn the_reservation_hash_is_a_sha256() {
        let h = sha256_hex("agent_instruction:x");
        assert_eq!(h.len(), 64);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
