//! `cm.v1.session.events.page`: the event history in `session.events`, in stream order, for
//! readers that resume from further back than the `CM_EVENTS` stream keeps.
//!
//! Every event the consumer applies is stored under its stream sequence, whatever its scope, so
//! the stored sequences are contiguous unless events never reached Postgres (dropped from the
//! stream before they were applied) or left it with a deleted session. A page reports the
//! sequences it has no record of as `missing`, so the reader can tell its client to refetch a
//! snapshot instead of silently skipping events. For one scope instance, holes before its first
//! stored event cannot have held its events and are not reported.

use std::sync::Arc;

use cm_schemas::history::{EventPage, PageEvents, SeqRange};
use cm_schemas::{BusError, Event, StreamedEvent};
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use crate::ctx::Ctx;
use crate::db;
use crate::row::RowExt;

const DEFAULT_LIMIT: u32 = 200;
const MAX_LIMIT: u32 = 1000;
/// A page stops growing past this many bytes of events (NATS messages are limited to 1 MiB).
const MAX_PAGE_BYTES: usize = 256 * 1024;
/// At most this many holes are reported per page.
const MAX_HOLES: i64 = 64;

pub async fn page(ctx: Arc<Ctx>, req: PageEvents) -> Result<EventPage, BusError> {
    if req.scope_id.is_some() && req.scope.is_none() {
        return Err(BusError::validation("scopeId", "scopeId requires scope"));
    }
    let after = to_i64(req.after_seq, "afterSeq")?;
    let before = req.before_seq.map(|b| to_i64(b, "beforeSeq")).transpose()?;
    if before.is_some_and(|b| b <= after + 1) {
        return Ok(EventPage {
            events: Vec::new(),
            through_seq: req.after_seq,
            more: false,
            missing: Vec::new(),
        });
    }
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let client = ctx.pool.get().await.map_err(db::error)?;
    let db = &**client;
    let (events, cut) = events(db, &req, after, before, limit).await?;
    let more = cut;
    let through = match (more, events.last(), before) {
        (true, Some(last), _) => last.seq as i64,
        (_, _, Some(b)) => b - 1,
        (_, Some(last), None) => last.seq as i64,
        (_, None, None) => after,
    };
    let missing = missing(db, &req, after, through).await?;
    Ok(EventPage {
        events,
        through_seq: through as u64,
        more,
        missing,
    })
}

fn to_i64(v: u64, field: &str) -> Result<i64, BusError> {
    i64::try_from(v).map_err(|_| BusError::validation(field, format!("{field} is out of range")))
}

/// Matching events in `(after, before)`, at most `limit` and about [`MAX_PAGE_BYTES`]; `true`
/// when the page was cut short.
async fn events(
    db: &impl GenericClient,
    req: &PageEvents,
    after: i64,
    before: Option<i64>,
    limit: usize,
) -> Result<(Vec<StreamedEvent>, bool), BusError> {
    let scope = req.scope.map(|s| s.as_str());
    let fetch = limit as i64 + 1;
    let mut sql = String::from("SELECT seq, body::text AS body FROM session.events WHERE seq > $1");
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after];
    if let Some(b) = &before {
        params.push(b);
        sql.push_str(&format!(" AND seq < ${}", params.len()));
    }
    if let Some(s) = &scope {
        params.push(s);
        sql.push_str(&format!(" AND scope = ${}", params.len()));
    }
    if let Some(id) = &req.scope_id {
        params.push(id);
        sql.push_str(&format!(" AND scope_id = ${}", params.len()));
    }
    params.push(&fetch);
    sql.push_str(&format!(" ORDER BY seq LIMIT ${}", params.len()));
    let rows = db.query(&sql, &params).await.map_err(db::error)?;

    let mut out = Vec::with_capacity(rows.len().min(limit));
    let mut bytes = 0usize;
    for row in &rows {
        if out.len() == limit || (bytes >= MAX_PAGE_BYTES && !out.is_empty()) {
            return Ok((out, true));
        }
        let seq: i64 = row.col("seq")?;
        let body: &str = row.col("body")?;
        bytes += body.len();
        match serde_json::from_str::<Event>(body) {
            Ok(event) => out.push(StreamedEvent {
                seq: seq as u64,
                event,
            }),
            // Counts as delivered: the live stream skips an unreadable event the same way.
            Err(e) => tracing::warn!(seq, error = %e, "stored event unreadable; skipped"),
        }
    }
    Ok((out, false))
}

/// Holes in the stored sequences of `(after, through]` that may have held a matching event.
async fn missing(
    db: &impl GenericClient,
    req: &PageEvents,
    after: i64,
    through: i64,
) -> Result<Vec<SeqRange>, BusError> {
    let mut lower = after;
    if let (Some(scope), Some(id)) = (req.scope, &req.scope_id) {
        // Nothing before the instance's first stored event can have been one of its events.
        let first: Option<i64> = db
            .query_one(
                "SELECT min(seq) FROM session.events WHERE scope = $1 AND scope_id = $2",
                &[&scope.as_str(), id],
            )
            .await
            .map_err(db::error)?
            .col_at(0)?;
        if let Some(first) = first {
            lower = lower.max(first);
        }
    }
    if through <= lower {
        return Ok(Vec::new());
    }
    let rows = db
        .query(
            "WITH r AS (
                 SELECT seq FROM session.events WHERE seq > $1 AND seq <= $2
                 UNION ALL SELECT $1
                 UNION ALL SELECT $2 + 1
             ), g AS (SELECT seq, lag(seq) OVER (ORDER BY seq) AS prev FROM r)
             SELECT prev + 1 AS lo, seq - 1 AS hi FROM g WHERE seq - prev > 1
             ORDER BY lo LIMIT $3",
            &[&lower, &through, &MAX_HOLES],
        )
        .await
        .map_err(db::error)?;
    rows.iter()
        .map(|r| {
            Ok(SeqRange {
                from: r.col::<i64>("lo")? as u64,
                to: r.col::<i64>("hi")? as u64,
            })
        })
        .collect()
}
