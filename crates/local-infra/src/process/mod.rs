//! Child processes that cannot outlive this process.
//!
//! Every child is spawned with `PR_SET_PDEATHSIG = SIGKILL` from a dedicated spawner thread (see
//! `spawner.rs`), so the kernel kills it when this process dies, even by `SIGKILL`, and
//! [`ChildProcess`] kills and reaps it synchronously on drop, so neither orphans nor zombies
//! remain, panicking or not.
//!
//! A child that leads its own process group (its `Command` had `process_group(0)`) is killed
//! together with its group when it comes to `SIGKILL`, so helpers it started go with it.
//!
//! Stdout and stderr go to a log file, whose tail is quoted in every error about the child;
//! [`ChildProcess::spawn_with_lines`] also hands each line to a callback.

mod log;
mod spawner;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

pub use log::{LineSink, log_tail};

/// How often exits and readiness probes are polled.
const POLL: Duration = Duration::from_millis(10);

/// A running child process with its output in a log file; killed and reaped on drop.
#[derive(Debug)]
pub struct ChildProcess {
    name: String,
    child: Child,
    log: PathBuf,
    status: Option<ExitStatus>,
    own_group: bool,
}

impl ChildProcess {
    /// Spawns `cmd` with stdin from `/dev/null`, stdout and stderr appended to `log`, and the
    /// parent-death signal set. `name` is used in error messages.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> anyhow::Result<Self> {
        let out = log::open_log(log)?;
        let err = out.try_clone().context("duplicating the log file handle")?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = spawner::spawn_with_death_signal(cmd)
            .with_context(|| format!("spawning {name} (log: {})", log.display()))?;
        Ok(Self::new(name, child, log))
    }

    /// Like [`ChildProcess::spawn`], but stdout and stderr go through pipes: each line is
    /// appended to `log` and then given to `sink` (on one thread per pipe).
    pub fn spawn_with_lines(
        name: &str,
        mut cmd: Command,
        log: &Path,
        sink: LineSink,
    ) -> anyhow::Result<Self> {
        let out_log = log::open_log(log)?;
        let err_log = out_log
            .try_clone()
            .context("duplicating the log file handle")?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawner::spawn_with_death_signal(cmd)
            .with_context(|| format!("spawning {name} (log: {})", log.display()))?;
        let pumps = [
            child
                .stdout
                .take()
                .map(|r| log::pump_lines(r, out_log, sink.clone(), format!("{name}-stdout"))),
            child
                .stderr
                .take()
                .map(|r| log::pump_lines(r, err_log, sink, format!("{name}-stderr"))),
        ];
        let process = Self::new(name, child, log);
        for pump in pumps.into_iter().flatten() {
            pump.with_context(|| format!("starting the output thread of {name}"))?;
        }
        Ok(process)
    }

    fn new(name: &str, child: Child, log: &Path) -> Self {
        let pid = Pid::from_raw(child.id() as i32);
        let own_group = nix::unistd::getpgid(Some(pid)).is_ok_and(|g| g == pid);
        tracing::debug!(name, pid = child.id(), log = %log.display(), own_group, "spawned child");
        Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
            status: None,
            own_group,
        }
    }

    /// The name given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file that receives the child's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last lines of the log, for error messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }

    /// The exit status if the child has exited (reaping it), `None` while it runs.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Sends `signal` unless the child has already been reaped (its pid may then be reused).
    /// `SIGKILL` goes to the whole process group when the child leads one.
    pub fn signal(&mut self, signal: Signal) -> anyhow::Result<()> {
        if self.try_status().is_some() {
            return Ok(());
        }
        let pid = Pid::from_raw(self.child.id() as i32);
        // Not reaped yet, so the group id cannot have been reused.
        let result = if signal == Signal::SIGKILL && self.own_group {
            killpg(pid, signal)
        } else {
            kill(pid, signal)
        };
        result.with_context(|| format!("sending {signal} to {} (pid {})", self.name, self.pid()))
    }

    /// Waits up to `timeout` for the child to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_status() {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} (pid {}) did not exit within {timeout:?}; {}",
                    self.name,
                    self.pid(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends `signal`, waits up to `grace` for an exit, then kills with `SIGKILL`.
    pub async fn shutdown(&mut self, signal: Signal, grace: Duration) -> anyhow::Result<()> {
        self.signal(signal)?;
        if self.wait_exit(grace).await.is_err() {
            tracing::warn!(name = %self.name, ?signal, ?grace, "child ignored signal; killing");
            self.signal(Signal::SIGKILL)?;
            self.wait_exit(Duration::from_secs(10)).await?;
        }
        Ok(())
    }

    /// Blocking version of [`ChildProcess::shutdown`] for `Drop`; never fails, always reaps.
    pub fn shutdown_blocking(&mut self, signal: Signal, grace: Duration) {
        let _ = self.signal(signal);
        let deadline = Instant::now() + grace;
        while self.try_status().is_none() && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
        if self.try_status().is_none() {
            let _ = self.signal(Signal::SIGKILL);
            self.status = self.child.wait().ok();
        }
    }

    /// Polls `probe` until it succeeds, failing early with the log tail if the child exits and
    /// after `timeout` with the probe's last error and the log tail. Each probe gets at most the
    /// remaining time.
    pub async fn wait_ready<F, Fut>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut probe: F,
    ) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let deadline = Instant::now() + timeout;
        let mut last_error = None;
        loop {
            if let Some(status) = self.try_status() {
                bail!(
                    "{} exited ({status}) before {what}; {}",
                    self.name,
                    self.log_tail()
                );
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, probe()).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => last_error = Some(e),
                Err(_) => {}
            }
            if Instant::now() >= deadline {
                let last = last_error.map_or("none".to_owned(), |e| format!("{e:#}"));
                bail!(
                    "timed out after {timeout:?} waiting for {what} (last error: {last}); {}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.shutdown_blocking(Signal::SIGKILL, Duration::ZERO);
    }
}
