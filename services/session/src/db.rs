//! Postgres access: the pool, migrations, and how database failures become bus errors (the
//! shared mapping of [`cm_pg::bus_error`], re-exported here as `db::error`).

use deadpool_postgres::Pool;

pub use cm_pg::bus_error as error;
pub use cm_pg::{DbError, describe, is_transient};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// The session service's pool ([`cm_pg::pool`]: time-outs, session limits, optional TLS).
pub fn pool(database_url: &str, max_size: usize) -> anyhow::Result<Pool> {
    cm_pg::pool(database_url, max_size)
}

/// Runs the embedded migrations under the shared advisory lock ([`cm_pg::migrate`]). The
/// history table is named for this service because other services migrate the same database.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let mut runner = embedded::migrations::runner();
    runner.set_migration_table_name("cm_session_migrations");
    cm_pg::migrate(database_url, &runner).await
}
