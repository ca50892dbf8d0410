//! Reads: session rows, pages of sessions, and transcript snapshots.

use chrono::{DateTime, Utc};
use cm_schemas::session::{
    ArchivedFilter, ItemRecord, ListSessions, SessionInfo, SessionPage, SessionSnapshot,
    SystemOwnedFilter, TurnRecord,
};
use tokio_postgres::{GenericClient, Row};

pub const SESSION_COLUMNS: &str =
    "id, title, cwd, model, status, created_at, updated_at, last_seq, project_id, archived, owner";

pub fn session_from(row: &Row) -> SessionInfo {
    SessionInfo {
        id: row.get("id"),
        title: row.get("title"),
        cwd: row.get("cwd"),
        model: row.get("model"),
        status: row.get("status"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        project_id: row.get("project_id"),
        archived: row.get("archived"),
        system_owned: row.get::<_, Option<String>>("owner").is_some(),
        owner: row.get("owner"),
    }
}

pub async fn session(
    db: &impl GenericClient,
    id: &str,
) -> Result<Option<(SessionInfo, u64)>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM session.sessions WHERE id = $1 AND deleted_at IS NULL"
            ),
            &[&id],
        )
        .await?;
    Ok(row.map(|r| (session_from(&r), r.get::<_, i64>("last_seq") as u64)))
}

/// Newest first, filtered. The cursor is the last row's `created_at` and id, so a page stays
/// stable while sessions are added.
pub async fn page(
    db: &impl GenericClient,
    req: &ListSessions,
    cursor: Option<(DateTime<Utc>, String)>,
) -> Result<SessionPage, tokio_postgres::Error> {
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
        .await?;
    let mut sessions: Vec<SessionInfo> = rows.iter().map(session_from).collect();
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
) -> Result<Option<SessionSnapshot>, tokio_postgres::Error> {
    let Some((session, seq)) = self::session(db, id).await? else {
        return Ok(None);
    };
    let turn_rows = db
        .query(
            "SELECT id, seq, status, reason, error, usage, plan, diff, started_at, completed_at FROM session.turns
             WHERE session_id = $1 ORDER BY ordinal",
            &[&id],
        )
        .await?;
    let item_rows = db
        .query(
            "SELECT turn_id, id, item_type, status, text, item FROM session.items
             WHERE session_id = $1 ORDER BY ordinal",
            &[&id],
        )
        .await?;
    let mut turns: Vec<TurnRecord> = turn_rows
        .iter()
        .map(|r| TurnRecord {
            id: r.get("id"),
            seq: r.get::<_, Option<i64>>("seq").map(|s| s as u64),
            status: r.get("status"),
            reason: r.get("reason"),
            error: r.get("error"),
            usage: r.get("usage"),
            plan: r.get("plan"),
            diff: r.get("diff"),
            started_at: r.get("started_at"),
            completed_at: r.get("completed_at"),
            items: Vec::new(),
        })
        .collect();
    for r in &item_rows {
        let turn_id: String = r.get("turn_id");
        if let Some(turn) = turns.iter_mut().find(|t| t.id == turn_id) {
            turn.items.push(ItemRecord {
                id: r.get("id"),
                item_type: r.get("item_type"),
                status: r.get("status"),
                text: r.get("text"),
                item: r.get("item"),
            });
        }
    }
    // Entries are written by their command before the consumer gets to their event, so one may
    // be newer than `seq`; its event then follows on the stream, and applying it again (an
    // upsert by message id that keeps the place) changes nothing.
    let entries = crate::transcript::entries(db, id).await?;
    Ok(Some(SessionSnapshot {
        session,
        turns,
        entries,
        seq,
    }))
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
