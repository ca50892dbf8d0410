//! Session lifecycle events: `session.created` here; `session.updated`, `.deleted` and
//! `.rolled_back` are applied by the lifecycle commands' own module, re-exported here.

use cm_schemas::session::SessionInfo;
use deadpool_postgres::Transaction;

pub(super) use crate::lifecycle::{
    apply_deleted as deleted, apply_rolled_back as rolled_back, apply_updated as updated,
};

use super::exec;

/// Fills the row the event (or the create command) opened; skipped when a later lifecycle
/// change (a rename) is already recorded.
pub(super) async fn created(
    tx: &Transaction<'_>,
    sid: &str,
    seq: i64,
    session: &SessionInfo,
) -> Result<(), tokio_postgres::Error> {
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
    Ok(())
}
