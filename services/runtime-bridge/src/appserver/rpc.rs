//! What we write to the child, and request/response correlation: every call gets an id and a
//! oneshot in `Pending`, completed by `route` when the answer with that id comes back.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use super::process::AppServer;
use super::reader::Incoming;

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

pub(super) type Pending = Arc<Mutex<HashMap<i64, oneshot::Sender<Result<Value, RpcError>>>>>;

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

/// Sorts one message into a response (completes a pending call), a request or a notification.
pub(super) fn route(pending: &Pending, mut msg: Value) -> Option<Incoming> {
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
    }
}
