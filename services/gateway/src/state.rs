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
}

impl AppState {
    /// Sends a command to a service and returns its typed answer.
    pub async fn command<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        subject: &str,
        body: &Req,
    ) -> Result<Resp, BusError> {
        self.bus.request(subject, body, self.request_timeout).await
    }
}
