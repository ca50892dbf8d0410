//! Postgres access: the pool, migrations, and how database failures become bus errors.

use std::time::Duration;

use cm_schemas::BusError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// How long a command waits for a pooled connection, or for a new one, before it answers
/// `unavailable`: a hung or overloaded Postgres must not make every command hang with it.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// Server-side limits of every pooled session: no statement, lock wait or idle transaction
/// holds a connection (or a row lock) for longer.
const SESSION_LIMITS: &str =
    "-c statement_timeout=30s -c lock_timeout=10s -c idle_in_transaction_session_timeout=60s";
/// The advisory lock every Codex Manager service takes to migrate: replicas starting together
/// on one database migrate one after the other (`cm_mig` in ASCII).
const MIGRATION_LOCK: i64 = 0x636d_5f6d_6967;

/// Opens a pool. Connections are made lazily, so the service starts while Postgres is down and
/// answers `unavailable` until it is back.
pub fn pool(database_url: &str, max_size: usize) -> anyhow::Result<Pool> {
    let mut pg: tokio_postgres::Config = database_url.parse()?;
    pg.connect_timeout(POOL_TIMEOUT);
    pg.options(SESSION_LIMITS);
    let config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let mgr = match tls(&pg)? {
        Some(tls) => Manager::from_config(pg, tls, config),
        None => Manager::from_config(pg, tokio_postgres::NoTls, config),
    };
    Ok(Pool::builder(mgr)
        .max_size(max_size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(POOL_TIMEOUT))
        .create_timeout(Some(POOL_TIMEOUT))
        .recycle_timeout(Some(POOL_TIMEOUT))
        .build()?)
}

/// Runs the embedded migrations on a dedicated connection, under [`MIGRATION_LOCK`]. The
/// history table is named for this service because other services migrate the same database.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let pg: tokio_postgres::Config = database_url.parse()?;
    let (mut client, conn) = match tls(&pg)? {
        Some(tls) => {
            let (client, conn) = pg.connect(tls).await?;
            (client, tokio::spawn(async move { conn.await.map(drop) }))
        }
        None => {
            let (client, conn) = pg.connect(tokio_postgres::NoTls).await?;
            (client, tokio::spawn(async move { conn.await.map(drop) }))
        }
    };
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let migrated = embedded::migrations::runner()
        .set_migration_table_name("cm_session_migrations")
        .run_async(&mut client)
        .await;
    // Closing the connection releases the lock too; unlocking first frees it at once.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    drop(client);
    let _ = conn.await;
    migrated?;
    Ok(())
}

/// TLS for the connection when the URL asks for it (`sslmode=require`) or `PGSSLROOTCERT` (the
/// libpq variable) names the CA to trust; the server's certificate and host name are verified
/// against that CA, else the system's. `None`: plain TCP, as a local or compose Postgres speaks.
fn tls(
    pg: &tokio_postgres::Config,
) -> anyhow::Result<Option<postgres_native_tls::MakeTlsConnector>> {
    let ca = std::env::var_os("PGSSLROOTCERT").filter(|v| !v.is_empty());
    if pg.get_ssl_mode() != tokio_postgres::config::SslMode::Require && ca.is_none() {
        return Ok(None);
    }
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(ca) = ca {
        let pem = std::fs::read(&ca)
            .map_err(|e| anyhow::anyhow!("reading PGSSLROOTCERT {}: {e}", ca.to_string_lossy()))?;
        builder.add_root_certificate(native_tls::Certificate::from_pem(&pem)?);
    }
    Ok(Some(postgres_native_tls::MakeTlsConnector::new(
        builder.build()?,
    )))
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
