//! Running `codex-manager up` as a child of the test, and looking at processes: shared with the
//! fault suite (`tests/faults`) through `cm_e2e::up`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use cm_test_support::process::ChildProcess;
use nix::sys::signal::Signal;

/// The CLI under test: the binary cargo built next to this test (`target/<profile>/`), or
/// `$CM_CLI_BIN`.
pub fn cli_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("CM_CLI_BIN") {
        return PathBuf::from(bin);
    }
    // A test runs from target/<profile>/deps/, a bin (the soak) from target/<profile>/.
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap();
    let dir = if dir.ends_with("deps") {
        dir.parent().unwrap()
    } else {
        dir
    };
    dir.join("codex-manager")
}

/// The directory with the CLI and (it must be) the service binaries; panics with the build
/// command when they are missing.
pub fn bin_dir() -> PathBuf {
    let dir = cli_bin().parent().unwrap().to_path_buf();
    let missing: Vec<&str> = [
        "cm-gateway",
        "cm-session",
        "cm-runtime-bridge",
        "cm-queue-worker",
        "cm-mock-model",
    ]
    .into_iter()
    .filter(|bin| !dir.join(bin).exists())
    .collect();
    assert!(
        missing.is_empty(),
        "{} missing in {}: run `cargo build --workspace --bins` before this test",
        missing.join(", "),
        dir.display()
    );
    dir
}

/// A running `codex-manager up`; on drop (a failed test) it gets SIGTERM and 30 s to stop
/// everything, then SIGKILL, after which the parent-death signal takes its children down.
pub struct Up {
    child: ChildProcess,
    pub port: u16,
    pub started: Instant,
}

impl Up {
    /// `codex-manager up --demo` on `data` with `config_home` as `XDG_CONFIG_HOME`.
    pub fn start(data: &Path, config_home: &Path, port: u16, codex: &Path, log: &Path) -> Self {
        let mut cmd = Command::new(cli_bin());
        cmd.arg("up")
            .arg("--demo")
            .arg("--data-dir")
            .arg(data)
            .args(["--port", &port.to_string()])
            .arg("--bin-dir")
            .arg(bin_dir())
            .current_dir(data.parent().unwrap())
            .env("XDG_CONFIG_HOME", config_home)
            .env("CODEX_BIN", codex)
            .env("RUST_LOG", "info")
            .env("RUST_BACKTRACE", "0");
        for var in ["DATABASE_URL", "CM_DATA_DIR", "CM_TOKEN_FILE", "CM_WEB_DIR"] {
            cmd.env_remove(var);
        }
        let started = Instant::now();
        let child = ChildProcess::spawn("codex-manager up", cmd, log).unwrap();
        Self {
            child,
            port,
            started,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(self.child.log_path()).unwrap_or_default()
    }

    /// Waits for the banner (printed once `/api/ready` said 200); returns the time it took.
    pub async fn wait_ready(&mut self) -> Duration {
        let needle = format!("{}/#token=", self.base());
        let log = self.child.log_path().to_path_buf();
        self.child
            .wait_ready("the ready banner", Duration::from_secs(120), || {
                let log = log.clone();
                let needle = needle.clone();
                async move {
                    let text = std::fs::read_to_string(&log)?;
                    anyhow::ensure!(text.contains(&needle), "no banner yet");
                    Ok(())
                }
            })
            .await
            .unwrap();
        self.started.elapsed()
    }

    /// Waits (at most 60 s) for `up` to exit on its own.
    pub async fn wait(&mut self) -> ExitStatus {
        self.child.wait_exit(Duration::from_secs(60)).await.unwrap()
    }

    /// Sends `signal` and waits for `up` to exit.
    pub async fn stop(&mut self, signal: Signal) -> ExitStatus {
        self.child.signal(signal).unwrap();
        self.child.wait_exit(Duration::from_secs(60)).await.unwrap()
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        self.child
            .shutdown_blocking(Signal::SIGTERM, Duration::from_secs(30));
    }
}

/// Every descendant of `root`, from `/proc/*/stat`.
pub fn descendants(root: u32) -> Vec<(u32, String)> {
    let procs: Vec<(u32, u32, String)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid ..."; comm may contain spaces.
            let (head, rest) = stat.rsplit_once(')')?;
            let comm = head.split_once('(')?.1.to_owned();
            let ppid = rest.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid, comm))
        })
        .collect();
    let mut found = vec![];
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, ppid, comm) in &procs {
            if *ppid == parent {
                found.push((*pid, comm.clone()));
                frontier.push(*pid);
            }
        }
    }
    found
}

/// Whether a process with this pid exists.
pub fn pid_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}
