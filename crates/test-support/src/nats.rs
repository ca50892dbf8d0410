//! A private `nats-server` with JetStream on a free loopback port.
//!
//! The binary is `$NATS_SERVER_BIN`, else `nats-server` on `PATH`, else `/usr/sbin/nats-server`.
//! The store directory and the log (`nats.log`) live in one temporary directory, which survives
//! [`NatsServer::stop`], [`NatsServer::kill`] and [`NatsServer::restart`] (same port, same store,
//! so JetStream file storage persists) and is removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::free_port;
use crate::process::{ChildProcess, find_in_path, is_executable};

/// How long the server gets to accept connections with JetStream ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a graceful stop may take before `SIGKILL`.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Start attempts with a fresh port when another process grabbed ours.
const PORT_ATTEMPTS: usize = 3;

/// A running (or stopped) private `nats-server -js`; killed and removed on drop.
#[derive(Debug)]
pub struct NatsServer {
    child: Option<ChildProcess>,
    bin: PathBuf,
    port: u16,
    dir: TempDir,
}

impl NatsServer {
    /// Starts a server on a free port and waits until JetStream answers.
    pub async fn start() -> anyhow::Result<Self> {
        let bin = nats_server_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("cm-nats-")
            .tempdir()
            .context("creating the nats-server temp dir")?;
        let mut server = Self {
            child: None,
            bin,
            port: 0,
            dir,
        };
        for attempt in 1..=PORT_ATTEMPTS {
            server.port = free_port();
            match server.spawn_and_wait().await {
                Ok(()) => return Ok(server),
                Err(e) if attempt < PORT_ATTEMPTS && port_taken(&e) => {
                    tracing::debug!(port = server.port, "nats port taken; retrying");
                }
                Err(e) => return Err(e),
            }
        }
        bail!("nats-server could not bind a free port in {PORT_ATTEMPTS} attempts")
    }

    /// `nats://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory (`-sd`).
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("nats.log")
    }

    /// The server's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(ChildProcess::pid)
    }

    /// A new client connected to this server.
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        async_nats::connect(self.url())
            .await
            .with_context(|| format!("connecting to {}", self.url()))
    }

    /// Kills the server with `SIGKILL` and waits for it to exit. The store stays.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.shutdown(Signal::SIGKILL, STOP_GRACE).await?;
        }
        Ok(())
    }

    /// Stops the server with `SIGTERM` (then `SIGKILL` after a grace period). The store stays.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.shutdown(Signal::SIGTERM, STOP_GRACE).await?;
        }
        Ok(())
    }

    /// Stops the server if it runs, then starts it again on the same port with the same store.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        self.spawn_and_wait().await
    }

    async fn spawn_and_wait(&mut self) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.bin);
        cmd.args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-sd")
            .arg(self.store_dir())
            .current_dir(self.dir.path());
        let mut child = ChildProcess::spawn("nats-server", cmd, &self.log_path())?;
        let url = self.url();
        let started = std::time::Instant::now();
        child
            .wait_ready("JetStream to answer", READY_TIMEOUT, || {
                jetstream_ready(url.clone())
            })
            .await?;
        tracing::debug!(url, elapsed = ?started.elapsed(), "nats-server ready");
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        // Kill before the temp dir is removed.
        drop(self.child.take());
    }
}

/// Asks `$JS.API.INFO` directly: async-nats' `query_account()` cannot parse the answer of
/// nats-server 2.9 (it requires the `reserved_*` fields that 2.10 added).
async fn jetstream_ready(url: String) -> anyhow::Result<()> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(1))
        .connect(&url)
        .await?;
    let reply = client.request("$JS.API.INFO", "".into()).await?;
    let info: serde_json::Value = serde_json::from_slice(&reply.payload)?;
    if let Some(error) = info.get("error") {
        bail!("JetStream not ready: {error}");
    }
    Ok(())
}

fn nats_server_bin() -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("NATS_SERVER_BIN") {
        return Ok(bin.into());
    }
    find_in_path("nats-server")
        .or_else(|| Some(Path::new("/usr/sbin/nats-server").to_path_buf()))
        .filter(|p| is_executable(p))
        .context("nats-server not found: set NATS_SERVER_BIN or put nats-server on PATH")
}

fn port_taken(error: &anyhow::Error) -> bool {
    format!("{error:#}").contains("address already in use")
}
