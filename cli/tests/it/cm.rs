//! Running the built `codex-manager` against a stack: each [`Cm`] has its own config directory
//! (so profiles never leak between tests or from the user), and nothing of the caller's
//! `CM_*` environment.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cm_e2e::TestStack;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::support::cli_bin;

/// A finished run.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code; returns self for more checks.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The last line of stderr as JSON (the `--json` error report).
    #[track_caller]
    pub fn error_json(&self) -> Value {
        serde_json::from_str(self.stderr.trim().lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}):\n{}", self.stderr))
    }
}

/// The CLI with a private config directory and optional URL and token in its environment.
pub struct Cm {
    pub home: tempfile::TempDir,
    config: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl Cm {
    /// No URL or token: only what profiles in its config directory say.
    pub fn bare() -> Self {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("config");
        Self {
            home,
            config,
            env: Vec::new(),
        }
    }

    /// With `dir` as `XDG_CONFIG_HOME` (where `up` wrote its profile).
    pub fn with_config_dir(dir: &std::path::Path) -> Self {
        Self {
            config: dir.to_owned(),
            ..Self::bare()
        }
    }

    /// Pointed at `stack` through `CM_URL` and `CM_TOKEN`.
    pub fn against(stack: &TestStack) -> Self {
        let mut cm = Self::bare();
        cm.env.push(("CM_URL".into(), stack.api.base.clone()));
        cm.env.push(("CM_TOKEN".into(), stack.api.token.clone()));
        cm
    }

    /// Pointed at another base URL (a proxy in front of the stack), keeping the token.
    pub fn with_url(mut self, url: &str) -> Self {
        self.env.retain(|(k, _)| k != "CM_URL");
        self.env.push(("CM_URL".into(), url.to_owned()));
        self
    }

    pub fn config_dir(&self) -> std::path::PathBuf {
        self.config.clone()
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(cli_bin());
        cmd.args(args)
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.config_dir())
            .env("XDG_DATA_HOME", self.home.path().join("data"))
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for var in [
            "CM_URL",
            "CM_TOKEN",
            "CM_PROFILE",
            "CM_DATA_DIR",
            "CM_RETRIES",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs to the end (at most 90 s).
    pub async fn run(&self, args: &[&str]) -> Out {
        self.run_env(args, &[]).await
    }

    /// Runs with extra environment variables.
    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        let output = tokio::time::timeout(Duration::from_secs(90), cmd.output())
            .await
            .unwrap_or_else(|_| panic!("codex-manager {args:?} did not finish within 90 s"))
            .unwrap();
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Starts a run in the background; its output is collected as it comes.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self.command(args).spawn().unwrap();
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let pumps = vec![
            pump(child.stdout.take().unwrap(), stdout.clone()),
            pump(child.stderr.take().unwrap(), stderr.clone()),
        ];
        Running {
            child,
            stdout,
            stderr,
            pumps,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }
}

fn pump(
    mut from: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    into: Arc<Mutex<String>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0 {
                break;
            }
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}

/// A run in the background.
pub struct Running {
    child: tokio::process::Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    pumps: Vec<tokio::task::JoinHandle<()>>,
    args: Vec<String>,
}

impl Running {
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (at most 30 s) until stdout or stderr contains `needle`.
    pub async fn wait_for_output(&self, needle: &str) {
        cm_test_support::wait_for(
            &format!("{needle:?} from codex-manager {:?}", self.args),
            Duration::from_secs(30),
            || async {
                let (out, err) = (self.stdout(), self.stderr());
                anyhow::ensure!(
                    out.contains(needle) || err.contains(needle),
                    "stdout:\n{out}\nstderr:\n{err}"
                );
                Ok(())
            },
        )
        .await
        .unwrap();
    }

    /// Waits (at most 60 s) for the exit.
    pub async fn finish(mut self) -> Out {
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "codex-manager {:?} did not finish; stdout:\n{}\nstderr:\n{}",
                    self.args,
                    self.stdout(),
                    self.stderr()
                )
            })
            .unwrap();
        for pump in self.pumps.drain(..) {
            pump.await.unwrap();
        }
        Out {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}
