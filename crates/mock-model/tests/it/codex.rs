//! A small driver for the real `codex app-server` (newline-delimited JSON-RPC over stdio),
//! configured to use a [`MockModel`] as its only model provider.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cm_mock_model::MockModel;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// How long one turn (or one request) may take.
const TURN_TIMEOUT: Duration = Duration::from_secs(60);

const BIN_IN_WORKSPACE: &str =
    ".tools/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";

/// The codex binary: `CODEX_BIN`, else the one installed in the workspace's `.tools`.
pub fn codex_bin() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CODEX_BIN") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Some(root.join(BIN_IN_WORKSPACE)).filter(|p| p.is_file())
}

/// A throw-away `CODEX_HOME` outside `/tmp` (codex refuses to set up helpers under `/tmp`).
struct TempHome(PathBuf);

impl TempHome {
    fn new() -> Result<TempHome> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::var_os("HOME")
            .map(PathBuf::from)
            .context("HOME is not set")?
            .join(".cache/codex-manager/test-homes");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let unique = format!(
            "mock-model-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = base.join(unique);
        std::fs::create_dir_all(dir.join("work"))?;
        Ok(TempHome(dir))
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        // Best effort: a leftover directory only costs disk space.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config_toml(base_url: &str) -> String {
    format!(
        r#"model = "mock-model"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "read-only"

[model_providers.mock]
name = "mock"
base_url = "{base_url}"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[features]
plugins = false

[analytics]
enabled = false
"#
    )
}

/// Everything one turn produced, from the `turn/start` response to `turn/completed`.
pub struct Turn {
    /// Every message codex sent during the turn, in order.
    pub messages: Vec<Value>,
}

impl Turn {
    /// The notifications named `method`.
    pub fn notifications<'a>(&'a self, method: &'a str) -> impl Iterator<Item = &'a Value> {
        self.messages
            .iter()
            .filter(move |m| m["method"] == method && m.get("id").is_none())
            .map(|m| &m["params"])
    }

    /// The `delta`s of the notifications named `method`, concatenated.
    pub fn deltas(&self, method: &str) -> String {
        self.notifications(method)
            .filter_map(|p| p["delta"].as_str())
            .collect()
    }

    /// The items of `item/completed` notifications of this `type`.
    pub fn completed_items<'a>(&'a self, kind: &'a str) -> Vec<&'a Value> {
        self.notifications("item/completed")
            .map(|p| &p["item"])
            .filter(|item| item["type"] == kind)
            .collect()
    }

    /// The turn object of `turn/completed`.
    pub fn turn(&self) -> &Value {
        self.notifications("turn/completed")
            .last()
            .map_or(&Value::Null, |p| &p["turn"])
    }
}

/// A running `codex app-server` with its own `CODEX_HOME`.
pub struct Codex {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<Value>,
    /// Messages read while waiting for a response, not yet handed out.
    backlog: VecDeque<Value>,
    stderr: Arc<Mutex<Vec<String>>>,
    next_id: i64,
    home: TempHome,
}

impl Codex {
    /// Spawns app-server against `mock` and initializes it; `None` (with a printed note) when
    /// no codex binary is installed.
    pub async fn start(mock: &MockModel, extra_args: &[&str]) -> Result<Option<Codex>> {
        let Some(bin) = codex_bin() else {
            println!(
                "SKIPPED: no codex binary (set CODEX_BIN or install {BIN_IN_WORKSPACE} in the workspace)"
            );
            return Ok(None);
        };
        let home = TempHome::new()?;
        std::fs::write(home.0.join("config.toml"), config_toml(&mock.base_url()))?;
        let mut child = Command::new(bin)
            .arg("app-server")
            .args(extra_args)
            .env("CODEX_HOME", &home.0)
            .env("MOCK_API_KEY", "x")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = child.stdout.take().context("stdout")?;
        let stderr_pipe = child.stderr.take().context("stderr")?;
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let message = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr_pipe).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Ok(mut lines) = sink.lock() {
                    lines.push(line);
                }
            }
        });
        let mut codex = Codex {
            child,
            stdin,
            lines,
            backlog: VecDeque::new(),
            stderr,
            next_id: 0,
            home,
        };
        codex
            .request(
                "initialize",
                json!({
                    "clientInfo": {"name": "test", "title": "Test", "version": "0.0.1"},
                    "capabilities": {"experimentalApi": true}
                }),
            )
            .await?;
        codex.send(json!({"method": "initialized"})).await?;
        Ok(Some(codex))
    }

    /// A directory inside the throw-away home to use as the thread's `cwd`.
    pub fn work_dir(&self) -> PathBuf {
        self.home.0.join("work")
    }

    async fn send(&mut self, message: Value) -> Result<()> {
        let mut line = serde_json::to_vec(&message)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// The next message, from the backlog first.
    async fn next(&mut self) -> Result<Value> {
        match self.backlog.pop_front() {
            Some(message) => Ok(message),
            None => self.recv().await,
        }
    }

    async fn recv(&mut self) -> Result<Value> {
        match tokio::time::timeout(TURN_TIMEOUT, self.lines.recv()).await {
            Ok(Some(message)) => Ok(message),
            Ok(None) => bail!("app-server exited; stderr:\n{}", self.stderr_tail()),
            Err(_) => bail!(
                "app-server said nothing for {TURN_TIMEOUT:?}; stderr:\n{}",
                self.stderr_tail()
            ),
        }
    }

    fn stderr_tail(&self) -> String {
        let lines = self.stderr.lock().map(|l| l.clone()).unwrap_or_default();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Sends a request and waits for its result; other messages stay queued for [`Self::next`].
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"id": id, "method": method, "params": params}))
            .await?;
        loop {
            let message = self.recv().await?;
            if message["id"] == id && message.get("method").is_none() {
                if let Some(error) = message.get("error") {
                    bail!("{method} failed: {error}");
                }
                return Ok(message["result"].clone());
            }
            self.backlog.push_back(message);
        }
    }

    /// `thread/start` in the work directory; returns the thread id.
    pub async fn start_thread(&mut self, approval_policy: &str, sandbox: &str) -> Result<String> {
        let cwd = self.work_dir();
        let result = self
            .request(
                "thread/start",
                json!({"cwd": cwd, "approvalPolicy": approval_policy, "sandbox": sandbox}),
            )
            .await?;
        result["thread"]["id"]
            .as_str()
            .map(str::to_owned)
            .context("thread/start result without thread.id")
    }

    /// `turn/start` with `text`; returns the turn id.
    pub async fn start_turn(&mut self, thread_id: &str, text: &str) -> Result<String> {
        let input = json!([{"type": "text", "text": text, "text_elements": []}]);
        let result = self
            .request("turn/start", json!({"threadId": thread_id, "input": input}))
            .await?;
        result["turn"]["id"]
            .as_str()
            .map(str::to_owned)
            .context("turn/start result without turn.id")
    }

    /// Collects messages up to and including the first one satisfying `until`, answering
    /// server requests with `answer(method, params)`.
    pub async fn collect(
        &mut self,
        until: impl Fn(&Value) -> bool,
        mut answer: impl FnMut(&str, &Value) -> Value,
    ) -> Result<Vec<Value>> {
        let mut messages = Vec::new();
        loop {
            let message = self.next().await?;
            if let (Some(id), Some(method)) = (message.get("id"), message["method"].as_str()) {
                let result = answer(method, &message["params"]);
                self.send(json!({"id": id, "result": result})).await?;
            }
            let done = until(&message);
            messages.push(message);
            if done {
                return Ok(messages);
            }
        }
    }

    /// Runs one turn with `text`, answering server requests with `answer(method, params)`,
    /// and collects everything up to `turn/completed`.
    pub async fn run_turn(
        &mut self,
        thread_id: &str,
        text: &str,
        answer: impl FnMut(&str, &Value) -> Value,
    ) -> Result<Turn> {
        self.start_turn(thread_id, text).await?;
        let messages = self.collect(is_turn_completed, answer).await?;
        Ok(Turn { messages })
    }

    /// Closes stdin, waits for the process to exit, then removes the home directory.
    pub async fn shutdown(self) -> Result<()> {
        let Codex {
            mut child,
            stdin,
            home,
            ..
        } = self;
        // Dropping the pipe is what closes it (`shutdown` on a pipe only flushes).
        drop(stdin);
        let exited = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
        let result = match exited {
            Ok(status) => status.map(drop).map_err(Into::into),
            Err(_) => {
                child.kill().await?;
                Err(anyhow::anyhow!(
                    "app-server did not exit within 10 s of stdin closing"
                ))
            }
        };
        drop(home);
        result
    }
}

/// Whether `message` is the `turn/completed` notification.
pub fn is_turn_completed(message: &Value) -> bool {
    message["method"] == "turn/completed"
}

/// Answers nothing in particular: for turns that should not ask anything.
pub fn no_requests(method: &str, params: &Value) -> Value {
    panic!("unexpected server request {method}: {params}")
}
