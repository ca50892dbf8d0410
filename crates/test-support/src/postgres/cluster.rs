//! A private throw-away cluster: a [`PgCluster`] in a temp dir, removed on drop.
//!
//! Binaries come from `$PG_BIN`, else `PATH`, else the highest `/usr/lib/postgresql/*/bin`.
//! Under euid 0, `initdb` and `postgres` run as the `postgres` system user, in a temp dir under
//! `/tmp` (which that user can reach) chowned to it. Not durable (no fsync), trust
//! authentication. Logs: `initdb.log` and `postgres.log` in the temp dir.

use std::path::PathBuf;

use anyhow::Context;
use cm_local_infra::bins::pg_bin_dir;
use cm_local_infra::postgres::{PgCluster, PgConfig};
use cm_local_infra::user::RunAs;
use tempfile::TempDir;

/// A private cluster; the postmaster is stopped and the directory removed on drop.
#[derive(Debug)]
pub(super) struct Cluster {
    // Declared before `dir`: the server is stopped before its directory is removed.
    cluster: PgCluster,
    dir: TempDir,
}

impl Cluster {
    pub(super) async fn start() -> anyhow::Result<Self> {
        let bin_dir = pg_bin_dir(std::env::var_os("PG_BIN").map(PathBuf::from))?;
        let run_as = RunAs::postgres_if_root()?;
        let dir = temp_dir(run_as.is_some())?;
        let cluster = PgCluster::start(PgConfig {
            bin_dir,
            root: dir.path().to_path_buf(),
            log_path: dir.path().join("postgres.log"),
            port: None,
            run_as,
            durable: false,
            password: false,
        })
        .await?;
        Ok(Self { cluster, dir })
    }

    /// `postgres://postgres@127.0.0.1:PORT/<db>`
    pub(super) fn url(&self, db: &str) -> String {
        self.cluster.url(db)
    }

    pub(super) fn pid(&self) -> Option<u32> {
        self.cluster.pid()
    }

    pub(super) async fn stop(&mut self) -> anyhow::Result<()> {
        self.cluster.stop().await
    }

    pub(super) async fn kill(&mut self) -> anyhow::Result<()> {
        self.cluster.kill().await
    }

    pub(super) async fn restart(&mut self) -> anyhow::Result<()> {
        self.cluster.restart().await
    }

    pub(super) fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }
}

/// A temp dir; under `/tmp` when another user must be able to reach it.
fn temp_dir(for_other_user: bool) -> anyhow::Result<TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("cm-pg-");
    let dir = if for_other_user {
        builder.tempdir_in("/tmp")
    } else {
        builder.tempdir()
    };
    dir.context("creating the postgres temp dir")
}
