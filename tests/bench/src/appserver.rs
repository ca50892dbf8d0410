//! A bare stdio JSON-RPC client for `codex app-server`: the baseline of the `turn` scenario.
//!
//! It does the least a client can: newline-delimited JSON on stdin/stdout, read in the calling
//! task, notifications skipped unless a turn is being timed. No bus, no persistence.

use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Time-out of every read from the server.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// When a timed turn produced its first text delta and when it completed, from `turn/start`.
#[derive(Debug, Clone, Copy)]
pub struct TurnTiming {
    pub first_delta: Duration,
    pub completed: Duration,
}

pub struct Direct {
    _child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    next_id: i64,
}

impl Direct {
    /// Spawns `codex app-server ARGS` with `envs`, then `initialize` + `initialized`.
    pub async fn start(
        bin: &Path,
        args: &[&str],
        envs: impl IntoIterator<Item = (&'static str, OsString)>,
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(bin)
            .arg("app-server")
            .args(args)
            .envs(envs)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {} app-server", bin.display()))?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut me = Self {
            _child: child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            next_id: 0,
        };
        me.call(
            "initialize",
            json!({
                "clientInfo": { "name": "cm-bench", "title": "cm-bench", "version": "0" },
                "capabilities": { "experimentalApi": true }
            }),
        )
        .await?;
        me.send(&json!({ "method": "initialized", "params": {} }))
            .await?;
        Ok(me)
    }

    /// `thread/start {cwd}`; returns the thread id.
    pub async fn thread_start(&mut self, cwd: &Path) -> anyhow::Result<String> {
        let result = self
            .call("thread/start", json!({ "cwd": cwd.to_string_lossy() }))
            .await?;
        result
            .pointer("/thread/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .context("thread/start returned no thread id")
    }

    /// `turn/start` with `text`, then reads until `turn/completed`.
    pub async fn turn(&mut self, thread_id: &str, text: &str) -> anyhow::Result<TurnTiming> {
        let t = Instant::now();
        let id = self
            .request(
                "turn/start",
                json!({
                    "threadId": thread_id,
                    "input": [{ "type": "text", "text": text, "text_elements": [] }],
                }),
            )
            .await?;
        let mut first_delta = None;
        loop {
            let msg = self.read().await?;
            if msg.get("id") == Some(&json!(id)) {
                if let Some(e) = msg.get("error") {
                    anyhow::bail!("turn/start failed: {e}");
                }
                continue;
            }
            match msg.get("method").and_then(Value::as_str) {
                Some("item/agentMessage/delta") if first_delta.is_none() => {
                    first_delta = Some(t.elapsed());
                }
                Some("turn/completed") => {
                    let completed = t.elapsed();
                    let status = msg.pointer("/params/turn/status").and_then(Value::as_str);
                    anyhow::ensure!(status == Some("completed"), "turn ended {status:?}");
                    return Ok(TurnTiming {
                        first_delta: first_delta.unwrap_or(completed),
                        completed,
                    });
                }
                _ => {}
            }
        }
    }

    async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.request(method, params).await?;
        loop {
            let msg = self.read().await?;
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                if let Some(e) = msg.get("error") {
                    anyhow::bail!("{method} failed: {e}");
                }
                return Ok(msg.get("result").cloned().unwrap_or(Value::Null));
            }
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<i64> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "id": id, "method": method, "params": params }))
            .await?;
        Ok(id)
    }

    async fn send(&mut self, msg: &Value) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(msg)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    async fn read(&mut self) -> anyhow::Result<Value> {
        loop {
            let line = tokio::time::timeout(READ_TIMEOUT, self.lines.next_line())
                .await
                .context("app-server said nothing for 60 s")??
                .context("app-server closed stdout")?;
            if line.trim().is_empty() {
                continue;
            }
            return serde_json::from_str(&line)
                .with_context(|| format!("app-server sent non-JSON: {line}"));
        }
    }
}
