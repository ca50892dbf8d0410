//! Reads: session rows, pages of sessions, transcript snapshots and entries, and the project
//! hold that session writes take.

use chrono::{DateTime, Utc};
use cm_schemas::BusError;
use cm_schemas::session::{
    ArchivedFilter, ItemRecord, ListSessions, SessionInfo, SessionPage, SessionSnapshot,
    SystemOwnedFilter, TranscriptEntry, TurnRecord,
};
use tokio_postgres::{GenericClient, Row};

use crate::db;
use crate::row::RowExt;

pub const SESSION_COLUMNS: &str =
    "id, title, cwd, model, status, created_at, updated_at, last_seq, project_id, archived, owner";

/// Fails with `not_found` unless the project exists, and keeps it from being deleted until the
/// transaction ends (sessions may be filed under it meanwhile).
pub(crate) async fn hold_project(db: &impl GenericClient, id: &str) -> Result<(), BusError> {
    db.query_opt(
        "SELECT 1 FROM session.projects WHERE id = $1 FOR KEY SHARE",
        &[&id],
    )
    .await
    .map_err(db::error)?
    .map(|_| ())
    .ok_or_else(|| BusError::not_found("project", id))
}

/// The columns [`entry_from`] reads, of `session.transcript_entries`.
pub const ENTRY_COLUMNS: &str =
    "message_id, role, text, turn_id, data, seq, last_seq, created_at, updated_at";

pub fn session_from(row: &Row) -> Result<SessionInfo, BusError> {
    let owner: Option<String> = row.col("owner")?;
    Ok(SessionInfo {
        id: row.col("id")?,
        title: row.col("title")?,
        cwd: row.col("cwd")?,
        model: row.col("model")?,
        status: row.col("status")?,
        created_at: row.col("created_at")?,
        updated_at: row.col("updated_at")?,
        project_id: row.col("project_id")?,
        archived: row.col("archived")?,
        system_owned: owner.is_some(),
        owner,
    })
}

pub async fn session(
    db: &impl GenericClient,
    id: &str,
) -> Result<Option<(SessionInfo, u64)>, BusError> {
    let row = db
        .query_opt(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM session.sessions WHERE id = $1 AND deleted_at IS NULL"
            ),
            &[&id],
        )
        .await
        .map_err(db::error)?;
    row.map(|r| Ok((session_from(&r)?, r.col::<i64>("last_seq")? as u64)))
        .transpose()
}

/// Newest first, filtered. The cursor is the last row's `created_at` and id, so a page stays
/// stable while sessions are added.
pub async fn page(
    db: &impl GenericClient,
    req: &ListSessions,
    cursor: Option<(DateTime<Utc>, String)>,
) -> Result<SessionPage, BusError> {
    let limit = i64::from(req.limit.unwrap_or(50).clamp(1, 200));
    let archived = match req.archived {
        ArchivedFilter::Exclude => Some(false),
        ArchivedFilter::Only => Some(true),
        ArchivedFilter::All => None,
    };
    let system_owned = match req.system_owned {
        SystemOwnedFilter::Exclude => Some(false),
        SystemOwnedFilter::Only => Some(true),
        SystemOwnedFilter::All => None,
    };
    let (at, after_id) = cursor.unzip();
    let rows = db
        .query(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM session.sessions
                 WHERE deleted_at IS NULL
                   AND ($1::text IS NULL OR project_id = $1)
                   AND (NOT $2 OR project_id IS NULL)
                   AND ($3::boolean IS NULL OR archived = $3)
                   AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::text))
                   AND ($7::boolean IS NULL OR (owner IS NOT NULL) = $7)
                 ORDER BY created_at DESC, id DESC LIMIT $6"
            ),
            &[
                &req.project_id,
                &req.unassigned,
                &archived,
                &at,
                &after_id,
                &(limit + 1),
                &system_owned,
            ],
        )
        .await
        .map_err(db::error)?;
    let mut sessions = rows
        .iter()
        .map(session_from)
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = if sessions.len() as i64 > limit {
        sessions.truncate(limit as usize);
        sessions.last().map(|s| encode_cursor(s.created_at, &s.id))
    } else {
        None
    };
    Ok(SessionPage {
        sessions,
        next_cursor,
    })
}

pub fn encode_cursor(at: DateTime<Utc>, id: &str) -> String {
    format!("{}~{id}", at.timestamp_micros())
}

pub fn decode_cursor(cursor: &str) -> Option<(DateTime<Utc>, String)> {
    let (micros, id) = cursor.split_once('~')?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, id.to_owned()))
}

/// The session with its transcript. Run inside a repeatable-read transaction so `seq` and the
/// rows agree.
pub async fn snapshot(
    db: &impl GenericClient,
    id: &str,
) -> Result<Option<SessionSnapshot>, BusError> {
    let Some((session, seq)) = self::session(db, id).await? else {
        return Ok(None);
    };
    let turn_rows = db
        .query(
            "SELECT id, seq, status, reason, error, usage, plan, diff, started_at, completed_at FROM session.turns
             WHERE session_id = $1 ORDER BY ordinal",
            &[&id],
        )
        .await
        .map_err(db::error)?;
    let item_rows = db
        .query(
            "SELECT turn_id, id, item_type, status, text, item FROM session.items
             WHERE session_id = $1 ORDER BY ordinal",
            &[&id],
        )
        .await
        .map_err(db::error)?;
    let mut turns: Vec<TurnRecord> = turn_rows
        .iter()
        .map(|r| {
            Ok(TurnRecord {
                id: r.col("id")?,
                seq: r.col::<Option<i64>>("seq")?.map(|s| s as u64),
                status: r.col("status")?,
                reason: r.col("reason")?,
                error: r.col("error")?,
                usage: r.col("usage")?,
                plan: r.col("plan")?,
                diff: r.col("diff")?,
                started_at: r.col("started_at")?,
                completed_at: r.col("completed_at")?,
                items: Vec::new(),
            })
        })
        .collect::<Result<_, BusError>>()?;
    for r in &item_rows {
        let turn_id: String = r.col("turn_id")?;
        if let Some(turn) = turns.iter_mut().find(|t| t.id == turn_id) {
            turn.items.push(ItemRecord {
                id: r.col("id")?,
                item_type: r.col::<String>("item_type")?.into(),
                status: r.col("status")?,
                text: r.col("text")?,
                item: r.col("item")?,
            });
        }
    }
    // Entries are written by their command before the consumer gets to their event, so one may
    // be newer than `seq`; its event then follows on the stream, and applying it again (an
    // upsert by message id that keeps the place) changes nothing.
    let entries = entries(db, id).await?;
    Ok(Some(SessionSnapshot {
        session,
        turns,
        entries,
        seq,
    }))
}

/// The session's entries in transcript order.
pub async fn entries(db: &impl GenericClient, sid: &str) -> Result<Vec<TranscriptEntry>, BusError> {
    let rows = db
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM session.transcript_entries WHERE session_id = $1
                 ORDER BY seq"
            ),
            &[&sid],
        )
        .await
        .map_err(db::error)?;
    rows.iter().map(entry_from).collect()
}

pub fn entry_from(row: &Row) -> Result<TranscriptEntry, BusError> {
    Ok(TranscriptEntry {
        message_id: row.col("message_id")?,
        role: row.col("role")?,
        text: row.col("text")?,
        turn_id: row.col("turn_id")?,
        data: row.col("data")?,
        seq: row.col::<i64>("seq")? as u64,
        updated_seq: row.col::<i64>("last_seq")? as u64,
        created_at: row.col("created_at")?,
        updated_at: row.col("updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let at = DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).unwrap_or_default();
        let c = encode_cursor(at, "abc~d");
        assert_eq!(decode_cursor(&c), Some((at, "abc~d".to_owned())));
        assert_eq!(decode_cursor("junk"), None);
    }
}
