//! Applying one event to Postgres, in one transaction keyed by its stream sequence: a
//! redelivered event finds its sequence already recorded and changes nothing.
//!
//! Every statement goes through [`exec`], prepared once per connection: a text delta, the
//! commonest event by far, then costs one round trip per statement instead of two.

use cm_schemas::event::{DeltaStream, TurnStatus};
use cm_schemas::request::RequestOutcome;
use cm_schemas::{Event, EventBody, Scope};
use deadpool_postgres::Transaction;
use serde_json::Value;
use tokio_postgres::types::ToSql;

/// Whether the event was new.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    New,
    Duplicate,
    /// The session was deleted: its late events are neither applied nor kept.
    Skipped,
    /// The sequence already holds *another* event: the stream was recreated under this
    /// database (a lost NATS store), and its sequences start over. Never a silent skip.
    Conflict {
        stored: uuid::Uuid,
    },
}

pub async fn apply(
    tx: &Transaction<'_>,
    seq: u64,
    event: &Event,
) -> Result<Applied, tokio_postgres::Error> {
    if event.scope == Scope::Session
        && crate::lifecycle::is_tombstoned(tx, &event.scope_id, &event.body).await?
    {
        return Ok(Applied::Skipped);
    }
    let seq = seq as i64;
    let body = serde_json::to_value(event).unwrap_or(Value::Null);
    let inserted = exec(
        tx,
        "INSERT INTO session.events (seq, event_id, scope, scope_id, kind, time, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (seq) DO NOTHING",
        &[
            &seq,
            &event.id,
            &event.scope.as_str(),
            &event.scope_id,
            &event.body.kind(),
            &event.time,
            &body,
        ],
    )
    .await?;
    if inserted == 0 {
        let stored: uuid::Uuid = tx
            .query_one(
                "SELECT event_id FROM session.events WHERE seq = $1",
                &[&seq],
            )
            .await?
            .try_get(0)?;
        if stored != event.id {
            return Ok(Applied::Conflict { stored });
        }
        return Ok(Applied::Duplicate);
    }
    if event.scope != Scope::Session {
        return Ok(Applied::New);
    }
    let sid = event.scope_id.as_str();
    // Events can overtake the create command's own insert; the row is completed by it later.
    exec(
        tx,
        "INSERT INTO session.sessions (id, last_seq) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE
         SET last_seq = GREATEST(session.sessions.last_seq, EXCLUDED.last_seq), updated_at = now()",
        &[&sid, &seq],
    )
    .await?;
    apply_body(tx, sid, seq, &event.body).await?;
    Ok(Applied::New)
}

async fn apply_body(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    body: &EventBody,
) -> Result<(), tokio_postgres::Error> {
    match body {
        EventBody::SessionCreated { session } => {
            // Skipped when a later lifecycle change (a rename) is already recorded.
            exec(
                tx,
                "UPDATE session.sessions SET title = $2, cwd = $3, model = $4, created_at = $5
                 WHERE id = $1 AND state_seq < $6",
                &[
                    &sid,
                    &session.title,
                    &session.cwd,
                    &session.model,
                    &session.created_at,
                    &seq,
                ],
            )
            .await?;
        }
        EventBody::TurnStarted { turn_id } => {
            ensure_turn(tx, sid, turn_id, seq).await?;
            exec(
                tx,
                "UPDATE session.sessions SET status = 'active' WHERE id = $1",
                &[&sid],
            )
            .await?;
        }
        EventBody::ItemStarted {
            turn_id,
            item_id,
            item_type,
            item,
        } => {
            ensure_turn(tx, sid, turn_id, seq).await?;
            exec(
                tx,
                "INSERT INTO session.items (session_id, turn_id, id, item_type, status, text, item)
                 VALUES ($1, $2, $3, $4, 'streaming', $5, $6)
                 ON CONFLICT (session_id, turn_id, id) DO UPDATE SET item = EXCLUDED.item",
                &[
                    &sid,
                    turn_id,
                    item_id,
                    item_type,
                    &item_text(item).unwrap_or_default(),
                    item,
                ],
            )
            .await?;
        }
        EventBody::ItemDelta {
            turn_id,
            item_id,
            stream,
            delta,
        } => {
            ensure_turn(tx, sid, turn_id, seq).await?;
            exec(
                tx,
                "INSERT INTO session.items (session_id, turn_id, id, item_type, status, text, item)
                 VALUES ($1, $2, $3, $4, 'streaming', $5, '{}'::jsonb)
                 ON CONFLICT (session_id, turn_id, id) DO UPDATE SET text = session.items.text || EXCLUDED.text",
                &[&sid, turn_id, item_id, &delta_item_type(*stream), delta],
            )
            .await?;
        }
        EventBody::ItemCompleted {
            turn_id,
            item_id,
            item_type,
            item,
        } => {
            ensure_turn(tx, sid, turn_id, seq).await?;
            let status = item
                .get("status")
                .and_then(Value::as_str)
                .filter(|s| *s != "inProgress")
                .unwrap_or("completed");
            // The completed item is authoritative: its text replaces what the deltas built.
            exec(
                tx,
                "INSERT INTO session.items (session_id, turn_id, id, item_type, status, text, item)
                 VALUES ($1, $2, $3, $4, $5, COALESCE($6, ''), $7)
                 ON CONFLICT (session_id, turn_id, id) DO UPDATE SET
                    item_type = EXCLUDED.item_type, status = EXCLUDED.status, item = EXCLUDED.item,
                    text = COALESCE($6, session.items.text)",
                &[
                    &sid,
                    turn_id,
                    item_id,
                    item_type,
                    &status,
                    &item_text(item),
                    item,
                ],
            )
            .await?;
        }
        EventBody::TurnCompleted {
            turn_id,
            status,
            reason,
            error,
        } => {
            ensure_turn(tx, sid, turn_id, seq).await?;
            exec(
                tx,
                "UPDATE session.turns SET status = $3, reason = $4, error = $5, completed_at = now()
                 WHERE session_id = $1 AND id = $2",
                &[&sid, turn_id, &status.as_str(), reason, error],
            )
            .await?;
            // Items the runtime never completed (an interrupted message) end as canceled.
            exec(
                tx,
                "UPDATE session.items SET status = 'canceled'
                 WHERE session_id = $1 AND turn_id = $2 AND status = 'streaming'",
                &[&sid, turn_id],
            )
            .await?;
            if *status != TurnStatus::InProgress {
                exec(
                    tx,
                    "UPDATE session.sessions SET status = 'idle' WHERE id = $1",
                    &[&sid],
                )
                .await?;
            }
        }
        EventBody::UsageUpdated {
            turn_id: Some(turn_id),
            usage,
        } => {
            exec(
                tx,
                "UPDATE session.turns SET usage = $3 WHERE session_id = $1 AND id = $2",
                &[&sid, turn_id, usage],
            )
            .await?;
        }
        EventBody::RequestOpened { request: r } => {
            let decisions = r
                .available_decisions
                .as_ref()
                .map(|d| Value::Array(d.clone()));
            exec(
                tx,
                "INSERT INTO session.requests
                    (id, session_id, turn_id, item_id, kind, method, params, available_decisions, opened_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
                &[&r.id, &sid, &r.turn_id, &r.item_id, &r.kind.as_str(), &r.method, &r.params, &decisions, &r.opened_at],
            )
            .await?;
        }
        EventBody::RequestResolved {
            request_id,
            outcome,
            response,
            decided_by,
            reason,
        } => {
            let status = match outcome {
                RequestOutcome::Resolved => "resolved",
                RequestOutcome::Expired => "expired",
            };
            // The decide command may have recorded the outcome already; the first record stays.
            exec(
                tx,
                "UPDATE session.requests SET status = $2, response = COALESCE(response, $3),
                    decided_by = COALESCE(decided_by, $4), reason = $5, resolved_at = COALESCE(resolved_at, now())
                 WHERE id = $1 AND status = 'pending'",
                &[request_id, &status, response, decided_by, reason],
            )
            .await?;
        }
        EventBody::PlanUpdated {
            turn_id,
            explanation,
            plan,
        } => {
            ensure_turn(tx, sid, turn_id, seq).await?;
            let plan = serde_json::json!({ "explanation": explanation, "steps": plan });
            exec(
                tx,
                "UPDATE session.turns SET plan = $3 WHERE session_id = $1 AND id = $2",
                &[&sid, turn_id, &plan],
            )
            .await?;
        }
        EventBody::DiffUpdated { turn_id, diff } => {
            ensure_turn(tx, sid, turn_id, seq).await?;
            exec(
                tx,
                "UPDATE session.turns SET diff = $3 WHERE session_id = $1 AND id = $2",
                &[&sid, turn_id, diff],
            )
            .await?;
        }
        EventBody::SessionUpdated { session } => {
            crate::lifecycle::apply_updated(tx, sid, seq, session).await?;
        }
        EventBody::SessionDeleted { .. } => crate::lifecycle::apply_deleted(tx, sid).await?,
        EventBody::SessionRolledBack { turn_ids } => {
            crate::lifecycle::apply_rolled_back(tx, sid, turn_ids).await?;
        }
        EventBody::TranscriptUpserted {
            message_id,
            role,
            text,
            turn_id,
            data,
        } => {
            crate::transcript::write(
                &**tx,
                sid,
                seq,
                message_id,
                role,
                text,
                turn_id.as_deref(),
                data.as_ref(),
            )
            .await?;
        }
        EventBody::UsageUpdated { turn_id: None, .. }
        | EventBody::ProjectUpdated { .. }
        | EventBody::ProjectDeleted { .. }
        | EventBody::EventDeadLettered { .. }
        | EventBody::RuntimeNotification { .. }
        | EventBody::ItemUpdated { .. }
        | EventBody::SessionStatus { .. }
        | EventBody::RateLimitsUpdated { .. }
        | EventBody::RuntimeError { .. }
        | EventBody::RuntimeWarning { .. } => {}
    }
    Ok(())
}

/// Runs `sql` as a statement prepared once per connection (deadpool's statement cache).
async fn exec(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.execute(&statement, params).await
}

/// The turn's row, created by its first event if the command that started it has not; the
/// first applied event (`turn.started`) gives the turn its place in the stream (`seq`).
async fn ensure_turn(
    tx: &Transaction<'_>,
    sid: &str,
    turn_id: &str,
    seq: i64,
) -> Result<(), tokio_postgres::Error> {
    exec(
        tx,
        "INSERT INTO session.turns (session_id, id, status, seq) VALUES ($1, $2, 'inProgress', $3)
         ON CONFLICT (session_id, id) DO UPDATE SET seq = EXCLUDED.seq
         WHERE session.turns.seq IS NULL",
        &[&sid, &turn_id, &seq],
    )
    .await?;
    Ok(())
}

fn delta_item_type(stream: DeltaStream) -> &'static str {
    match stream {
        DeltaStream::Text => "agentMessage",
        DeltaStream::ReasoningSummary | DeltaStream::ReasoningText => "reasoning",
        DeltaStream::CommandOutput => "commandExecution",
        DeltaStream::FileChangeOutput => "fileChange",
        DeltaStream::Other => "unknown",
    }
}

/// The human-readable text of a runtime item, where it has one.
pub fn item_text(item: &Value) -> Option<String> {
    match item.get("type").and_then(Value::as_str)? {
        "agentMessage" => item.get("text").and_then(Value::as_str).map(str::to_owned),
        "userMessage" => {
            let parts = item.get("content")?.as_array()?;
            Some(
                parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        }
        "reasoning" => {
            let summary = item.get("summary")?.as_array()?;
            Some(
                summary
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        }
        "commandExecution" => item
            .get("aggregatedOutput")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn texts_of_runtime_items() {
        let user = json!({"type": "userMessage", "content": [{"type": "text", "text": "hi"}]});
        assert_eq!(item_text(&user).as_deref(), Some("hi"));
        let agent = json!({"type": "agentMessage", "text": "hello"});
        assert_eq!(item_text(&agent).as_deref(), Some("hello"));
        assert_eq!(item_text(&json!({"type": "plan"})), None);
    }
}
