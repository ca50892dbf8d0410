//! A private `nats-server -js` on a loopback port, with its JetStream store in a given directory.
//!
//! The same launcher serves a test (store in a temp dir, thrown away) and `codex-manager up`
//! (store under the data directory, kept across runs, so the streams survive). The server leads
//! its own process group, so a Ctrl-C in the terminal reaches only its supervisor, which stops
//! it in order.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::Signal;

use crate::ports::{free_port, port_taken};
use crate::process::ChildProcess;

/// How long the server gets to accept connections with JetStream ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a graceful stop may take before `SIGKILL`.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Start attempts with a fresh port when another process grabbed ours.
const PORT_ATTEMPTS: usize = 3;

/// Where and how to run the server.
#[derive(Debug, Clone)]
pub struct NatsConfig {
    /// The `nats-server` binary (see [`crate::bins::nats_server_bin`]).
    pub bin: PathBuf,
    /// The JetStream store directory (`-sd`); created if missing.
    pub store_dir: PathBuf,
    /// The file that receives the server's output (appended).
    pub log_path: PathBuf,
    /// The client port; `None` picks a free one (and retries if another process takes it).
    pub port: Option<u16>,
    /// Users and permissions; `None` runs an open server (only the launcher's own tests do).
    pub auth: Option<NatsAuth>,
}

/// A secured server: its configuration and a seed with every permission for the launcher's own
/// readiness checks and [`NatsServer::connect`].
#[derive(Clone)]
pub struct NatsAuth {
    /// A configuration file (`-c`): the bus's `authorization` block
    /// (`cm_bus::auth::Credentials::server_conf`). Flags still set the port, address and store.
    pub config_file: PathBuf,
    /// The nkey seed of the `admin` principal.
    pub admin_seed: String,
}

impl std::fmt::Debug for NatsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsAuth")
            .field("config_file", &self.config_file)
            .finish_non_exhaustive()
    }
}

/// A running (or stopped) server; killed on drop. The store is never removed.
#[derive(Debug)]
pub struct NatsServer {
    child: Option<ChildProcess>,
    config: NatsConfig,
    port: u16,
}

impl NatsServer {
    /// Starts the server and waits until JetStream answers.
    pub async fn start(config: NatsConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.store_dir)
            .with_context(|| format!("creating {}", config.store_dir.display()))?;
        let fixed = config.port;
        let mut server = Self {
            child: None,
            config,
            port: 0,
        };
        let attempts = if fixed.is_some() { 1 } else { PORT_ATTEMPTS };
        for attempt in 1..=attempts {
            server.port = match fixed {
                Some(port) => port,
                None => free_port().context("finding a free port for nats-server")?,
            };
            match server.spawn_and_wait().await {
                Ok(()) => return Ok(server),
                Err(e) if attempt < attempts && port_taken(&e) => {
                    tracing::debug!(port = server.port, "nats port taken; retrying");
                }
                Err(e) => return Err(e),
            }
        }
        bail!("nats-server could not bind a free port in {attempts} attempts")
    }

    /// `nats://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory.
    pub fn store_dir(&self) -> &std::path::Path {
        &self.config.store_dir
    }

    /// The server's log file.
    pub fn log_path(&self) -> &std::path::Path {
        &self.config.log_path
    }

    /// The server's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(ChildProcess::pid)
    }

    /// The exit status if the server was started and has exited on its own.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(ChildProcess::try_status)
    }

    /// A new client connected to this server (as `admin` when it is secured).
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        admin_options(self.config.auth.as_ref())
            .connect(self.url())
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
        let mut cmd = Command::new(&self.config.bin);
        if let Some(auth) = &self.config.auth {
            cmd.arg("-c").arg(&auth.config_file);
        }
        cmd.args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-sd")
            .arg(&self.config.store_dir)
            .current_dir(&self.config.store_dir)
            .process_group(0);
        let mut child = ChildProcess::spawn("nats-server", cmd, &self.config.log_path)?;
        let url = self.url();
        let started = Instant::now();
        let auth = self.config.auth.clone();
        child
            .wait_ready("JetStream to answer", READY_TIMEOUT, || {
                jetstream_ready(url.clone(), auth.clone())
            })
            .await?;
        tracing::debug!(url, elapsed = ?started.elapsed(), "nats-server ready");
        self.child = Some(child);
        Ok(())
    }
}

fn admin_options(auth: Option<&NatsAuth>) -> async_nats::ConnectOptions {
    let options = async_nats::ConnectOptions::new();
    match auth {
        Some(auth) => options.nkey(auth.admin_seed.clone()),
        None => options,
    }
}

/// Asks `$JS.API.INFO` directly: async-nats' `query_account()` cannot parse the answer of
/// nats-server 2.9 (it requires the `reserved_*` fields that 2.10 added).
async fn jetstream_ready(url: String, auth: Option<NatsAuth>) -> anyhow::Result<()> {
    let client = admin_options(auth.as_ref())
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
