//! Supplemental transcript entries (`cm.v1.session.transcript.upsert`): text beside the
//! runtime's turns, keyed by a message id of the writer's choosing.
//!
//! Like the lifecycle commands, the command locks the session row, publishes
//! `transcript.upserted`, writes the entry and commits; the consumer applies the same event
//! idempotently (`last_seq` guards against an older write). The first event of a message id
//! gives the entry its place (`seq`); later ones replace its content and keep the place.

use std::sync::Arc;

use cm_schemas::session::{TRANSCRIPT_ROLES, TranscriptUpserted, UpsertTranscriptEntry};
use cm_schemas::{BusError, ErrorCode, Event, EventBody};
use serde_json::{Value, json};
use tokio_postgres::GenericClient;

use crate::ctx::Ctx;
use crate::{db, lifecycle, queries};

pub const MAX_MESSAGE_ID: usize = 200;
pub const MAX_TEXT: usize = 256 * 1024;
pub const MAX_DATA: usize = 64 * 1024;

/// Creates or replaces an entry; the shared write of the command and the consumer.
const UPSERT: &str = "INSERT INTO session.transcript_entries
        (session_id, message_id, role, text, turn_id, data, seq, last_seq)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
    ON CONFLICT (session_id, message_id) DO UPDATE SET role = EXCLUDED.role,
        text = EXCLUDED.text, turn_id = EXCLUDED.turn_id, data = EXCLUDED.data,
        last_seq = EXCLUDED.last_seq, updated_at = now()
    WHERE session.transcript_entries.last_seq < EXCLUDED.last_seq";

/// Checks a request's fields: `validation` naming the field, `payload_too_large` for sizes.
pub fn validate(req: &UpsertTranscriptEntry) -> Result<(), BusError> {
    let id = req.message_id.as_str();
    if id.is_empty() || id.chars().count() > MAX_MESSAGE_ID || id.chars().any(char::is_control) {
        return Err(BusError::validation(
            "messageId",
            format!(
                "messageId must be 1 to {MAX_MESSAGE_ID} characters without control characters"
            ),
        ));
    }
    if !TRANSCRIPT_ROLES.contains(&req.role.as_str()) {
        return Err(BusError::validation(
            "role",
            format!("role must be one of {}", TRANSCRIPT_ROLES.join(", ")),
        ));
    }
    if req.text.len() > MAX_TEXT {
        return Err(too_large("text", MAX_TEXT));
    }
    if req.turn_id.as_ref().is_some_and(|t| t.is_empty()) {
        return Err(BusError::validation("turnId", "turnId must not be empty"));
    }
    if let Some(data) = &req.data {
        if data.is_null() {
            return Err(BusError::validation(
                "data",
                "data must not be null (leave it out)",
            ));
        }
        if serde_json::to_vec(data).map_or(0, |v| v.len()) > MAX_DATA {
            return Err(too_large("data", MAX_DATA));
        }
    }
    Ok(())
}

fn too_large(field: &str, limit: usize) -> BusError {
    BusError::new(
        ErrorCode::PayloadTooLarge,
        format!("{field} is larger than {limit} bytes"),
    )
    .with_details(json!({ "field": field, "limit": limit }))
}

pub async fn upsert(
    ctx: Arc<Ctx>,
    req: UpsertTranscriptEntry,
) -> Result<TranscriptUpserted, BusError> {
    validate(&req)?;
    let sid = req.session_id.as_str();
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    // The row lock orders this write with deletes, rollbacks and other upserts of the session,
    // and keeps the consumer from applying the session's events until this commits.
    lifecycle::lock_writable(&*tx, sid).await?;
    if let Some(turn) = &req.turn_id {
        let found = tx
            .query_opt(
                "SELECT 1 FROM session.turns WHERE session_id = $1 AND id = $2",
                &[&sid, turn],
            )
            .await
            .map_err(db::error)?;
        if found.is_none() {
            return Err(BusError::validation(
                "turnId",
                format!("session {sid} has no turn {turn}"),
            ));
        }
    }
    let existed = tx
        .query_opt(
            "SELECT 1 FROM session.transcript_entries WHERE session_id = $1 AND message_id = $2",
            &[&sid, &req.message_id],
        )
        .await
        .map_err(db::error)?
        .is_some();
    let event = Event::session(
        sid,
        EventBody::TranscriptUpserted {
            message_id: req.message_id.clone(),
            role: req.role.clone(),
            text: req.text.clone(),
            turn_id: req.turn_id.clone(),
            data: req.data.clone(),
        },
    );
    let seq = ctx
        .bus
        .publish_event(&event)
        .await
        .map_err(|e| BusError::unavailable("nats", e.to_string()))?;
    write(
        &*tx,
        sid,
        seq as i64,
        &req.message_id,
        &req.role,
        &req.text,
        req.turn_id.as_deref(),
        req.data.as_ref(),
    )
    .await
    .map_err(db::error)?;
    let row = tx
        .query_one(
            &format!(
                "SELECT {} FROM session.transcript_entries
                 WHERE session_id = $1 AND message_id = $2",
                queries::ENTRY_COLUMNS
            ),
            &[&sid, &req.message_id],
        )
        .await
        .map_err(db::error)?;
    tx.commit().await.map_err(db::error)?;
    Ok(TranscriptUpserted {
        entry: queries::entry_from(&row)?,
        created: !existed,
    })
}

/// Writes one upsert at stream sequence `seq` (a no-op when a later one is recorded).
#[allow(clippy::too_many_arguments)]
pub async fn write(
    db: &impl GenericClient,
    sid: &str,
    seq: i64,
    message_id: &str,
    role: &str,
    text: &str,
    turn_id: Option<&str>,
    data: Option<&Value>,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        UPSERT,
        &[&sid, &message_id, &role, &text, &turn_id, &data, &seq],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> UpsertTranscriptEntry {
        UpsertTranscriptEntry {
            session_id: "s".into(),
            message_id: "m-1".into(),
            role: "note".into(),
            text: "hello".into(),
            turn_id: None,
            data: Some(json!({ "k": 1 })),
        }
    }

    fn field_of(r: Result<(), BusError>) -> (Option<ErrorCode>, Option<String>) {
        match r {
            Ok(()) => (None, None),
            Err(e) => (Some(e.code), e.details["field"].as_str().map(str::to_owned)),
        }
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(field_of(validate(&req())), (None, None));
        let bad = [
            (
                UpsertTranscriptEntry {
                    message_id: String::new(),
                    ..req()
                },
                ErrorCode::Validation,
                "messageId",
            ),
            (
                UpsertTranscriptEntry {
                    message_id: "a\nb".into(),
                    ..req()
                },
                ErrorCode::Validation,
                "messageId",
            ),
            (
                UpsertTranscriptEntry {
                    message_id: "x".repeat(201),
                    ..req()
                },
                ErrorCode::Validation,
                "messageId",
            ),
            (
                UpsertTranscriptEntry {
                    role: "robot".into(),
                    ..req()
                },
                ErrorCode::Validation,
                "role",
            ),
            (
                UpsertTranscriptEntry {
                    turn_id: Some(String::new()),
                    ..req()
                },
                ErrorCode::Validation,
                "turnId",
            ),
            (
                UpsertTranscriptEntry {
                    data: Some(Value::Null),
                    ..req()
                },
                ErrorCode::Validation,
                "data",
            ),
            (
                UpsertTranscriptEntry {
                    text: "x".repeat(MAX_TEXT + 1),
                    ..req()
                },
                ErrorCode::PayloadTooLarge,
                "text",
            ),
            (
                UpsertTranscriptEntry {
                    data: Some(json!("x".repeat(MAX_DATA))),
                    ..req()
                },
                ErrorCode::PayloadTooLarge,
                "data",
            ),
        ];
        for (r, code, field) in bad {
            assert_eq!(field_of(validate(&r)), (Some(code), Some(field.to_owned())));
        }
        for role in TRANSCRIPT_ROLES {
            let ok = UpsertTranscriptEntry {
                role: role.into(),
                ..req()
            };
            assert_eq!(field_of(validate(&ok)), (None, None));
        }
    }
}
