//! How the event consumer applies lifecycle events. Each is idempotent: the command that
//! published the event has usually written the same state already, and a redelivery or a
//! replay must change nothing more.

use cm_schemas::EventBody;
use cm_schemas::session::SessionInfo;
use tokio_postgres::{GenericClient, Transaction};

use super::delete::{PURGE_ROWS, TOMBSTONE};

/// Whether the event belongs to a deleted session and must not be applied (nor recorded: the
/// session's history is gone). `session.deleted` itself always applies.
/// Asked before every event, so prepared once per connection.
pub async fn is_tombstoned(
    tx: &deadpool_postgres::Transaction<'_>,
    sid: &str,
    body: &EventBody,
) -> Result<bool, tokio_postgres::Error> {
    if matches!(body, EventBody::SessionDeleted { .. }) {
        return Ok(false);
    }
    let query = tx
        .prepare_cached("SELECT 1 FROM session.sessions WHERE id = $1 AND deleted_at IS NOT NULL")
        .await?;
    Ok(tx.query_opt(&query, &[&sid]).await?.is_some())
}

/// `session.updated`: title, project and archived flag as the event says, unless the row
/// already reflects this or a later change (`state_seq`): the command that published a later
/// event has written its state, and an older event must not undo it meanwhile. A project
/// deleted since leaves the session unassigned, as its foreign key would.
pub async fn apply_updated(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    session: &SessionInfo,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "UPDATE session.sessions SET title = $2, archived = $3,
            project_id = (SELECT id FROM session.projects WHERE id = $4), state_seq = $5
         WHERE id = $1 AND state_seq < $5",
        &[
            &sid,
            &session.title,
            &session.archived,
            &session.project_id,
            &seq,
        ],
    )
    .await?;
    Ok(())
}

/// `session.deleted`: the tombstone, and nothing of the session's content.
pub async fn apply_deleted(tx: &Transaction<'_>, sid: &str) -> Result<(), tokio_postgres::Error> {
    tx.execute(TOMBSTONE, &[&sid]).await?;
    for sql in PURGE_ROWS {
        tx.execute(*sql, &[&sid]).await?;
    }
    Ok(())
}

/// `session.rolled_back`: the turns leave the transcript.
pub async fn apply_rolled_back(
    tx: &Transaction<'_>,
    sid: &str,
    turn_ids: &[String],
) -> Result<(), tokio_postgres::Error> {
    remove_turns(tx, sid, turn_ids).await
}

/// Deletes turns with their items (cascade), their requests and the transcript entries
/// attached to them.
pub(super) async fn remove_turns(
    db: &impl GenericClient,
    sid: &str,
    turn_ids: &[String],
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "DELETE FROM session.transcript_entries WHERE session_id = $1 AND turn_id = ANY($2)",
        &[&sid, &turn_ids],
    )
    .await?;
    db.execute(
        "DELETE FROM session.requests WHERE session_id = $1 AND turn_id = ANY($2)",
        &[&sid, &turn_ids],
    )
    .await?;
    db.execute(
        "DELETE FROM session.turns WHERE session_id = $1 AND id = ANY($2)",
        &[&sid, &turn_ids],
    )
    .await?;
    Ok(())
}
