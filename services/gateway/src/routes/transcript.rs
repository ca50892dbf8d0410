//! Supplemental transcript entries (S3, `transcript/upsert`):
//! `PUT /api/sessions/{id}/transcript/{messageId}` creates (`201`) or replaces (`200`) the entry
//! with that message id; it keeps its place in the transcript. The session service validates
//! (`400` naming the field, `413` for text or data too large) and answers `404` / `410` for an
//! unknown / deleted session and `403` for a system-owned one.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cm_schemas::commands;
use cm_schemas::http::{EntryBody, ErrorBody};
use cm_schemas::session::{TranscriptEntry, TranscriptUpserted, UpsertTranscriptEntry};
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::extract::body;
use crate::state::AppState;

fn entry_example() -> Value {
    json!({
        "messageId": "note-7", "role": "note", "text": "Deployed to staging.",
        "turnId": "019ac3e1-2b4c-7d5e-8f60-718293a4b5c6", "data": {"source": "ci"},
        "seq": 131, "updatedSeq": 140,
        "createdAt": "2026-11-25T09:40:00Z", "updatedAt": "2026-11-25T09:42:10Z"
    })
}

#[utoipa::path(put, path = "/api/sessions/{id}/transcript/{messageId}", operation_id = "upsertTranscriptEntry", tag = "sessions",
    summary = "Create or replace a supplemental transcript entry",
    description = "Keyed by a message id of the client's choosing. The first write creates the entry (`201`) and gives it its place in the transcript (`seq`, merged with the turns' `seq`); later writes replace its role, text, turn and data and keep the place (`200`). `role` is `user`, `assistant`, `system` or `note`. A system-owned session answers `403`.",
    request_body(content = EntryBody, example = json!({"role": "note", "text": "Deployed to staging.", "turnId": "019ac3e1-2b4c-7d5e-8f60-718293a4b5c6", "data": {"source": "ci"}})),
    responses((status = 201, description = "The entry, created", body = TranscriptEntry, example = entry_example),
        (status = 200, description = "The entry, replaced", body = TranscriptEntry, example = entry_example),
        (status = 403, description = "The session is system-owned", body = ErrorBody),
        (status = 410, description = "The session was deleted", body = ErrorBody)))]
pub async fn upsert(
    State(state): State<AppState>,
    Path((session_id, message_id)): Path<(String, String)>,
    payload: Result<Json<EntryBody>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<TranscriptEntry>)> {
    let entry = body(payload)?;
    let req = UpsertTranscriptEntry {
        session_id,
        message_id,
        role: entry.role,
        text: entry.text,
        turn_id: entry.turn_id,
        data: entry.data,
    };
    let done: TranscriptUpserted = state
        .call::<commands::session::TranscriptUpsert>(&req)
        .await?;
    let status = if done.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(done.entry)))
}
