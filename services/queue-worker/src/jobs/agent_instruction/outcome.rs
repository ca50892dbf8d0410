//! How an `agent_instruction` attempt ends: its result from the turn, or a failure classed
//! retryable or fatal by what the runtime or the bus said.

use cm_schemas::event::TurnStatus;
use cm_schemas::job::AgentInstructionJob;
use cm_schemas::{BusError, ErrorCode, Transcript};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::super::JobFailure;

/// How long a reply shown in a failure message may be.
const QUOTE: usize = 500;

/// The job's result from its ended turn.
pub(super) fn finish(
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
pub(super) fn turn_failure(
    status: TurnStatus,
    reason: Option<&str>,
    error: Option<&Value>,
) -> JobFailure {
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
pub(super) fn bus_failure(what: &str, e: BusError) -> JobFailure {
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

pub(super) fn sha256_hex(s: &str) -> String {
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
