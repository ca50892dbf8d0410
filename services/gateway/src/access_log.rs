//! An optional access log: one JSON line per request — time, method, the matched route
//! template (`/api/sessions/{id}`, not the id), status and duration — appended to a file.
//! Operators get request history without a log pipeline; the test suite uses the routes to
//! prove that every documented operation was exercised (`cm-e2e`'s `api-coverage`).

use std::path::Path;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Where lines go: a writer task owns the file, so requests never wait on the disk.
#[derive(Clone)]
pub struct AccessLog(mpsc::UnboundedSender<String>);

impl AccessLog {
    /// Opens (appending) `path` and starts the writer task.
    pub async fn open(path: &Path) -> std::io::Result<Self> {
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await?;
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                if let Err(e) = file.write_all(line.as_bytes()).await {
                    tracing::warn!(error = %e, "access log write failed; no more lines");
                    return;
                }
            }
            let _ = file.flush().await;
        });
        Ok(Self(tx))
    }
}

pub async fn middleware(State(log): State<AccessLog>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let line = json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "method": method,
        "route": route,
        "path": path,
        "status": response.status().as_u16(),
        "ms": started.elapsed().as_secs_f64() * 1000.0,
    });
    let _ = log.0.send(format!("{line}\n"));
    response
}
