//! A line over the bound that was an answer or a server→client request: the other end is told
//! at once, and the connection reads on.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use cm_runtime_bridge::appserver::{AppServer, Incoming, RpcError, SpawnConfig, Stream};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const LIMIT: usize = 1024 * 1024;
/// Twice the limit, written by the fakes inside a JSON string.
const FILL: usize = 2 * LIMIT;

fn fake(dir: &Path, body: &str) -> SpawnConfig {
    let path = dir.join("fake-app-server");
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    SpawnConfig {
        bin: path,
        codex_home: None,
        args: Vec::new(),
        env: Vec::new(),
    }
}

/// Shell that prints `FILL` bytes of `a`.
fn fill() -> String {
    format!("head -c {FILL} /dev/zero | tr '\\0' a")
}

async fn next(rx: &mut mpsc::Receiver<Incoming>) -> Incoming {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("nothing from the fake within 10 s")
        .expect("channel closed")
}

#[tokio::test]
async fn a_skipped_answer_fails_its_call_at_once_and_the_next_call_works() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "read line\n\
         printf '{{\"id\":1,\"result\":{{\"text\":\"'; {}; printf '\"}}}}\\n'\n\
         read line\n\
         printf '{{\"id\":2,\"result\":\"second\"}}\\n'\n\
         read line\n",
        fill()
    );
    let (server, mut rx) = AppServer::spawn(&fake(dir.path(), &body), LIMIT).unwrap();

    let asked = Instant::now();
    let first = server
        .call("first", json!({}), Duration::from_secs(30))
        .await;
    match first {
        Err(RpcError::Io(message)) => assert!(message.contains("line limit"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "failed at once, not at the time-out"
    );
    match next(&mut rx).await {
        Incoming::LineSkipped {
            stream,
            bytes,
            limit,
            thread_id,
            method,
        } => {
            assert_eq!(stream, Stream::Stdout);
            assert!(bytes > FILL, "{bytes}");
            assert_eq!(limit, LIMIT);
            assert_eq!((thread_id, method), (None, None));
        }
        other => panic!("{other:?}"),
    }
    // The connection was not torn down.
    let second = server
        .call("second", json!({}), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(second, json!("second"));
    server.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_skipped_server_request_is_refused_so_the_runtime_does_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    // codex writes a server request method first: {"method":...,"id":N,"params":...}. The fake
    // then echoes the bridge's answer back as a notification.
    let body = format!(
        "printf '{{\"method\":\"item/tool/call\",\"id\":5,\"params\":{{\"threadId\":\"th_9\",\"x\":\"'; {}; printf '\"}}}}\\n'\n\
         read line\n\
         printf '{{\"method\":\"echo\",\"params\":%s}}\\n' \"$line\"\n\
         read line\n",
        fill()
    );
    let (server, mut rx) = AppServer::spawn(&fake(dir.path(), &body), LIMIT).unwrap();
    match next(&mut rx).await {
        Incoming::LineSkipped {
            thread_id, method, ..
        } => {
            assert_eq!(thread_id.as_deref(), Some("th_9"));
            assert_eq!(method.as_deref(), Some("item/tool/call"));
        }
        other => panic!("{other:?}"),
    }
    match next(&mut rx).await {
        Incoming::Notification { method, params } => {
            assert_eq!(method, "echo");
            assert_eq!(params["id"], 5);
            assert_eq!(params["error"]["code"], -32603);
            let message = params["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("line limit"), "{params}");
            assert!(params.get("result").is_none_or(Value::is_null));
        }
        other => panic!("{other:?}"),
    }
    server.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_long_stderr_line_is_reported_and_invalid_utf8_on_stdout_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{} >&2; echo >&2\n\
         printf '{{\"method\":\"note\",\"params\":{{\"text\":\"a\\377b\"}}}}\\n'\n\
         read line\n",
        fill()
    );
    let (server, mut rx) = AppServer::spawn(&fake(dir.path(), &body), LIMIT).unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        got.push(next(&mut rx).await);
    }
    // The two come from two readers: either order.
    let skipped = got
        .iter()
        .any(|i| matches!(i, Incoming::LineSkipped { stream: Stream::Stderr, bytes, .. } if *bytes == FILL));
    assert!(skipped, "{got:?}");
    let note = got.iter().any(|i| {
        matches!(i, Incoming::Notification { method, params }
            if method == "note" && params["text"] == "a\u{FFFD}b")
    });
    assert!(note, "{got:?}");
    server.shutdown(Duration::from_secs(5)).await;
}
