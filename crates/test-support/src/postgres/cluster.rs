//! A private Postgres cluster: `initdb` into a temp dir, then `postgres` as our own child.
//!
//! Binaries come from `$PG_BIN`, else `PATH`, else the highest `/usr/lib/postgresql/*/bin`
//! (where Debian's `postgresql` package puts them). `initdb` and `postgres` refuse to run as
//! root, so under euid 0 both run as the `postgres` system user, in a temp dir under `/tmp`
//! chowned to it. The postmaster is started directly (not via `pg_ctl`) so its pid is ours to
//! signal and reap. Logs: `initdb.log` and `postgres.log` in the temp dir.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use nix::sys::signal::Signal;
use nix::unistd::{Gid, Uid, User};
use tempfile::TempDir;

use crate::free_port;
use crate::process::{ChildProcess, find_in_path, is_executable};

const INITDB_TIMEOUT: Duration = Duration::from_secs(120);
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(30);
const KILL_GRACE: Duration = Duration::from_secs(5);
/// Start attempts with a fresh port when another process grabbed ours.
const PORT_ATTEMPTS: usize = 3;

/// A private cluster; the postmaster is killed and the directory removed on drop.
#[derive(Debug)]
pub(super) struct Cluster {
    postmaster: Option<ChildProcess>,
    bin_dir: PathBuf,
    run_as: Option<(Uid, Gid)>,
    port: u16,
    dir: TempDir,
}

impl Cluster {
    pub(super) async fn start() -> anyhow::Result<Self> {
        let bin_dir = pg_bin_dir()?;
        let run_as = run_as_user()?;
        let dir = temp_dir(run_as.is_some())?;
        if let Some((uid, gid)) = run_as {
            nix::unistd::chown(dir.path(), Some(uid), Some(gid))
                .with_context(|| format!("chowning {} to postgres", dir.path().display()))?;
        }
        let mut cluster = Self {
            postmaster: None,
            bin_dir,
            run_as,
            port: 0,
            dir,
        };
        cluster.initdb().await?;
        for attempt in 1..=PORT_ATTEMPTS {
            cluster.port = free_port();
            match cluster.spawn_and_wait().await {
                Ok(()) => return Ok(cluster),
                Err(e)
                    if attempt < PORT_ATTEMPTS && format!("{e:#}").contains("already in use") =>
                {
                    tracing::debug!(port = cluster.port, "postgres port taken; retrying");
                }
                Err(e) => return Err(e),
            }
        }
        bail!("postgres could not bind a free port in {PORT_ATTEMPTS} attempts")
    }

    /// `postgres://postgres@127.0.0.1:PORT/<db>`
    pub(super) fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    pub(super) fn pid(&self) -> Option<u32> {
        self.postmaster.as_ref().map(ChildProcess::pid)
    }

    pub(super) async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut postmaster) = self.postmaster.take() {
            postmaster.shutdown(Signal::SIGINT, STOP_GRACE).await?;
        }
        Ok(())
    }

    pub(super) async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut postmaster) = self.postmaster.take() {
            postmaster.shutdown(Signal::SIGQUIT, KILL_GRACE).await?;
        }
        Ok(())
    }

    pub(super) async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        self.spawn_and_wait().await
    }

    pub(super) fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.current_dir(self.dir.path());
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
        cmd
    }

    async fn initdb(&mut self) -> anyhow::Result<()> {
        let mut cmd = self.command("initdb");
        cmd.arg("-D")
            .arg(self.data_dir())
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
            .arg("--locale=C");
        let log = self.dir.path().join("initdb.log");
        let mut initdb = ChildProcess::spawn("initdb", cmd, &log)?;
        let status = initdb.wait_exit(INITDB_TIMEOUT).await?;
        if !status.success() {
            bail!("initdb failed ({status}); {}", initdb.log_tail());
        }
        Ok(())
    }

    async fn spawn_and_wait(&mut self) -> anyhow::Result<()> {
        let mut cmd = self.command("postgres");
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1"])
            // Not synchronous_commit=off: commits must reach the kernel before they are
            // acknowledged, or kill() tests would lose them with the WAL buffers.
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"]);
        let mut postmaster = ChildProcess::spawn("postgres", cmd, &self.log_path())?;
        let url = self.url("postgres");
        let started = std::time::Instant::now();
        postmaster
            .wait_ready("SELECT 1 to succeed", READY_TIMEOUT, || {
                select_one(url.clone())
            })
            .await?;
        tracing::debug!(url, elapsed = ?started.elapsed(), "postgres ready");
        self.postmaster = Some(postmaster);
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Immediate shutdown makes the postmaster take its backends down with it; SIGKILL
        // alone would leave them running until they notice. Then the temp dir goes.
        if let Some(mut postmaster) = self.postmaster.take() {
            postmaster.shutdown_blocking(Signal::SIGQUIT, KILL_GRACE);
        }
    }
}

async fn select_one(url: String) -> anyhow::Result<()> {
    let client = super::connect(&url).await?;
    client.simple_query("SELECT 1").await?;
    Ok(())
}

/// `Some(postgres user)` when we are root and must drop privileges for initdb/postgres.
fn run_as_user() -> anyhow::Result<Option<(Uid, Gid)>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let user = User::from_name("postgres")
        .context("looking up the postgres user")?
        .context(
            "running as root, but there is no `postgres` user to run initdb/postgres as; \
             create one or set DATABASE_URL",
        )?;
    Ok(Some((user.uid, user.gid)))
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

/// The first directory with both `initdb` and `postgres`: `$PG_BIN`, `PATH`, then the highest
/// `/usr/lib/postgresql/<version>/bin`.
fn pg_bin_dir() -> anyhow::Result<PathBuf> {
    let has_both =
        |dir: &Path| is_executable(&dir.join("initdb")) && is_executable(&dir.join("postgres"));
    if let Some(dir) = std::env::var_os("PG_BIN") {
        let dir = PathBuf::from(dir);
        if has_both(&dir) {
            return Ok(dir);
        }
        bail!("PG_BIN={} has no initdb and postgres", dir.display());
    }
    if let Some(dir) = find_in_path("initdb").and_then(|p| p.parent().map(Path::to_path_buf))
        && has_both(&dir)
    {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_both(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir).context(
        "Postgres binaries not found: set PG_BIN, put initdb on PATH, install Debian's \
         `postgresql` package, or set DATABASE_URL",
    )
}
