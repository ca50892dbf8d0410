//! Item events: `item.started` opens a streaming item, `item.delta` appends to its text, and
//! `item.completed` replaces it with the runtime's final item.

use cm_schemas::event::DeltaStream;
use cm_schemas::item::{completed_status, delta_item_type, item_text};
use deadpool_postgres::Transaction;
use serde_json::Value;

use super::{ensure_turn, exec};

pub(super) async fn started(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    turn_id: &str,
    item_id: &str,
    item_type: &str,
    item: &Value,
) -> Result<(), tokio_postgres::Error> {
    ensure_turn(tx, sid, turn_id, seq).await?;
    exec(
        tx,
        "INSERT INTO session.items (session_id, turn_id, id, item_type, status, text, item)
         VALUES ($1, $2, $3, $4, 'streaming', $5, $6)
         ON CONFLICT (session_id, turn_id, id) DO UPDATE SET item = EXCLUDED.item",
        &[
            &sid,
            &turn_id,
            &item_id,
            &item_type,
            &item_text(item).unwrap_or_default(),
            item,
        ],
    )
    .await?;
    Ok(())
}

/// A delta can arrive before its `item.started`: the row it opens takes its type from the
/// delta's stream.
pub(super) async fn delta(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    turn_id: &str,
    item_id: &str,
    stream: DeltaStream,
    delta: &str,
) -> Result<(), tokio_postgres::Error> {
    ensure_turn(tx, sid, turn_id, seq).await?;
    exec(
        tx,
        "INSERT INTO session.items (session_id, turn_id, id, item_type, status, text, item)
         VALUES ($1, $2, $3, $4, 'streaming', $5, '{}'::jsonb)
         ON CONFLICT (session_id, turn_id, id) DO UPDATE SET text = session.items.text || EXCLUDED.text",
        &[&sid, &turn_id, &item_id, &delta_item_type(stream).unwrap_or("unknown"), &delta],
    )
    .await?;
    Ok(())
}

/// The completed item is authoritative: its text replaces what the deltas built.
pub(super) async fn completed(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    turn_id: &str,
    item_id: &str,
    item_type: &str,
    item: &Value,
) -> Result<(), tokio_postgres::Error> {
    ensure_turn(tx, sid, turn_id, seq).await?;
    let status = completed_status(item);
    exec(
        tx,
        "INSERT INTO session.items (session_id, turn_id, id, item_type, status, text, item)
         VALUES ($1, $2, $3, $4, $5, COALESCE($6, ''), $7)
         ON CONFLICT (session_id, turn_id, id) DO UPDATE SET
            item_type = EXCLUDED.item_type, status = EXCLUDED.status, item = EXCLUDED.item,
            text = COALESCE($6, session.items.text)",
        &[
            &sid,
            &turn_id,
            &item_id,
            &item_type,
            &status,
            &item_text(item),
            item,
        ],
    )
    .await?;
    Ok(())
}
