//! The running child and ending it. Starting it is `spawn`; the other ends of its pipes are
//! `reader` (what it writes) and `rpc` (what we write).

use std::path::PathBuf;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::process::{Child, ChildStdin};

use super::wire::Pending;

/// How to start the runtime.
#[derive(Debug, Clone)]
pub struct SpawnConfig {
    pub bin: PathBuf,
    pub codex_home: Option<PathBuf>,
    /// Extra arguments after `app-server` (for example `-c key=value` overrides).
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// A running app-server.
pub struct AppServer {
    pub(super) pid: Option<u32>,
    pub(super) stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    pub(super) pending: Pending,
    pub(super) next_id: AtomicI64,
    pub(super) child: tokio::sync::Mutex<Option<Child>>,
}

impl AppServer {
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Closes stdin (app-server exits 0 on EOF) and waits briefly; kills if it lingers.
    pub async fn shutdown(&self, grace: Duration) {
        self.stdin.lock().await.take();
        let mut child = self.child.lock().await;
        if let Some(child) = child.as_mut()
            && tokio::time::timeout(grace, child.wait()).await.is_err()
        {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Kills the process at once, and what it started.
    pub async fn kill(&self) {
        if let Some(child) = self.child.lock().await.as_mut() {
            let _ = child.start_kill();
        }
        self.kill_group();
    }

    /// `SIGKILL` to the process group: the commands app-server started die with it.
    fn kill_group(&self) {
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        self.kill_group();
    }
}
