//! `<data>/up.json`: what a running `up` tells `up status` and `up down` — its pid and where the
//! API listens. Written once the data directory is locked, removed on the way out. Whether an
//! `up` really runs is told by the lock (`<data>/up.lock`), not by this file.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

/// The contents of `up.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpState {
    pub pid: u32,
    pub base_url: String,
    pub demo: bool,
    /// Seconds since the Unix epoch.
    pub started_at: u64,
}

pub fn path(data: &Path) -> PathBuf {
    data.join("up.json")
}

impl UpState {
    pub fn write(&self, data: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path(data), text)
            .with_context(|| format!("writing {}", path(data).display()))
    }

    pub fn read(data: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path(data)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// The pid of the `up` holding `<data>/up.lock`, or `None` when no `up` runs there.
pub fn running(data: &Path) -> anyhow::Result<Option<u32>> {
    let lock = data.join("up.lock");
    let file = match File::open(&lock) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("opening {}", lock.display())),
    };
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        // We got it, so nobody holds it; dropping the guard releases it at once.
        Ok(_free) => Ok(None),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
            let pid = std::fs::read_to_string(&lock).unwrap_or_default();
            Ok(Some(pid.trim().parse().unwrap_or_default()))
        }
        Err((_, errno)) => Err(errno).with_context(|| format!("checking {}", lock.display())),
    }
}
