//! Postgres access: the pool, migrations, and how database failures become bus errors.

use cm_schemas::BusError;
use deadpool_postgres::Pool;

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

/// Maps a pool or query error: a lost or refused connection is `unavailable`, the rest internal.
pub fn error(e: impl Into<DbError>) -> BusError {
    match e.into() {
        DbError::Pool(e) => BusError::unavailable("postgres", format!("database unavailable: {e}")),
        DbError::Query(e) if e.is_closed() || e.code().is_none() => {
            BusError::unavailable("postgres", format!("database unavailable: {e}"))
        }
        DbError::Query(e) => {
            tracing::error!(error = %e, "database query failed");
            BusError::internal("database query failed")
        }
    }
}

pub enum DbError {
    Pool(deadpool_postgres::PoolError),
    Query(tokio_postgres::Error),
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Pool(e)
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::Query(e)
    }
}

/// Whether the failure is the connection's (Postgres down or restarting: try again as long as
/// it takes), not the statement's (Postgres refuses this data: the same on every try).
pub fn is_transient(e: &DbError) -> bool {
    match e {
        DbError::Pool(_) => true,
        DbError::Query(e) => {
            e.is_closed()
                || e.code().is_some_and(is_transient_state)
                || (e.code().is_none()
                    && std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()))
        }
    }
}

/// SQLSTATEs that say "not now" rather than "never": a lock wait or statement time-out, a
/// deadlock or serialization failure, a server shutting down or out of connections.
fn is_transient_state(code: &tokio_postgres::error::SqlState) -> bool {
    use tokio_postgres::error::SqlState as S;
    [
        S::LOCK_NOT_AVAILABLE,
        S::QUERY_CANCELED,
        S::T_R_DEADLOCK_DETECTED,
        S::T_R_SERIALIZATION_FAILURE,
        S::ADMIN_SHUTDOWN,
        S::CRASH_SHUTDOWN,
        S::CANNOT_CONNECT_NOW,
        S::TOO_MANY_CONNECTIONS,
        S::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
    ]
    .contains(code)
}

/// The error with Postgres' own message (`tokio_postgres` displays a bare "db error").
pub fn describe(e: &DbError) -> String {
    match e {
        DbError::Pool(e) => format!("database unavailable: {e}"),
        DbError::Query(e) => match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        },
    }
}
