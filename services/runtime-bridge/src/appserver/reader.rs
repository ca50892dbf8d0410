//! Reading the child's stdout (messages) and stderr (logs), line by bounded line, onto the
//! [`Incoming`] channel; a line over the bound is skipped, and its other end answered.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::codec::FramedRead;

use super::lines::{self, BoundedLines, Line};
use super::process::AppServer;
use super::wire::{Incoming, Pending, RpcError, Stream, route};

pub(super) async fn read_loop(
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
pub(super) async fn stderr_loop(
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::sync::Arc;
    use tokio::sync::oneshot;

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

        #[test]
        fn reading_a_skipped_head_never_panics(head in prop::collection::vec(any::<u8>(), 0..80)) {
            let _ = skipped_kind(&head);
            let _ = lines::attribution(&head);
        }
    }
}
