//! What we write to the child: calls (each waiting for its answer in `wire::Pending`),
//! notifications, and answers to the child's requests.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use super::process::AppServer;
use super::wire::RpcError;

impl AppServer {
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
}
