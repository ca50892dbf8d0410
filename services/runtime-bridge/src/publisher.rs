//! Publishes the bridge's events in order: one task, one event at a time, retried until
//! JetStream stores it (the event id makes a retry harmless), so a NATS blip delays events but
//! never reorders or drops them. An event larger than a NATS message goes through the blob
//! store (`cm_bus::blobs`); only an event that cannot be encoded at all, which no retry would
//! change, is dropped, with an error, so it never holds up the events behind it.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use cm_bus::{Bus, PublishError};
use cm_schemas::Event;
use tokio::sync::mpsc;

/// No limit on attempts: giving up would drop the event and reorder the ones behind it.
const RETRY: ExponentialBuilder = ExponentialBuilder::new()
    .with_min_delay(Duration::from_millis(100))
    .with_max_delay(Duration::from_secs(5))
    .without_max_times();

pub async fn publish_events(bus: Bus, mut rx: mpsc::Receiver<Event>) {
    while let Some(event) = rx.recv().await {
        let stored = (|| bus.publish_event(&event))
            .retry(RETRY)
            .when(|e| !matches!(e, PublishError::Encode(_)))
            .notify(|e, _| {
                tracing::warn!(error = %e, kind = event.body.kind(), "event not stored yet; retrying");
            })
            .await;
        // Retries never run out, so only an encoding error ends up here.
        if let Err(e) = stored {
            tracing::error!(error = %e, kind = event.body.kind(), "event dropped: it cannot be encoded");
        }
    }
}
