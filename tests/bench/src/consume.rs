//! The NATS half of the `apply` baseline: a durable pull consumer configured like the session
//! service's (explicit ack, `max_ack_pending = 1`, `double_ack` per message) that does no work,
//! on a private stream of the stack's nats-server so the session service never sees its
//! messages. It gives the floor of "one event at a time, acked before the next".

use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::{self, consumer::pull, stream};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

const STREAM: &str = "CM_BENCH_CONSUME";
const WINDOW: usize = 64;

/// Stores `n` copies of `payload`, then times consuming them one at a time.
pub async fn round(js: &jetstream::Context, payload: Bytes, n: usize) -> anyhow::Result<Duration> {
    let stream = js
        .get_or_create_stream(stream::Config {
            name: STREAM.to_owned(),
            subjects: vec!["cm.bench.consume.>".to_owned()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .context("creating the consume stream")?;
    stream.purge().await?;
    futures::stream::iter(0..n)
        .map(|_| async {
            js.publish("cm.bench.consume.x", payload.clone())
                .await?
                .await
        })
        .buffer_unordered(WINDOW)
        .try_collect::<Vec<_>>()
        .await?;
    let name = format!("bench-{}", uuid_ish());
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some(name.clone()),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_secs(30),
            max_ack_pending: 1,
            ..Default::default()
        })
        .await?;
    let t = Instant::now();
    let mut messages = consumer.messages().await?;
    for _ in 0..n {
        let msg = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .context("consumer stalled")?
            .context("consumer ended")?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // What the session service does with a message before its Postgres work.
        let _: cm_schemas::Event = serde_json::from_slice(&msg.payload)?;
        msg.double_ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let elapsed = t.elapsed();
    drop(messages);
    stream.delete_consumer(&name).await?;
    Ok(elapsed)
}

fn uuid_ish() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
