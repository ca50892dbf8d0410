//! The durable consumer that applies `CM_EVENTS` to Postgres.
//!
//! One message is in flight at a time (`max_ack_pending = 1`), so events are applied in stream
//! order and a session's `last_seq` always means "everything up to here". A message is acked only
//! after its transaction commits. When Postgres is unreachable the message is nak'ed and retried
//! for as long as it takes (nothing is lost; readiness says Postgres is down). When Postgres
//! refuses the event itself (a data error, the same on every try) it is retried with back-off
//! [`MAX_ATTEMPTS`] times and then moved to `session.dead_letters` ([`dead_letter`]), so one
//! poison event never stops the events behind it. Every string is stored with U+0000 replaced
//! (`cm_schemas::text`). A restart resumes the durable consumer where it stopped.

mod dead_letter;
mod health;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull};
use cm_bus::{Bus, ReadEventError};
use cm_schemas::health::{ConsumerStatus, GetConsumerStatus};
use cm_schemas::{BusError, Event, subjects};
use deadpool_postgres::Pool;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::apply::{Applied, apply};
use crate::db::{self, DbError};
pub use health::ConsumerHealth;

pub const DURABLE_NAME: &str = subjects::SESSION_CONSUMER;

/// Deliveries of one event that Postgres refuses before it is dead-lettered.
pub const MAX_APPLY_ATTEMPTS: i64 = 5;

/// What the status command needs.
pub struct StatusCtx {
    pub bus: Bus,
    pub pool: Pool,
    pub health: Arc<ConsumerHealth>,
}

/// Consumes until `shutdown` is cancelled; reconnects the message stream on errors.
pub async fn run(bus: Bus, pool: Pool, health: Arc<ConsumerHealth>, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        let result = consume(&bus, &pool, &health, &shutdown).await;
        health.consuming(false);
        if let Err(e) = result {
            tracing::warn!(error = %e, "event consumer interrupted; resuming");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }
}

async fn consumer(js: &jetstream::Context) -> anyhow::Result<jetstream::consumer::PullConsumer> {
    let stream = js.get_stream(subjects::EVENTS_STREAM).await?;
    Ok(stream
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
        .await?)
}

async fn consume(
    bus: &Bus,
    pool: &Pool,
    health: &ConsumerHealth,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    // Heartbeats every 2 s: a pull request lost with a NATS restart is noticed within seconds,
    // not after the default 15 s heartbeat and 30 s expiry.
    let mut messages = consumer(bus.jetstream())
        .await?
        .stream()
        .expires(Duration::from_secs(10))
        .heartbeat(Duration::from_secs(2))
        .messages()
        .await?;
    health.consuming(true);
    loop {
        let msg = tokio::select! {
            m = messages.next() => m,
            _ = shutdown.cancelled() => return Ok(()),
        };
        let Some(msg) = msg else { return Ok(()) };
        let msg = msg?;
        let info = msg.info().map_err(|e| anyhow::anyhow!("{e}"))?;
        let (seq, delivered) = (info.stream_sequence, info.delivered);
        health.delivered(delivered);
        let step = step(bus, pool, health, &msg, seq, delivered).await;
        acknowledge(&msg, step).await?;
    }
}

/// Acks (or naks) `msg`, retrying for about 10 s: an ack lost with a NATS restart would leave
/// the applied event unacknowledged, and with one message in flight nothing else would arrive
/// until JetStream redelivers it after `ack_wait` (30 s). Acks are idempotent, and JetStream
/// keeps the delivery across the restart, so repeating one is safe.
async fn acknowledge(msg: &jetstream::Message, step: Step) -> anyhow::Result<()> {
    use backon::{ExponentialBuilder, Retryable};
    let ack = || async {
        match step {
            Step::Done => msg.double_ack().await,
            Step::Retry(delay) => msg.ack_with(AckKind::Nak(Some(delay))).await,
        }
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(2))
        .with_max_times(8);
    ack.retry(backoff)
        .notify(|e, pause| tracing::warn!(error = %e, ?pause, "event ack failed; retrying"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

#[derive(Clone, Copy)]
enum Step {
    Done,
    Retry(Duration),
}

/// Applies one message, or dead-letters it once it has failed for good.
async fn step(
    bus: &Bus,
    pool: &Pool,
    health: &ConsumerHealth,
    msg: &jetstream::Message,
    seq: u64,
    delivered: i64,
) -> Step {
    let event = match bus.read_event(msg.headers.as_ref(), &msg.payload).await {
        // Only a body that spells a NUL (`\u0000`) needs the scrub; a blob is checked always.
        Ok(event)
            if msg
                .headers
                .as_ref()
                .and_then(|h| h.get(cm_bus::BLOB_HEADER))
                .is_some()
                || msg.payload.windows(6).any(|w| w == b"\\u0000") =>
        {
            scrubbed(event)
        }
        Ok(event) => event,
        // A message that will never parse must not block the stream behind it.
        Err(ReadEventError::Malformed(e)) => {
            let error = format!("malformed event: {e}");
            return dead_letter_or_retry(bus, pool, health, msg, seq, delivered, None, &error)
                .await;
        }
        Err(e @ ReadEventError::Blob(_)) => {
            let error = e.to_string();
            tracing::warn!(seq, %error, "event body not readable yet");
            health.failed(seq, &error);
            if delivered >= MAX_APPLY_ATTEMPTS {
                return dead_letter_or_retry(bus, pool, health, msg, seq, delivered, None, &error)
                    .await;
            }
            return Step::Retry(backoff(delivered));
        }
    };
    let span = tracing::debug_span!("session.apply", seq, kind = event.body.kind(), session.id = %event.scope_id);
    cm_telemetry::set_parent_from(&span, msg.headers.as_ref());
    match apply_one(pool, seq, &event).instrument(span).await {
        Ok(Applied::Conflict { stored }) => {
            let error = format!(
                "sequence {seq} already holds event {stored} in Postgres, not {}: CM_EVENTS was \
                 recreated under this database (a lost or replaced NATS store)",
                event.id
            );
            tracing::error!(seq, %error, "event not applied: its sequence is taken");
            health.sequence_conflict(&error);
            dead_letter_or_retry(bus, pool, health, msg, seq, delivered, Some(&event), &error).await
        }
        Ok(applied) => {
            if applied == Applied::Duplicate {
                tracing::debug!(seq, "event already applied");
            }
            health.applied(seq);
            Step::Done
        }
        Err(e) if db::is_transient(&e) => {
            let error = db::describe(&e);
            tracing::warn!(seq, %error, "event not applied (database unreachable); will be redelivered");
            health.failed(seq, &error);
            Step::Retry(Duration::from_secs(1))
        }
        Err(e) => {
            let error = db::describe(&e);
            health.failed(seq, &error);
            if delivered < MAX_APPLY_ATTEMPTS {
                tracing::warn!(seq, attempt = delivered, %error, "event refused by the database; retrying");
                return Step::Retry(backoff(delivered));
            }
            dead_letter_or_retry(bus, pool, health, msg, seq, delivered, Some(&event), &error).await
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn dead_letter_or_retry(
    bus: &Bus,
    pool: &Pool,
    health: &ConsumerHealth,
    msg: &jetstream::Message,
    seq: u64,
    delivered: i64,
    event: Option<&Event>,
    error: &str,
) -> Step {
    match dead_letter::record(bus, pool, msg, seq, delivered, event, error).await {
        Ok(()) => {
            health.dead_lettered();
            Step::Done
        }
        Err(e) => {
            tracing::warn!(seq, error = %db::describe(&e), "dead letter not recorded; will be redelivered");
            Step::Retry(Duration::from_secs(1))
        }
    }
}

/// 100 ms, 200 ms, 400 ms, ... between the attempts of an event the database refuses.
fn backoff(delivered: i64) -> Duration {
    let exp = u32::try_from(delivered.clamp(1, 6) - 1).unwrap_or(0);
    Duration::from_millis(100 * 2u64.pow(exp))
}

/// `event` with every U+0000 replaced (Postgres `text` and `jsonb` cannot hold it).
fn scrubbed(event: Event) -> Event {
    let Ok(mut value) = serde_json::to_value(&event) else {
        return event;
    };
    if !cm_schemas::text::scrub_nul(&mut value) {
        return event;
    }
    serde_json::from_value(value).unwrap_or(event)
}

async fn apply_one(pool: &Pool, seq: u64, event: &Event) -> Result<Applied, DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let applied = apply(&tx, seq, event).await?;
    tx.commit().await?;
    Ok(applied)
}

/// `cm.v1.session.consumer.status`.
pub async fn status(
    ctx: Arc<StatusCtx>,
    _req: GetConsumerStatus,
) -> Result<ConsumerStatus, BusError> {
    let pending = match consumer(ctx.bus.jetstream()).await {
        Ok(mut c) => c.info().await.map(|i| i.num_pending).unwrap_or(0),
        Err(_) => 0,
    };
    let total = dead_letter::count(&ctx.pool).await.map_err(db::error)?;
    Ok(ctx.health.status(pending, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(3), Duration::from_millis(400));
        assert_eq!(backoff(99), Duration::from_millis(3200));
    }

    #[test]
    fn nul_is_replaced_everywhere_in_an_event() {
        let event = Event::session(
            "s\0",
            cm_schemas::EventBody::RuntimeWarning {
                message: "a\0b".into(),
            },
        )
        .with_raw(serde_json::json!({ "k\0": ["\0"] }));
        let clean = scrubbed(event);
        let text = serde_json::to_string(&clean).unwrap_or_default();
        assert!(!text.contains("\\u0000"), "{text}");
        assert_eq!(clean.scope_id, "s\u{FFFD}");
    }
}
