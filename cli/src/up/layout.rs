//! The data directory: what lives where, its lock, and the HTTP port check.
//!
//! ```text
//! <data>/token              API token (0600, written by the gateway on first run)
//! <data>/up.lock            held (flock) while an `up` runs on this directory
//! <data>/logs/<name>.log    output of every service and of NATS, Postgres, initdb
//! <data>/nats/              JetStream store
//! <data>/nats-credentials/  the bus users' nkey seeds (0600) and the server's authorization
//! <data>/postgres/          the private Postgres cluster (see pg_location)
//! <data>/db-credentials/    the services' Postgres role passwords (0600)
//! <data>/codex-home-demo/   CODEX_HOME of `--demo`
//! ```
//!
//! A data directory that does not exist yet is created private: mode 0700, or 0711 when running
//! as root, so that the `postgres` user can reach `<data>/postgres` without listing the rest.
//! The directories inside are created with mode 0700.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use nix::fcntl::{Flock, FlockArg};

/// Paths under the data directory.
#[derive(Debug, Clone)]
pub struct Layout {
    pub data: PathBuf,
    pub logs: PathBuf,
    pub nats_store: PathBuf,
    pub nats_credentials: PathBuf,
    pub postgres: PathBuf,
    pub db_credentials: PathBuf,
    pub codex_home_demo: PathBuf,
    pub token_file: PathBuf,
}

impl Layout {
    /// Creates the data and log directories if needed. `token_file` overrides `<data>/token`.
    pub fn create(data: &Path, token_file: Option<PathBuf>) -> anyhow::Result<Self> {
        let data = std::path::absolute(data)
            .with_context(|| format!("resolving data directory {}", data.display()))?;
        if !data.exists() {
            let mode = if nix::unistd::geteuid().is_root() {
                0o711
            } else {
                0o700
            };
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(&data)
                .with_context(|| format!("creating data directory {}", data.display()))?;
            // The umask may have taken bits away.
            std::fs::set_permissions(&data, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("setting the mode of {}", data.display()))?;
        }
        let logs = data.join("logs");
        private_dir(&logs)?;
        let nats_store = data.join("nats");
        private_dir(&nats_store)?;
        Ok(Self {
            token_file: token_file.unwrap_or_else(|| data.join("token")),
            nats_store,
            nats_credentials: data.join("nats-credentials"),
            postgres: data.join("postgres"),
            db_credentials: data.join("db-credentials"),
            codex_home_demo: data.join("codex-home-demo"),
            logs,
            data,
        })
    }

    /// `<data>/logs/<name>.log`
    pub fn log(&self, name: &str) -> PathBuf {
        self.logs.join(format!("{name}.log"))
    }

    /// Takes `<data>/up.lock` for as long as the returned guard lives, so two `up` never share a
    /// data directory. The lock file holds the owner's pid, for the error message.
    pub fn lock(&self) -> anyhow::Result<Flock<File>> {
        let path = self.data.join("up.lock");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => lock,
            Err((_, errno)) if errno == nix::errno::Errno::EWOULDBLOCK => {
                let owner = std::fs::read_to_string(&path).unwrap_or_default();
                bail!(
                    "another `codex-manager up` (pid {}) is using {}; stop it first or pass \
                     another --data-dir",
                    owner.trim(),
                    self.data.display()
                );
            }
            Err((_, errno)) => {
                return Err(errno).with_context(|| format!("locking {}", path.display()));
            }
        };
        lock.set_len(0)
            .and_then(|()| writeln!(&*lock, "{}", std::process::id()))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(lock)
    }
}

/// Creates `dir` with mode 0700 if it is missing: logs, streams and codex homes hold prompts
/// and answers.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Fails with a clear message when `127.0.0.1:port` cannot be bound.
pub fn ensure_port_free(port: u16) -> anyhow::Result<()> {
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) => bail!(
            "port {port} on 127.0.0.1 is not available ({e}); is another codex-manager running? \
             Choose another with --port"
        ),
    }
}
