//! A private `nats-server` with JetStream on a free loopback port, in a temp dir.
//!
//! A thin wrapper over [`cm_local_infra::nats::NatsServer`]. The binary is `$NATS_SERVER_BIN`,
//! else `nats-server` on `PATH`, else `/usr/sbin/nats-server`. The store directory and the log
//! (`nats.log`) live in one temporary directory, which survives [`NatsServer::stop`],
//! [`NatsServer::kill`] and [`NatsServer::restart`] (same port, same store, so JetStream file
//! storage persists) and is removed on drop.
//!
//! The server is secured like every real one: the bus credentials are generated in the temp
//! directory, anonymous clients are refused, and each principal is confined to its subjects.
//! [`NatsServer::connect`] logs in as `admin`; [`NatsServer::bus_as`] as any principal.

use std::path::PathBuf;

use anyhow::Context;
use cm_bus::auth::{Credentials, Identity, Principal};
use cm_bus::{Bus, ConnectTo};
use cm_local_infra::bins::nats_server_bin;
use cm_local_infra::nats::{self, NatsAuth, NatsConfig};
use tempfile::TempDir;

/// A running (or stopped) private `nats-server -js`; killed and removed on drop.
#[derive(Debug)]
pub struct NatsServer {
    // Declared before `dir`: the server is killed before its directory is removed.
    server: nats::NatsServer,
    credentials: Credentials,
    dir: TempDir,
}

impl NatsServer {
    /// Starts a server on a free port and waits until JetStream answers.
    pub async fn start() -> anyhow::Result<Self> {
        let bin = nats_server_bin(std::env::var_os("NATS_SERVER_BIN").map(PathBuf::from))?;
        let dir = tempfile::Builder::new()
            .prefix("cm-nats-")
            .tempdir()
            .context("creating the nats-server temp dir")?;
        let credentials = Credentials::ensure(&dir.path().join("credentials"))?;
        let admin = std::fs::read_to_string(credentials.seed_file(Principal::Admin))?;
        let server = nats::NatsServer::start(NatsConfig {
            bin,
            store_dir: dir.path().join("store"),
            log_path: dir.path().join("nats.log"),
            port: None,
            auth: Some(NatsAuth {
                config_file: credentials.server_conf(),
                admin_seed: admin.trim().to_owned(),
            }),
        })
        .await?;
        Ok(Self {
            server,
            credentials,
            dir,
        })
    }

    /// The bus credentials the server admits.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// `principal`'s identity (its key and everyone's public keys).
    pub fn identity(&self, principal: Principal) -> anyhow::Result<Identity> {
        Identity::load(
            &self.credentials.seed_file(principal),
            &self.credentials.principals_file(),
        )
    }

    /// A bus connected as `principal`, signing its requests, retrying the connection in the
    /// background like a service does.
    pub async fn bus_as(&self, principal: Principal) -> anyhow::Result<Bus> {
        Ok(Bus::connect_to(ConnectTo {
            url: self.url(),
            name: format!("test-{principal}"),
            identity: Some(self.identity(principal)?),
            tls_ca: None,
        })
        .await?)
    }

    /// `nats://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The JetStream store directory (`-sd`).
    pub fn store_dir(&self) -> PathBuf {
        self.server.store_dir().to_path_buf()
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("nats.log")
    }

    /// The server's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.server.pid()
    }

    /// A new client connected to this server as `admin` (every permission).
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        self.server.connect().await
    }

    /// Kills the server with `SIGKILL` and waits for it to exit. The store stays.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.server.kill().await
    }

    /// Stops the server with `SIGTERM` (then `SIGKILL` after a grace period). The store stays.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.server.stop().await
    }

    /// Stops the server if it runs, then starts it again on the same port with the same store.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.server.restart().await
    }
}

impl Drop for NatsServer {
    /// Reports what the server refused for want of permission, so a test that times out on a
    /// missing grant says which one (tests that provoke refusals on purpose print them too).
    fn drop(&mut self) {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        for line in log.lines().filter(|l| l.contains("Violation")) {
            eprintln!("nats-server refused: {line}");
        }
    }
}
