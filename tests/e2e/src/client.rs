//! A minimal gateway client for tests: JSON requests with the bearer token, and SSE streams
//! parsed with `eventsource-stream`.

use std::pin::Pin;
use std::time::Duration;

use cm_schemas::StreamedEvent;
use eventsource_stream::Eventsource;
use futures::{Stream, StreamExt};
use serde_json::Value;

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    http: reqwest::Client,
}

pub type SseStream = Pin<Box<dyn Stream<Item = anyhow::Result<StreamedEvent>> + Send>>;

impl Api {
    pub fn new(base: String, token: String) -> Self {
        Self {
            base,
            token,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET with the token; returns status and JSON body (Null when not JSON).
    pub async fn get_raw(&self, path: &str) -> anyhow::Result<(u16, Value)> {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    pub async fn post_raw(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let resp = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    /// GET expecting 2xx.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let (status, body) = self.get_raw(path).await?;
        anyhow::ensure!((200..300).contains(&status), "GET {path}: {status} {body}");
        Ok(body)
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let (status, resp) = self.post_raw(path, &body).await?;
        anyhow::ensure!((200..300).contains(&status), "POST {path}: {status} {resp}");
        Ok(resp)
    }

    pub async fn create_session(&self) -> anyhow::Result<String> {
        let s = self
            .post("/api/sessions", serde_json::json!({ "title": "test" }))
            .await?;
        Ok(s["id"].as_str().unwrap_or_default().to_owned())
    }

    pub async fn send(&self, session: &str, text: &str) -> anyhow::Result<String> {
        let r = self
            .post(
                &format!("/api/sessions/{session}/messages"),
                serde_json::json!({ "text": text }),
            )
            .await?;
        Ok(r["turnId"].as_str().unwrap_or_default().to_owned())
    }

    /// Opens the session's SSE stream, resuming after `last_event_id` when given.
    pub async fn events(
        &self,
        session: &str,
        last_event_id: Option<u64>,
    ) -> anyhow::Result<SseStream> {
        self.stream(&format!("/api/sessions/{session}/events"), last_event_id)
            .await
    }

    /// Opens any SSE stream of the API (`/api/events?scope=job...`), resuming after
    /// `last_event_id` when given.
    pub async fn stream(
        &self,
        path: &str,
        last_event_id: Option<u64>,
    ) -> anyhow::Result<SseStream> {
        let mut req = self.http.get(self.url(path)).bearer_auth(&self.token);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await?;
        anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
        let stream = resp
            .bytes_stream()
            .eventsource()
            .filter_map(|e| async move {
                match e {
                    Ok(ev) if ev.data.is_empty() || ev.event == "heartbeat" => None,
                    Ok(ev) => Some(
                        serde_json::from_str::<StreamedEvent>(&ev.data)
                            .map_err(anyhow::Error::from),
                    ),
                    Err(e) => Some(Err(anyhow::anyhow!("sse: {e}"))),
                }
            });
        Ok(Box::pin(stream))
    }
}

/// Reads events until one satisfies `stop` (inclusive), with an overall time-out.
pub async fn collect_until(
    stream: &mut SseStream,
    timeout: Duration,
    mut stop: impl FnMut(&StreamedEvent) -> bool,
) -> anyhow::Result<Vec<StreamedEvent>> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next())
            .await
            .map_err(|_| {
                anyhow::anyhow!("timed out after {} events: {:?}", out.len(), kinds(&out))
            })?;
        let Some(ev) = next else {
            anyhow::bail!("stream ended after {} events", out.len())
        };
        let ev = ev?;
        let done = stop(&ev);
        out.push(ev);
        if done {
            return Ok(out);
        }
    }
}

/// Reads until `n` deltas (of any stream) have arrived; returns everything read.
pub async fn collect_deltas(
    stream: &mut SseStream,
    timeout: Duration,
    n: usize,
) -> anyhow::Result<Vec<StreamedEvent>> {
    let mut deltas = 0;
    collect_until(stream, timeout, |e| {
        if matches!(e.event.body, cm_schemas::EventBody::ItemDelta { .. }) {
            deltas += 1;
        }
        deltas == n
    })
    .await
}

/// The text deltas of `evs` (`stream: text`), concatenated in order: what a client printed.
pub fn text_deltas<'a>(evs: impl IntoIterator<Item = &'a StreamedEvent>) -> String {
    evs.into_iter()
        .filter_map(|e| match &e.event.body {
            cm_schemas::EventBody::ItemDelta {
                stream: cm_schemas::event::DeltaStream::Text,
                delta,
                ..
            } => Some(delta.as_str()),
            _ => None,
        })
        .collect()
}

/// `evs` folded into turns and items by the one transcript fold ([`cm_schemas::transcript`]).
pub fn fold<'a>(evs: impl IntoIterator<Item = &'a StreamedEvent>) -> cm_schemas::Transcript {
    cm_schemas::Transcript::from_events(evs.into_iter().map(|e| &e.event))
}

pub fn kinds(evs: &[StreamedEvent]) -> Vec<&'static str> {
    evs.iter().map(|e| e.event.body.kind()).collect()
}
