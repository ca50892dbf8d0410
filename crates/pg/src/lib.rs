//! Postgres the way every Codex Manager service connects to it: a pool that never waits for
//! ever, server-side limits on every session, migrations one replica at a time, and TLS when
//! the URL or the environment asks for it; and one mapping of database errors to bus errors
//! ([`errors`]: `unavailable` for a lost connection, `internal` otherwise, and whether to retry).
//! Each service keeps its own migrations, and maps the failures it expects (a unique name's
//! `conflict`) before handing the rest to [`bus_error`].

mod args;
mod errors;

pub mod roles;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use postgres_native_tls::MakeTlsConnector;
use tokio_postgres::config::SslMode;

pub use args::DbArgs;
pub use errors::{DbError, bus_error, describe, is_transient};

/// How long a command waits for a pooled connection, or for a new one, before it answers
/// `unavailable`: a hung or overloaded Postgres must not make every command hang with it.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(5);
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

/// Runs `runner` (a service's embedded migrations, with its own history table) on a dedicated
/// connection, under [`MIGRATION_LOCK`].
pub async fn migrate(database_url: &str, runner: &refinery::Runner) -> anyhow::Result<()> {
    let (mut client, conn) = connect(database_url).await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let migrated = runner.run_async(&mut client).await;
    // Closing the connection releases the lock too; unlocking first frees it at once.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    drop(client);
    let _ = conn.await;
    migrated?;
    Ok(())
}

/// One connection outside the pool (TLS as [`tls`] decides), and the task driving it: it ends
/// once the client is dropped.
async fn connect(
    database_url: &str,
) -> anyhow::Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>)> {
    let pg: tokio_postgres::Config = database_url.parse()?;
    Ok(match tls(&pg)? {
        Some(tls) => {
            let (client, conn) = pg.connect(tls).await?;
            (client, tokio::spawn(async move { drop(conn.await) }))
        }
        None => {
            let (client, conn) = pg.connect(tokio_postgres::NoTls).await?;
            (client, tokio::spawn(async move { drop(conn.await) }))
        }
    })
}

/// TLS for the connection when the URL asks for it (`sslmode=require`) or `PGSSLROOTCERT` (the
/// libpq variable) names the CA to trust; the server's certificate and host name are verified
/// against that CA, else the system's. `None`: plain TCP, as a local or compose Postgres speaks.
fn tls(pg: &tokio_postgres::Config) -> anyhow::Result<Option<MakeTlsConnector>> {
    let ca = std::env::var_os("PGSSLROOTCERT").filter(|v| !v.is_empty());
    if pg.get_ssl_mode() != SslMode::Require && ca.is_none() {
        return Ok(None);
    }
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(ca) = ca {
        let pem = std::fs::read(&ca)
            .map_err(|e| anyhow::anyhow!("reading PGSSLROOTCERT {}: {e}", ca.to_string_lossy()))?;
        builder.add_root_certificate(native_tls::Certificate::from_pem(&pem)?);
    }
    Ok(Some(MakeTlsConnector::new(builder.build()?)))
}
