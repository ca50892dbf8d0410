//! The messages between us and the child, and matching answers to calls: every call gets an
//! id and a oneshot in [`Pending`], completed by [`route`] when the answer with that id comes
//! back. Below the process, the reader and the writer, which all use it.

use std::collections::HashMap;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

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
    /// A server→client request: must be answered with [`super::AppServer::respond`].
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
