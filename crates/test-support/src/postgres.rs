//! A Postgres for tests: a private throw-away cluster, or a fresh database on `DATABASE_URL`.
//!
//! Without `DATABASE_URL`, [`Postgres::start`] runs a throw-away
//! [`cm_local_infra::postgres::PgCluster`] in a temp dir (see `postgres/cluster.rs`); [`Postgres::url`] names the cluster's `postgres` database.
//! With `DATABASE_URL`, it creates a uniquely named database on that server (see `postgres/external.rs`);
//! `stop`/`restart`/`kill` then fail, since the server is not ours.
//!
//! [`Postgres::create_database`] gives each service or test its own database on one server.

mod cluster;
mod external;

use std::path::PathBuf;

use anyhow::Context;
use cm_local_infra::postgres::{connect, create_database};

use cluster::Cluster;
use external::External;

/// A Postgres server with a database for the test; cleaned up on drop.
#[derive(Debug)]
pub struct Postgres {
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Cluster(Cluster),
    External(External),
}

impl Postgres {
    /// A fresh database on `$DATABASE_URL` if set, otherwise a private cluster.
    pub async fn start() -> anyhow::Result<Self> {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => Self::start_external(&url).await,
            _ => Self::start_private().await,
        }
    }

    /// A private cluster in a temp dir on a free port, whatever `DATABASE_URL` says.
    pub async fn start_private() -> anyhow::Result<Self> {
        Ok(Self {
            backend: Backend::Cluster(Cluster::start().await?),
        })
    }

    /// A fresh, uniquely named database on the server at `admin_url` (a `postgres://` URL of a
    /// role allowed to create databases). The database is dropped on drop, best effort.
    pub async fn start_external(admin_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            backend: Backend::External(External::start(admin_url).await?),
        })
    }

    /// `postgres://postgres@127.0.0.1:PORT/DBNAME` of this test's database.
    pub fn url(&self) -> String {
        match &self.backend {
            Backend::Cluster(c) => c.url("postgres"),
            Backend::External(e) => e.url(),
        }
    }

    /// Whether this is a private cluster (which can be stopped, killed and restarted).
    pub fn is_private(&self) -> bool {
        matches!(self.backend, Backend::Cluster(_))
    }

    /// The postmaster's pid while a private cluster runs.
    pub fn pid(&self) -> Option<u32> {
        match &self.backend {
            Backend::Cluster(c) => c.pid(),
            Backend::External(_) => None,
        }
    }

    /// The server log of a private cluster (its directory is the cluster's temp dir).
    pub fn log_path(&self) -> Option<PathBuf> {
        match &self.backend {
            Backend::Cluster(c) => Some(c.log_path()),
            Backend::External(_) => None,
        }
    }

    /// Creates a new database named `<name_prefix>_<random>` and returns its URL.
    pub async fn create_database(&self, name_prefix: &str) -> anyhow::Result<String> {
        let name = unique_db_name(name_prefix);
        match &self.backend {
            Backend::Cluster(c) => {
                create_database(&c.url("postgres"), &name).await?;
                Ok(c.url(&name))
            }
            Backend::External(e) => e.create_database(&name).await,
        }
    }

    /// A client connected to [`Postgres::url`]; its connection runs on a spawned task.
    pub async fn connect(&self) -> anyhow::Result<tokio_postgres::Client> {
        connect(&self.url()).await
    }

    /// Fast shutdown (`SIGINT`: sessions are terminated, a checkpoint is written). Data stays.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.cluster()?.stop().await
    }

    /// Immediate shutdown (`SIGQUIT`, like a crash: no checkpoint, recovery on the next start),
    /// then `SIGKILL` if the postmaster lingers. Data stays.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.cluster()?.kill().await
    }

    /// Stops the server if it runs and starts it again with the same data dir and port.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.cluster()?.restart().await
    }

    fn cluster(&mut self) -> anyhow::Result<&mut Cluster> {
        match &mut self.backend {
            Backend::Cluster(c) => Ok(c),
            Backend::External(_) => {
                anyhow::bail!("stop/kill/restart need a private cluster, not DATABASE_URL")
            }
        }
    }
}

/// `<prefix>_<32 hex>`, lower-case, only `[a-z0-9_]`, at most 63 bytes (Postgres' limit).
fn unique_db_name(prefix: &str) -> String {
    let mut clean: String = prefix
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .take(30)
        .collect();
    if clean.is_empty() {
        clean.push_str("test");
    }
    format!("{clean}_{}", uuid::Uuid::new_v4().simple())
}

/// `url` with its database (path) replaced by `db`, keeping any `?query`.
fn with_database(url: &str, db: &str) -> anyhow::Result<String> {
    let scheme_end = url
        .find("://")
        .with_context(|| format!("DATABASE_URL must be a postgres:// URL, got {url:?}"))?
        + 3;
    let (head, rest) = url.split_at(scheme_end);
    let query_start = rest.find('?').unwrap_or(rest.len());
    let (before_query, query) = rest.split_at(query_start);
    let authority = before_query.split('/').next().unwrap_or(before_query);
    Ok(format!("{head}{authority}/{db}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() -> anyhow::Result<()> {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x")?,
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "x")?, "postgresql://h/x");
        assert!(with_database("host=h dbname=d", "x").is_err());
        Ok(())
    }

    #[test]
    fn database_names_are_safe_and_short() {
        let name = unique_db_name("Session-Service/with a very long prefix indeed");
        assert!(name.len() <= 63, "{name}");
        assert!(
            name.starts_with("session_service_with_a_very_lo_"),
            "{name}"
        );
        assert_eq!(unique_db_name("").len(), "test_".len() + 32);
    }
}
