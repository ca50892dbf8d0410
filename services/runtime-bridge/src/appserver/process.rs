//! Spawning the child, framing, and request/response correlation.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;

use super::lines::{self, BoundedLines, Line};

/// How to start the runtime.
#[derive(Debug, Clone)]
pub struct SpawnConfig {
    pub bin: PathBuf,
    pub codex_home: Option<PathBuf>,
    /// Extra arguments after `app-server` (for example `-c key=value` overrides).
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// Which output of the child a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Something the server sent on its own initiative.
#[derive(Debug)]
pub enum Incoming {
    Notification {
        method: String,
        params: Value,
    },
    /// A server→client request: must be answered with [`AppServer::respond`].
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    /// A line longer than the bound was skipped (the connection goes on with the next line).
    /// `thread_id` and `method` are what its first bytes name, when they name one.
    LineSkipped {
        stream: Stream,
        bytes: usize,
        limit: usize,
        thread_id: Option<String>,
        method: Option<String>,
    },
    Exited(Option<ExitStatus>),
}

/// A failed call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcError {
    /// The server answered with a JSON-RPC error.
    #[error("{method}: runtime error {code}: {message}")]
    Server {
        method: String,
        code: i64,
        message: String,
        data: Option<Value>,
    },
    #[error("{method}: no answer within {0:?}", .timeout)]
    Timeout { method: String, timeout: Duration },
    #[error("runtime exited")]
    Exited,
    #[error("runtime i/o failed: {0}")]
    Io(String),
}

impl RpcError {
    /// The runtime does not know the method: JSON-RPC -32601, or — what codex (0.169.0 and
    /// 0.171.0) actually answers — -32600 "Invalid request: unknown variant `<method>`".
    pub fn is_method_not_found(&self) -> bool {
        match self {
            RpcError::Server { code: -32601, .. } => true,
            RpcError::Server {
                code: -32600,
                message,
                method,
                ..
            } => message.contains(&format!("unknown variant `{method}`")),
            _ => false,
        }
    }
}

type Pending = Arc<Mutex<HashMap<i64, oneshot::Sender<Result<Value, RpcError>>>>>;

/// A running app-server.
pub struct AppServer {
    pid: Option<u32>,
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    pending: Pending,
    next_id: AtomicI64,
    child: tokio::sync::Mutex<Option<Child>>,
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

    async fn write(&self, msg: &Value) -> Result<(), RpcError> {
        let mut line = serde_json::to_vec(msg).map_err(|e| RpcError::Io(e.to_string()))?;
        line.push(b'\n');
        let mut stdin = self.stdin.lock().await;
        let Some(stdin) = stdin.as_mut() else {
            return Err(RpcError::Exited);
        };
        stdin.write_all(&line).await.map_err(|_| RpcError::Exited)?;
        stdin.flush().await.map_err(|_| RpcError::Exited)
    }

    /// Calls `method` and waits for its result, in a span that continues the caller's trace
    /// into the runtime.
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, RpcError> {
        use tracing::Instrument;
        let span = tracing::info_span!("appserver.call", rpc.method = method, otel.kind = "client");
        self.call_inner(method, params, timeout)
            .instrument(span)
            .await
    }

    async fn call_inner(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(id, tx);
        }
        let sent = self
            .write(&json!({ "id": id, "method": method, "params": params }))
            .await;
        if let Err(e) = sent {
            self.forget(id);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result.map_err(|e| match e {
                RpcError::Server {
                    code,
                    message,
                    data,
                    ..
                } => RpcError::Server {
                    method: method.to_owned(),
                    code,
                    message,
                    data,
                },
                other => other,
            }),
            Ok(Err(_)) => Err(RpcError::Exited),
            Err(_) => {
                self.forget(id);
                Err(RpcError::Timeout {
                    method: method.to_owned(),
                    timeout,
                })
            }
        }
    }

    fn forget(&self, id: i64) {
        if let Ok(mut p) = self.pending.lock() {
            p.remove(&id);
        }
    }

    /// Sends a notification.
    pub async fn notify(&self, method: &str, params: Value) -> Result<(), RpcError> {
        self.write(&json!({ "method": method, "params": params }))
            .await
    }

    /// Answers a server→client request.
    pub async fn respond(
        &self,
        id: Value,
        result: Result<Value, (i64, String)>,
    ) -> Result<(), RpcError> {
        let msg = match result {
            Ok(result) => json!({ "id": id, "result": result }),
            Err((code, message)) => {
                json!({ "id": id, "error": { "code": code, "message": message } })
            }
        };
        self.write(&msg).await
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

async fn read_loop(
    server: std::sync::Weak<AppServer>,
    pending: Pending,
    stdout: tokio::process::ChildStdout,
    max_line_bytes: usize,
    tx: mpsc::Sender<Incoming>,
) {
    let mut lines = FramedRead::new(stdout, BoundedLines::new(max_line_bytes));
    while let Some(line) = lines.next().await {
        let incoming = match line {
            Ok(Line::Text { text, lossy }) => {
                if text.trim().is_empty() {
                    continue;
                }
                if lossy {
                    tracing::warn!("app-server wrote bytes that are not UTF-8; decoded lossily");
                }
                match serde_json::from_str::<Value>(&text) {
                    Ok(msg) => route(&pending, msg),
                    Err(e) => {
                        tracing::warn!(error = %e, "unparsable line from app-server");
                        None
                    }
                }
            }
            Ok(Line::TooLong { bytes, head }) => {
                let skipped = skipped_line(Stream::Stdout, bytes, max_line_bytes, &head);
                answer_skipped(&server, &pending, &head, max_line_bytes).await;
                Some(skipped)
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading app-server stdout failed");
                break;
            }
        };
        if let Some(incoming) = incoming
            && tx.send(incoming).await.is_err()
        {
            break;
        }
    }
    // Fail every call still waiting: their answers will never come.
    let waiting: Vec<_> = match pending.lock() {
        Ok(mut p) => p.drain().map(|(_, tx)| tx).collect(),
        Err(_) => Vec::new(),
    };
    for w in waiting {
        let _ = w.send(Err(RpcError::Exited));
    }
    let status = match server.upgrade() {
        Some(server) => match server.child.lock().await.as_mut() {
            Some(child) => tokio::time::timeout(Duration::from_secs(5), child.wait())
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        },
        None => None,
    };
    let _ = tx.send(Incoming::Exited(status)).await;
}

/// stderr is logs: each line to tracing, an over-long one skipped and reported like stdout's.
async fn stderr_loop(
    pid: Option<u32>,
    stderr: tokio::process::ChildStderr,
    max_line_bytes: usize,
    tx: mpsc::Sender<Incoming>,
) {
    let mut lines = FramedRead::new(stderr, BoundedLines::new(max_line_bytes));
    while let Some(Ok(line)) = lines.next().await {
        match line {
            Line::Text { text, .. } => tracing::debug!(target: "codex_app_server", pid, "{text}"),
            Line::TooLong { bytes, head } => {
                let skipped = skipped_line(Stream::Stderr, bytes, max_line_bytes, &head);
                if tx.send(skipped).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// Logs a skipped line once, here at the boundary, and describes it for the supervisor.
fn skipped_line(stream: Stream, bytes: usize, limit: usize, head: &[u8]) -> Incoming {
    let (thread_id, method) = lines::attribution(head);
    tracing::error!(
        stream = stream.as_str(),
        line.bytes = bytes,
        line.limit = limit,
        thread.id = thread_id.as_deref(),
        rpc.method = method.as_deref(),
        "app-server line over the length limit skipped"
    );
    Incoming::LineSkipped {
        stream,
        bytes,
        limit,
        thread_id,
        method,
    }
}

/// A skipped stdout line that was an answer or a server→client request still needs its other
/// end: the waiting call fails at once (instead of at its time-out) and the runtime's request
/// gets an error response (instead of waiting for ever).
async fn answer_skipped(
    server: &std::sync::Weak<AppServer>,
    pending: &Pending,
    head: &[u8],
    limit: usize,
) {
    let message = format!("the message exceeded the bridge's {limit}-byte line limit");
    match skipped_kind(head) {
        Some(Skipped::Request(id)) => {
            if let Some(server) = server.upgrade()
                && let Err(e) = server.respond(id, Err((-32603, message))).await
            {
                tracing::warn!(error = %e, "could not refuse a skipped server request");
            }
        }
        Some(Skipped::Response(id)) => {
            if let Some(waiter) = pending.lock().ok().and_then(|mut p| p.remove(&id)) {
                let _ = waiter.send(Err(RpcError::Io(message)));
            }
        }
        None => {}
    }
}

/// What a skipped line was, when its first bytes tell.
#[derive(Debug, PartialEq)]
enum Skipped {
    /// `{"id":N,"result"...` (or `"error"`): the answer to our call `N`.
    Response(i64),
    /// `{"method":"...","id":N,...`: a server→client request (codex writes the method first).
    Request(Value),
}

/// Reads the start of compact JSON as codex writes it (no `"jsonrpc"` field, no spaces).
fn skipped_kind(head: &[u8]) -> Option<Skipped> {
    let head = std::str::from_utf8(&head[..head.len().min(512)])
        .or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
        .ok()?;
    let rest = head.strip_prefix('{')?;
    if let Some(rest) = rest.strip_prefix(r#""id":"#) {
        let (id, rest) = leading_integer(rest)?;
        return (rest.starts_with(r#","result""#) || rest.starts_with(r#","error""#))
            .then_some(Skipped::Response(id));
    }
    let rest = rest.strip_prefix(r#""method":""#)?;
    let after_method = &rest[rest.find('"')? + 1..];
    let id = after_method.strip_prefix(r#","id":"#)?;
    if let Some(quoted) = id.strip_prefix('"') {
        let end = quoted.find('"')?;
        return Some(Skipped::Request(Value::String(quoted[..end].to_owned())));
    }
    let (id, _) = leading_integer(id)?;
    Some(Skipped::Request(Value::from(id)))
}

fn leading_integer(s: &str) -> Option<(i64, &str)> {
    let end = s
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
        .map_or(s.len(), |(i, _)| i);
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// Sorts one message into a response (completes a pending call), a request or a notification.
fn route(pending: &Pending, mut msg: Value) -> Option<Incoming> {
    let method = msg.get("method").and_then(Value::as_str).map(str::to_owned);
    let id = msg.get_mut("id").map(Value::take);
    match (method, id) {
        (Some(method), Some(id)) => Some(Incoming::Request {
            id,
            method,
            params: msg
                .get_mut("params")
                .map(Value::take)
                .unwrap_or(Value::Null),
        }),
        (Some(method), None) => Some(Incoming::Notification {
            method,
            params: msg
                .get_mut("params")
                .map(Value::take)
                .unwrap_or(Value::Null),
        }),
        (None, Some(id)) => {
            let Some(id) = id.as_i64() else {
                tracing::warn!(%id, "response with a non-numeric id");
                return None;
            };
            let waiter = pending.lock().ok().and_then(|mut p| p.remove(&id));
            let result = match msg.get_mut("error").map(Value::take) {
                Some(err) => Err(RpcError::Server {
                    method: String::new(),
                    code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                    message: err
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown error")
                        .to_owned(),
                    data: err.get("data").cloned(),
                }),
                None => Ok(msg
                    .get_mut("result")
                    .map(Value::take)
                    .unwrap_or(Value::Null)),
            };
            if let Some(waiter) = waiter {
                let _ = waiter.send(result);
            }
            None
        }
        (None, None) => {
            tracing::warn!(%msg, "message with neither method nor id");
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_skipped_line_is_told_apart_by_its_first_bytes() {
        assert_eq!(
            skipped_kind(br#"{"id":7,"result":{"thread""#),
            Some(Skipped::Response(7))
        );
        assert_eq!(
            skipped_kind(br#"{"id":7,"error":{"#),
            Some(Skipped::Response(7))
        );
        assert_eq!(
            skipped_kind(br#"{"method":"item/tool/call","id":3,"params":{"#),
            Some(Skipped::Request(json!(3)))
        );
        assert_eq!(
            skipped_kind(br#"{"method":"x","id":"r1","params":{"#),
            Some(Skipped::Request(json!("r1")))
        );
        // A notification, or anything else, is neither.
        assert_eq!(
            skipped_kind(br#"{"method":"item/completed","params":{"#),
            None
        );
        assert_eq!(skipped_kind(br#"{"id":7,"#), None);
        assert_eq!(skipped_kind(b"aaaa"), None);
    }

    #[tokio::test]
    async fn a_skipped_answer_fails_its_call_at_once() {
        let pending: Pending = Arc::default();
        let (tx, rx) = oneshot::channel();
        pending.lock().unwrap().insert(4, tx);
        answer_skipped(
            &std::sync::Weak::new(),
            &pending,
            br#"{"id":4,"result":{"thread":"#,
            16,
        )
        .await;
        match rx.await.unwrap() {
            Err(RpcError::Io(message)) => assert!(message.contains("16-byte"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any JSON the runtime writes is routed without a panic, and an answer completes
        /// exactly the call it names.
        #[test]
        fn routing_arbitrary_json_never_panics(msg in crate::proptests::json(), id in 0i64..4) {
            let pending: Pending = Arc::default();
            let (tx, mut rx) = oneshot::channel();
            pending.lock().unwrap().insert(id, tx);
            let answer_to_id = msg.get("method").and_then(Value::as_str).is_none()
                && msg.get("id").and_then(Value::as_i64) == Some(id);
            let _ = route(&pending, msg);
            prop_assert_eq!(rx.try_recv().is_ok(), answer_to_id);
        }

        #[test]
        fn reading_a_skipped_head_never_panics(head in prop::collection::vec(any::<u8>(), 0..80)) {
            let _ = skipped_kind(&head);
            let _ = lines::attribution(&head);
        }
    }
}
