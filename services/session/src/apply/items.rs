//! Item events: `item.started` opens a streaming item, `item.delta` appends to its text, and
//! `item.completed` replaces it with the runtime's final item.

use cm_schemas::event::DeltaStream;
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
        &[&sid, &turn_id, &item_id, &delta_item_type(stream), &delta],
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
    let status = item
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| *s != "inProgress")
        .unwrap_or("completed");
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
