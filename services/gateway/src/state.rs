//! What every handler shares.

use std::time::Duration;

use cm_bus::Bus;
use cm_schemas::BusError;
use serde::{Serialize, de::DeserializeOwned};

#[derive(Clone)]
pub struct AppState {
    pub bus: Bus,
    pub request_timeout: Duration,
    /// Cancelled on shutdown: open SSE streams end so the server can drain.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Settings and subscriber slots of the event streams.
    pub streams: crate::routes::Streams,
}

impl AppState {
    /// Sends a command to a service and returns its typed answer.
    pub async fn command<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        subject: &str,
        body: &Req,
    ) -> Result<Resp, BusError> {
        // Fail fast rather than wait out the time-out while the bus is down.
        if !self.bus.is_connected() {
            return Err(BusError::unavailable(
                "nats",
                "the message bus (NATS) is not connected",
            ));
        }
        self.bus.request(subject, body, self.request_timeout).await
    }
}
