//! Child processes that cannot outlive the test process.
//!
//! Every child is spawned with `PR_SET_PDEATHSIG = SIGKILL`, so the kernel kills it when the
//! test binary dies (even by `SIGKILL`), and [`ChildProcess`] kills and reaps it synchronously on
//! drop, so neither orphans nor zombies remain after a test, panicking or not.
//!
//! The death signal fires when the *thread* that forked the child exits, not the process. Test
//! runtimes and tokio's blocking pool come and go, so all children are forked from one dedicated
//! thread that lives as long as the process.
//!
//! std runs `pre_exec` closures after `setuid`/`setgid`, which matters because a credential
//! change clears the death signal; setting it in `pre_exec` keeps it in force.
//!
//! Stdout and stderr go to a log file, whose tail is quoted in every error about the child.

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How often exits and readiness probes are polled.
const POLL: Duration = Duration::from_millis(10);
/// How much of the end of a log file errors quote.
const TAIL_BYTES: u64 = 4096;

/// A running child process with its output in a log file; killed and reaped on drop.
#[derive(Debug)]
pub struct ChildProcess {
    name: String,
    child: Child,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl ChildProcess {
    /// Spawns `cmd` with stdin from `/dev/null`, stdout and stderr appended to `log`, and the
    /// parent-death signal set. `name` is used in error messages.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> anyhow::Result<Self> {
        let out = open_log(log)?;
        let err = out.try_clone().context("duplicating the log file handle")?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let parent = nix::unistd::getpid();
        // SAFETY: the closure only makes async-signal-safe system calls and does not allocate.
        unsafe {
            cmd.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
                    .map_err(|errno| io::Error::from_raw_os_error(errno as i32))?;
                // The parent may have died between fork and prctl.
                if nix::unistd::getppid() != parent {
                    return Err(io::Error::from_raw_os_error(Errno::ESRCH as i32));
                }
                Ok(())
            });
        }
        let child = spawn_on_keeper_thread(cmd)
            .with_context(|| format!("spawning {name} (log: {})", log.display()))?;
        tracing::debug!(name, pid = child.id(), log = %log.display(), "spawned child process");
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
            status: None,
        })
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
    pub fn signal(&mut self, signal: Signal) -> anyhow::Result<()> {
        if self.try_status().is_some() {
            return Ok(());
        }
        kill(self.pid_t(), signal)
            .with_context(|| format!("sending {signal} to {} (pid {})", self.name, self.pid()))
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
            let _ = self.child.kill();
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

    fn pid_t(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.shutdown_blocking(Signal::SIGKILL, Duration::ZERO);
    }
}

/// Forks `cmd` from a thread that never exits, so `PR_SET_PDEATHSIG` only fires when the whole
/// test process dies.
fn spawn_on_keeper_thread(cmd: Command) -> io::Result<Child> {
    type Job = (Command, mpsc::Sender<io::Result<Child>>);
    static KEEPER: OnceLock<io::Result<mpsc::Sender<Job>>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("cm-test-support-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })?;
        Ok(tx)
    });
    let keeper = keeper
        .as_ref()
        .map_err(|e| io::Error::new(e.kind(), format!("starting the spawner thread: {e}")))?;
    let (reply_tx, reply_rx) = mpsc::channel();
    keeper
        .send((cmd, reply_tx))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}

fn open_log(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening log file {}", path.display()))
}

/// The last few KiB of the log at `path`, prefixed with its name.
pub fn log_tail(path: &Path) -> String {
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) if text.trim().is_empty() => format!("log {} is empty", path.display()),
        Ok(text) => format!("end of log {}:\n{}", path.display(), text.trim_end()),
        Err(e) => format!("log {} unreadable: {e}", path.display()),
    }
}

/// The first executable called `name` in the directories of `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
