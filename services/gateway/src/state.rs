//! What every handler shares.

use std::time::Duration;

use cm_bus::Bus;
use cm_schemas::BusError;
use cm_schemas::commands::Command;

#[derive(Clone)]
pub struct AppState {
    pub bus: Bus,
    pub request_timeout: Duration,
    /// Cancelled on shutdown: open SSE streams end so the server can drain.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Settings and subscriber slots of the event streams.
    pub streams: crate::streams::Streams,
}

impl AppState {
    /// Sends command `C` of the table ([`cm_schemas::commands`]) and returns its typed answer.
    pub async fn call<C: Command>(&self, body: &C::Request) -> Result<C::Response, BusError> {
        // Fail fast rather than wait out the time-out while the bus is down.
        if !self.bus.is_connected() {
            return Err(BusError::unavailable(
                "nats",
                "the message bus (NATS) is not connected",
            ));
        }
        self.bus.call::<C>(body, self.request_timeout).await
    }
}
