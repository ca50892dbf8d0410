//! Spawning the child and ending it: the other end of the pipes is in `reader` (what it
//! writes) and `rpc` (what we write, and matching answers to calls).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use super::reader::{Incoming, read_loop, stderr_loop};
use super::rpc::Pending;

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
    pid: Option<u32>,
    pub(super) stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    pub(super) pending: Pending,
    pub(super) next_id: AtomicI64,
    pub(super) child: tokio::sync::Mutex<Option<Child>>,
}

impl AppServer {
    /// Spawns the process; incoming messages go to the returned receiver. A line of stdout or
    /// stderr longer than `max_line_bytes` is skipped and reported as [`Incoming::LineSkipped`].
    pub fn spawn(
        cfg: &SpawnConfig,
        max_line_bytes: usize,
    ) -> std::io::Result<(Arc<Self>, mpsc::Receiver<Incoming>)> {
        let mut cmd = Command::new(&cfg.bin);
        cmd.arg("app-server")
            .args(&cfg.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group: the commands it runs can be killed with it (`kill_group`).
            .process_group(0);
        no_orphan(&mut cmd);
        if let Some(home) = &cfg.codex_home {
            cmd.env("CODEX_HOME", home);
        }
        for (k, v) in &cfg.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        let pid = child.id();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let pending: Pending = Arc::default();
        let (tx, rx) = mpsc::channel(1024);

        if let Some(stderr) = stderr {
            tokio::spawn(stderr_loop(pid, stderr, max_line_bytes, tx.clone()));
        }
        let server = Arc::new(Self {
            pid,
            stdin: tokio::sync::Mutex::new(stdin),
            pending: pending.clone(),
            next_id: AtomicI64::new(1),
            child: tokio::sync::Mutex::new(Some(child)),
        });
        if let Some(stdout) = stdout {
            // The reader must not keep the process alive: when the last owner drops the
            // server, the child is killed (kill_on_drop) and the reader sees EOF.
            let weak = Arc::downgrade(&server);
            tokio::spawn(read_loop(weak, pending, stdout, max_line_bytes, tx));
        }
        Ok((server, rx))
    }

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

/// app-server gets `SIGKILL` when the bridge dies, even by `kill -9` (`PR_SET_PDEATHSIG`; the
/// forking thread is a runtime worker, which lives as long as the bridge's runtime).
fn no_orphan(cmd: &mut Command) {
    let parent = nix::unistd::getpid();
    // SAFETY: the closure only makes async-signal-safe system calls and does not allocate.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
                .map_err(|errno| std::io::Error::from_raw_os_error(errno as i32))?;
            // The bridge may have died between fork and prctl.
            if nix::unistd::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(
                    nix::errno::Errno::ESRCH as i32,
                ));
            }
            Ok(())
        });
    }
}
