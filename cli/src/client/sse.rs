//! Following an SSE stream of the API across disconnections: each reconnection sends
//! `Last-Event-ID` with the last `id:` seen, so nothing is missed and nothing repeats.
//!
//! A transport failure, a 5xx or 429, or a stream that ends (the gateway restarts, or dropped
//! a slow client with `event: dropped`) is retried with back-off (0.5 s doubling to 10 s,
//! reset by the next frame); any other error answer ends the follow. `event: gap` (events that
//! are gone for good) is handed to the caller, which refetches what it needs.

use std::pin::Pin;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use eventsource_stream::{EventStreamError, Eventsource};
use futures::{Stream, StreamExt};
use serde_json::Value;

use super::{Client, Query};
use crate::exit::{Class, CliError};

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The pauses between reconnections: 0.5 s doubling to 10 s, for as long as it takes (the
/// caller's `max_retries` bounds it), started over by each frame received.
fn delays() -> ExponentialBackoff {
    ExponentialBuilder::default()
        .with_min_delay(FIRST_BACKOFF)
        .with_max_delay(MAX_BACKOFF)
        .with_factor(2.0)
        .without_max_times()
        .build()
}

type Events = Pin<
    Box<
        dyn Stream<Item = Result<eventsource_stream::Event, EventStreamError<reqwest::Error>>>
            + Send,
    >,
>;

/// What the stream delivered.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// An event (`StreamedEvent` JSON) with its sequence.
    Event { seq: u64, data: Value },
    /// Events `from..=to` are gone; the data is `{from, to, action}`.
    Gap { to: u64, data: Value },
}

/// One followed stream.
pub struct Follow<'a> {
    client: &'a Client,
    path: String,
    query: Query,
    /// The resume point: the last `id:` received.
    pub last_id: Option<u64>,
    events: Option<Events>,
    delays: ExponentialBackoff,
    failures: u32,
    /// Give up after this many failed (re)connections in a row; `None` retries for ever.
    pub max_retries: Option<u32>,
}

impl<'a> Follow<'a> {
    pub fn new(client: &'a Client, path: String, query: Query, after: Option<u64>) -> Self {
        Self {
            client,
            path,
            query,
            last_id: after,
            events: None,
            delays: delays(),
            failures: 0,
            max_retries: None,
        }
    }

    /// Connects now (if not connected), so that the first error answer comes before anything
    /// else is done.
    pub async fn connect(&mut self) -> Result<(), CliError> {
        while self.events.is_none() {
            match self
                .client
                .open_stream(&self.path, &self.query, self.last_id)
                .await
            {
                Ok(response) => self.events = Some(Box::pin(response.bytes_stream().eventsource())),
                Err(e) if retryable(&e) => self.retry(e).await?,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The next frame, reconnecting as needed.
    pub async fn next(&mut self) -> Result<Frame, CliError> {
        loop {
            self.connect().await?;
            let Some(events) = self.events.as_mut() else {
                continue;
            };
            let event = match events.next().await {
                Some(Ok(event)) => event,
                Some(Err(e)) => {
                    self.events = None;
                    self.retry(CliError::new(
                        Class::Unreachable,
                        format!("stream broken: {e}"),
                    ))
                    .await?;
                    continue;
                }
                None => {
                    self.events = None;
                    self.retry(CliError::new(Class::Unreachable, "the stream ended"))
                        .await?;
                    continue;
                }
            };
            self.delays = delays();
            self.failures = 0;
            let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
            let id = event.id.parse::<u64>().ok();
            match event.event.as_str() {
                "gap" => {
                    let to = id.or_else(|| data["to"].as_u64()).unwrap_or_default();
                    self.last_id = Some(to);
                    return Ok(Frame::Gap { to, data });
                }
                "dropped" => {
                    if let Some(seq) = data["lastSeq"].as_u64() {
                        self.last_id = Some(seq);
                    }
                    eprintln!(
                        "stream: dropped by the server ({}); reconnecting",
                        data["reason"]
                    );
                    self.events = None;
                }
                _ => {
                    let Some(seq) = id.or_else(|| data["seq"].as_u64()) else {
                        continue;
                    };
                    self.last_id = Some(seq);
                    return Ok(Frame::Event { seq, data });
                }
            }
        }
    }

    /// Waits out the back-off after `error`, or gives up with it.
    async fn retry(&mut self, error: CliError) -> Result<(), CliError> {
        self.failures += 1;
        if self.max_retries.is_some_and(|max| self.failures > max) {
            return Err(error);
        }
        let pause = self.delays.next().unwrap_or(MAX_BACKOFF);
        eprintln!(
            "stream: {error}; reconnecting in {:.1} s{}",
            pause.as_secs_f64(),
            self.last_id
                .map(|id| format!(" (Last-Event-ID: {id})"))
                .unwrap_or_default()
        );
        tokio::time::sleep(pause).await;
        Ok(())
    }
}

/// Worth another try: no answer, or a server-side failure.
fn retryable(e: &CliError) -> bool {
    matches!(e.class, Class::Unreachable | Class::Server)
}
