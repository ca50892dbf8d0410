//! Starting the child: its own process group, killed with the bridge, with the reader tasks
//! on its stdout and stderr.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use nix::sys::signal::Signal;
use tokio::process::Command;
use tokio::sync::mpsc;

use super::process::{AppServer, SpawnConfig};
use super::reader::{read_loop, stderr_loop};
use super::wire::{Incoming, Pending};

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
