//! Bounds on event streams: how many may be open at once, and what happens to a client that
//! does not read.
//!
//! Each stream has its own task filling a bounded channel that the response body drains. When
//! the channel stays full for longer than [`StreamsConfig::slow_consumer_after`], the task gives
//! up on that client alone: the body ends with a last `event: dropped`
//! `{"reason":"slow_consumer","lastSeq":N}` after what was already queued, and the client
//! reconnects with `Last-Event-ID: N`. No other stream waits for it.
//!
//! It sits beside `state` rather than under `routes::events` because [`AppState`] owns the
//! subscriber slots: keeping it here lets `state` depend on no route module.
//!
//! [`AppState`]: crate::state::AppState

use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::Event as SseEvent;
use cm_schemas::{BusError, ErrorCode};
use tokio::sync::mpsc::error::{SendTimeoutError, TrySendError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

/// Event stream settings of the gateway.
#[derive(Debug, Clone)]
pub struct StreamsConfig {
    /// Interval of the `: heartbeat` keep-alive comments.
    pub keep_alive: Duration,
    /// Event streams open at once; one more is refused with 429 `rate_limited`.
    pub max_subscribers: usize,
    /// Frames queued per stream between its task and the connection.
    pub buffer: usize,
    /// How long a full queue is tolerated before the stream is dropped.
    pub slow_consumer_after: Duration,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        Self {
            keep_alive: Duration::from_secs(15),
            max_subscribers: 256,
            buffer: 256,
            slow_consumer_after: Duration::from_secs(30),
        }
    }
}

/// The shared state of all event streams: their settings and the subscriber slots.
#[derive(Debug, Clone)]
pub struct Streams {
    pub config: StreamsConfig,
    slots: Arc<Semaphore>,
}

impl Streams {
    pub fn new(config: &StreamsConfig) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(config.max_subscribers)),
            config: config.clone(),
        }
    }

    /// A subscriber slot, held for as long as the stream's task runs.
    pub fn acquire(&self) -> Result<OwnedSemaphorePermit, BusError> {
        self.slots.clone().try_acquire_owned().map_err(|_| {
            BusError::new(
                ErrorCode::RateLimited,
                format!(
                    "too many event streams are open (limit {}); retry later",
                    self.config.max_subscribers
                ),
            )
            .with_details(serde_json::json!({ "limit": self.config.max_subscribers }))
        })
    }
}

/// Why a stream's task stopped sending.
#[derive(Debug)]
pub enum End {
    /// The client went away.
    Closed,
    /// The client did not read for too long.
    Slow,
    /// The bus or the session service failed; the client reconnects.
    Failed(String),
}

/// The sending side of one stream.
pub struct Outbox {
    tx: mpsc::Sender<SseEvent>,
    last: Option<oneshot::Sender<SseEvent>>,
    slow_after: Duration,
    /// What the client can resume after: the last event (or gap end) queued for it.
    last_seq: u64,
}

/// The receiving side, for the response body: the queued frames, then a possible last one.
pub struct Inbox {
    pub frames: mpsc::Receiver<SseEvent>,
    pub last: oneshot::Receiver<SseEvent>,
}

pub fn channel(config: &StreamsConfig, resume_after: u64) -> (Outbox, Inbox) {
    let (tx, frames) = mpsc::channel(config.buffer.max(1));
    let (last_tx, last) = oneshot::channel();
    let outbox = Outbox {
        tx,
        last: Some(last_tx),
        slow_after: config.slow_consumer_after,
        last_seq: resume_after,
    };
    (outbox, Inbox { frames, last })
}

impl Outbox {
    /// Queues a frame; `seq` is what the client may resume after once it has it.
    pub async fn send(&mut self, frame: SseEvent, seq: Option<u64>) -> Result<(), End> {
        match self.tx.try_send(frame) {
            Ok(()) => {}
            Err(TrySendError::Closed(_)) => return Err(End::Closed),
            Err(TrySendError::Full(frame)) => {
                match self.tx.send_timeout(frame, self.slow_after).await {
                    Ok(()) => {}
                    Err(SendTimeoutError::Closed(_)) => return Err(End::Closed),
                    Err(SendTimeoutError::Timeout(_)) => return Err(End::Slow),
                }
            }
        }
        if let Some(seq) = seq {
            self.last_seq = seq;
        }
        Ok(())
    }

    /// Resolves when the client has gone away.
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    /// Ends the stream with `event: dropped` after what is already queued.
    pub fn drop_slow(mut self) {
        let data = serde_json::json!({ "reason": "slow_consumer", "lastSeq": self.last_seq });
        if let Some(last) = self.last.take() {
            let _ = last.send(SseEvent::default().event("dropped").data(data.to_string()));
        }
    }
}
