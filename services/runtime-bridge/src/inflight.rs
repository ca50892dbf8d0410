//! Durable memory of what a bridge had in flight, so that a bridge that was killed can, when it
//! starts again, end its turns and expire its requests exactly as if it had seen the runtime
//! exit.
//!
//! It is a key-value map kept in a JetStream stream with one message per subject (what the KV
//! API does; its bucket calls do not parse nats-server 2.9's replies, so the stream is used
//! directly). Subjects: `cm.v1.bridge.<bridge>.turn.<thread>` → turn id and
//! `cm.v1.bridge.<bridge>.req.<request>` → session id; an empty message deletes.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;

pub const STREAM: &str = cm_schemas::subjects::BRIDGE_STATE_STREAM;
const SUBJECTS: &str = cm_schemas::subjects::BRIDGE_STATE_SUBJECTS;

#[derive(Clone)]
pub struct InFlight {
    js: jetstream::Context,
    prefix: String,
}

/// What a previous incarnation of this bridge left behind.
#[derive(Debug, Default)]
pub struct Leftovers {
    /// (thread id, turn id)
    pub turns: Vec<(String, String)>,
    /// (request id, session id)
    pub requests: Vec<(String, String)>,
}

impl InFlight {
    pub async fn open(js: &jetstream::Context, bridge_id: &str) -> anyhow::Result<Self> {
        js.get_or_create_stream(stream::Config {
            name: STREAM.to_owned(),
            subjects: vec![SUBJECTS.to_owned()],
            description: Some("runtime bridges: turns and requests in flight".to_owned()),
            max_messages_per_subject: 1,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await?;
        Ok(Self {
            js: js.clone(),
            prefix: format!("cm.v1.bridge.{}", token(bridge_id)),
        })
    }

    pub async fn turn_started(&self, thread_id: &str, turn_id: &str) {
        self.put(
            format!("{}.turn.{}", self.prefix, token(thread_id)),
            turn_id,
        )
        .await;
    }

    pub async fn turn_ended(&self, thread_id: &str) {
        self.put(format!("{}.turn.{}", self.prefix, token(thread_id)), "")
            .await;
    }

    pub async fn request_opened(&self, request_id: &str, session_id: &str) {
        self.put(
            format!("{}.req.{}", self.prefix, token(request_id)),
            session_id,
        )
        .await;
    }

    pub async fn request_ended(&self, request_id: &str) {
        self.put(format!("{}.req.{}", self.prefix, token(request_id)), "")
            .await;
    }

    /// Reads and clears what this bridge id left behind.
    pub async fn take_leftovers(&self) -> anyhow::Result<Leftovers> {
        let mut out = Leftovers::default();
        let stream = self.js.get_stream(STREAM).await?;
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: format!("{}.>", self.prefix),
                deliver_policy: consumer::DeliverPolicy::LastPerSubject,
                ..Default::default()
            })
            .await?;
        let mut messages = consumer.messages().await?;
        let mut live = Vec::new();
        loop {
            // The last message says how many are still pending; an empty stream sends none.
            let next = tokio::time::timeout(Duration::from_millis(500), messages.next()).await;
            let Ok(Some(msg)) = next else { break };
            let msg = msg?;
            let pending = msg.info().map(|i| i.pending).unwrap_or(0);
            if !msg.payload.is_empty() {
                live.push((
                    msg.subject.to_string(),
                    String::from_utf8_lossy(&msg.payload).into_owned(),
                ));
            }
            if pending == 0 {
                break;
            }
        }
        for (subject, value) in live {
            let rest = subject
                .strip_prefix(&format!("{}.", self.prefix))
                .unwrap_or_default();
            if let Some(thread) = rest.strip_prefix("turn.") {
                out.turns.push((thread.to_owned(), value));
            } else if let Some(req) = rest.strip_prefix("req.") {
                out.requests.push((req.to_owned(), value));
            }
            self.put(subject, "").await;
        }
        Ok(out)
    }

    async fn put(&self, subject: String, value: &str) {
        let stored = async {
            self.js
                .publish(subject.clone(), value.to_owned().into())
                .await?
                .await
        };
        if let Err(e) = stored.await {
            tracing::warn!(%subject, error = %e, "could not record in-flight state");
        }
    }
}

/// Ids become single subject tokens; they are UUIDs today, this keeps it so.
fn token(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
