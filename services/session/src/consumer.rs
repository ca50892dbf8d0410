//! The durable consumer that applies `CM_EVENTS` to Postgres.
//!
//! One message is in flight at a time (`max_ack_pending = 1`), so events are applied in stream
//! order and a session's `last_seq` always means "everything up to here". A message is acked only
//! after its transaction commits; on a database failure it is nak'ed with a delay and redelivered
//! before anything after it. A restart resumes the durable consumer where it stopped.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull};
use cm_schemas::{Event, subjects};
use deadpool_postgres::Pool;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::apply::{Applied, apply};

pub const DURABLE_NAME: &str = "session-apply";

/// Consumes until `shutdown` is cancelled; reconnects the message stream on errors.
pub async fn run(js: jetstream::Context, pool: Pool, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Err(e) = consume(&js, &pool, &shutdown).await {
            tracing::warn!(error = %e, "event consumer interrupted; resuming");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }
}

async fn consume(
    js: &jetstream::Context,
    pool: &Pool,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let stream = js.get_stream(subjects::EVENTS_STREAM).await?;
    let consumer = stream
        .get_or_create_consumer(
            DURABLE_NAME,
            pull::Config {
                durable_name: Some(DURABLE_NAME.to_owned()),
                description: Some("session service: applies events to Postgres".to_owned()),
                filter_subject: subjects::EVENTS_SUBJECTS.to_owned(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                max_ack_pending: 1,
                ..Default::default()
            },
        )
        .await?;
    let mut messages = consumer.messages().await?;
    loop {
        let msg = tokio::select! {
            m = messages.next() => m,
            _ = shutdown.cancelled() => return Ok(()),
        };
        let Some(msg) = msg else { return Ok(()) };
        let msg = msg?;
        let seq = msg
            .info()
            .map(|i| i.stream_sequence)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let event: Event = match serde_json::from_slice(&msg.payload) {
            Ok(ev) => ev,
            Err(e) => {
                // A message that will never parse must not block the stream behind it.
                tracing::error!(seq, error = %e, subject = %msg.subject, "malformed event skipped");
                msg.ack_with(AckKind::Term)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                continue;
            }
        };
        let span = tracing::debug_span!("session.apply", seq, kind = event.body.kind(), session.id = %event.scope_id);
        cm_telemetry::set_parent_from(&span, msg.headers.as_ref());
        match apply_one(pool, seq, &event).instrument(span).await {
            Ok(applied) => {
                if applied == Applied::Duplicate {
                    tracing::debug!(seq, "event already applied");
                }
                msg.double_ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            Err(e) => {
                tracing::warn!(seq, error = %e, "event not applied; will be redelivered");
                msg.ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
    }
}

async fn apply_one(pool: &Pool, seq: u64, event: &Event) -> anyhow::Result<Applied> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let applied = apply(&tx, seq, event).await?;
    tx.commit().await?;
    Ok(applied)
}
