//! A private Postgres cluster run as our own child: `initdb` once, then `postgres` directly (not
//! via `pg_ctl`), so its pid is ours to signal and reap.
//!
//! The cluster lives in `<root>/data` with the log wherever [`PgConfig::log_path`] says. The same
//! launcher serves a test (root in a temp dir, `durable: false` trades crash safety for speed)
//! and `codex-manager up` (root under the data directory, kept across runs). It listens on
//! 127.0.0.1 only, with no Unix socket (so the length and permissions of the root's path do not
//! matter), and leads its own process group, so a Ctrl-C in the terminal reaches only its
//! supervisor.
//!
//! Under euid 0, `initdb` and `postgres` run as [`PgConfig::run_as`] (the `postgres` user); the
//! root is chowned to it, and every directory above it must be searchable by it.

mod initdb;
mod pidfile;
mod sql;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::Signal;

use crate::ports::{free_port, port_taken};
use crate::process::ChildProcess;
use crate::user::RunAs;

pub use sql::{connect, create_database, create_database_if_missing, redact, timeout};

const STOP_GRACE: Duration = Duration::from_secs(30);
const KILL_GRACE: Duration = Duration::from_secs(5);
/// Start attempts with a fresh port when another process grabbed ours.
const PORT_ATTEMPTS: usize = 3;

/// Where and how to run the cluster.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// The directory with `initdb` and `postgres` (see [`crate::bins::pg_bin_dir`]).
    pub bin_dir: PathBuf,
    /// The cluster's own directory: `data/` and the password file go here. Created if missing,
    /// owned by `run_as`, mode 0700.
    pub root: PathBuf,
    /// The server log (appended); `initdb.log` goes beside it.
    pub log_path: PathBuf,
    /// The port; `None` picks a free one (and retries if another process takes it).
    pub port: Option<u16>,
    /// The user to run as (see [`RunAs::postgres_if_root`]).
    pub run_as: Option<RunAs>,
    /// `false` turns off fsync and full-page writes: fast, but a machine crash may lose data.
    /// Commits still reach the kernel before they are acknowledged, so killing the server does
    /// not lose them.
    pub durable: bool,
    /// `true`: the `postgres` superuser needs a password (generated once, kept in
    /// `<root>/superuser-password`; scram-sha-256). `false`: trust authentication.
    pub password: bool,
}

impl PgConfig {
    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn initdb_log_path(&self) -> PathBuf {
        self.log_path.with_file_name("initdb.log")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.current_dir(&self.root).process_group(0);
        if let Some(user) = self.run_as {
            user.apply(&mut cmd);
        }
        cmd
    }
}

/// A running (or stopped) cluster. Dropping it shuts the server down (fast shutdown when
/// durable, immediate otherwise); the data stays.
#[derive(Debug)]
pub struct PgCluster {
    postmaster: Option<ChildProcess>,
    config: PgConfig,
    port: u16,
    password: Option<String>,
    initialized: bool,
}

impl PgCluster {
    /// Runs `initdb` if `<root>/data` holds no cluster yet, clears a stale `postmaster.pid`,
    /// starts the server and waits until it answers `SELECT 1`.
    pub async fn start(mut config: PgConfig) -> anyhow::Result<Self> {
        config.root = std::path::absolute(&config.root)
            .with_context(|| format!("resolving {}", config.root.display()))?;
        let fresh = !config.data_dir().join("PG_VERSION").exists();
        let password = initdb::prepare(&config).await?;
        let fixed = config.port;
        let mut cluster = Self {
            postmaster: None,
            config,
            port: 0,
            password,
            initialized: fresh,
        };
        let attempts = if fixed.is_some() { 1 } else { PORT_ATTEMPTS };
        for attempt in 1..=attempts {
            cluster.port = match fixed {
                Some(port) => port,
                None => free_port().context("finding a free port for postgres")?,
            };
            match cluster.spawn_and_wait().await {
                Ok(()) => return Ok(cluster),
                Err(e) if attempt < attempts && port_taken(&e) => {
                    tracing::debug!(port = cluster.port, "postgres port taken; retrying");
                }
                Err(e) => return Err(e),
            }
        }
        bail!("postgres could not bind a free port in {attempts} attempts")
    }

    /// `postgres://postgres[:PASSWORD]@127.0.0.1:PORT/<db>`
    pub fn url(&self, db: &str) -> String {
        let auth = match &self.password {
            Some(pw) => format!("postgres:{pw}"),
            None => "postgres".to_owned(),
        };
        format!("postgres://{auth}@127.0.0.1:{}/{db}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether this start ran `initdb` (a new cluster) rather than reusing one.
    pub fn was_initialized(&self) -> bool {
        self.initialized
    }

    /// The cluster's data directory (`<root>/data`).
    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir()
    }

    /// The server log.
    pub fn log_path(&self) -> &Path {
        &self.config.log_path
    }

    /// The postmaster's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.postmaster.as_ref().map(ChildProcess::pid)
    }

    /// The exit status if the server was started and has exited on its own.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.postmaster.as_mut().and_then(ChildProcess::try_status)
    }

    /// Fast shutdown (`SIGINT`: sessions are terminated, a checkpoint is written). Data stays.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut postmaster) = self.postmaster.take() {
            postmaster.shutdown(Signal::SIGINT, STOP_GRACE).await?;
        }
        Ok(())
    }

    /// Immediate shutdown (`SIGQUIT`, like a crash: no checkpoint, recovery on the next start),
    /// then `SIGKILL` if the postmaster lingers. Data stays.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut postmaster) = self.postmaster.take() {
            postmaster.shutdown(Signal::SIGQUIT, KILL_GRACE).await?;
        }
        Ok(())
    }

    /// Stops the server if it runs and starts it again with the same data and port.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        self.spawn_and_wait().await
    }

    async fn spawn_and_wait(&mut self) -> anyhow::Result<()> {
        let data = self.config.data_dir();
        pidfile::clear_stale(&data)?;
        let mut cmd = self.config.command("postgres");
        cmd.arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="]);
        if !self.config.durable {
            // Not synchronous_commit=off: commits must reach the kernel before they are
            // acknowledged, or kill() would lose them with the WAL buffers.
            cmd.args(["-c", "fsync=off", "-c", "full_page_writes=off"]);
        }
        let mut postmaster = ChildProcess::spawn("postgres", cmd, &self.config.log_path)?;
        let url = self.url("postgres");
        let started = Instant::now();
        // Crash recovery of a big durable cluster may take a while.
        let timeout = Duration::from_secs(if self.config.durable { 180 } else { 60 });
        postmaster
            .wait_ready("SELECT 1 to succeed", timeout, || {
                sql::select_one(url.clone())
            })
            .await?;
        tracing::debug!(port = self.port, elapsed = ?started.elapsed(), "postgres ready");
        self.postmaster = Some(postmaster);
        Ok(())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // SIGKILL alone would leave the backends running until they notice; a shutdown request
        // makes the postmaster take them down first.
        if let Some(mut postmaster) = self.postmaster.take() {
            if self.config.durable {
                postmaster.shutdown_blocking(Signal::SIGINT, STOP_GRACE);
            } else {
                postmaster.shutdown_blocking(Signal::SIGQUIT, KILL_GRACE);
            }
        }
    }
}
