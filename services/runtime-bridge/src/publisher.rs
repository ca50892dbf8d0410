//! Publishes the bridge's events in order: one task, one event at a time, retried until
//! JetStream stores it (the event id makes a retry harmless), so a NATS blip delays events but
//! never reorders or drops them. An event larger than a NATS message goes through the blob
//! store (`cm_bus::blobs`); only an event that cannot be encoded at all, which no retry would
//! change, is dropped, with an error, so it never holds up the events behind it.

use std::time::Duration;

use cm_bus::Bus;
use cm_schemas::Event;
use tokio::sync::mpsc;

pub async fn publish_events(bus: Bus, mut rx: mpsc::Receiver<Event>) {
    while let Some(event) = rx.recv().await {
        let mut delay = Duration::from_millis(100);
        loop {
            match bus.publish_event(&event).await {
                Ok(_) => break,
                Err(e @ cm_bus::PublishError::Encode(_)) => {
                    tracing::error!(error = %e, kind = event.body.kind(), "event dropped: it cannot be encoded");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, kind = event.body.kind(), "event not stored yet; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
