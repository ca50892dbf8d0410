//! How a database failure becomes a bus error, shared by every service that keeps its records
//! in Postgres: a lost or refused connection is `unavailable` (try again), anything else is a
//! logged `internal`. A service maps the failures it expects (a unique name's `conflict`) first.

use cm_schemas::BusError;

/// A failure to get a pooled connection, or of a statement on one.
#[derive(Debug)]
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

/// Maps a pool or query error: a lost or refused connection is `unavailable`, the rest internal.
pub fn bus_error(e: impl Into<DbError>) -> BusError {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use cm_schemas::ErrorCode;
    use tokio_postgres::error::SqlState;

    #[test]
    fn a_pool_time_out_is_unavailable_and_transient() {
        let e = DbError::from(deadpool_postgres::PoolError::Timeout(
            deadpool_postgres::TimeoutType::Wait,
        ));
        assert!(is_transient(&e));
        assert!(describe(&e).starts_with("database unavailable: "));
        assert_eq!(bus_error(e).code, ErrorCode::Unavailable);
    }

    #[tokio::test]
    async fn a_refused_connection_is_unavailable_and_transient() {
        // Nothing listens on port 1; the error has no SQLSTATE and an I/O source.
        let e = tokio_postgres::connect(
            "host=127.0.0.1 port=1 user=x connect_timeout=5",
            tokio_postgres::NoTls,
        )
        .await
        .err()
        .unwrap();
        let e = DbError::from(e);
        assert!(is_transient(&e));
        assert_eq!(bus_error(e).code, ErrorCode::Unavailable);
    }

    #[test]
    fn lock_waits_and_shutdowns_are_transient_states_constraint_violations_are_not() {
        assert!(is_transient_state(&SqlState::LOCK_NOT_AVAILABLE));
        assert!(is_transient_state(&SqlState::T_R_SERIALIZATION_FAILURE));
        assert!(is_transient_state(&SqlState::ADMIN_SHUTDOWN));
        assert!(!is_transient_state(&SqlState::UNIQUE_VIOLATION));
        assert!(!is_transient_state(&SqlState::SYNTAX_ERROR));
    }
}
