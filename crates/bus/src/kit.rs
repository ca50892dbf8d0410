//! The service kit: what every service's `main` does around its own `run`, in one order —
//! telemetry from the common flags, then the service's own configuration, then the NATS
//! connection, then `run` with a token cancelled by SIGINT/SIGTERM ([`crate::cancel_on_signal`]).
//! The telemetry guard lives until `run` returns, so the last spans and metrics are flushed.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use crate::{Bus, ServiceArgs};

/// A service binary between starting its telemetry and running: build the service's config in
/// between (its errors are then logged), and finish with [`Kit::run`].
pub struct Kit {
    name: &'static str,
    common: ServiceArgs,
    _telemetry: cm_telemetry::TelemetryGuard,
}

impl Kit {
    /// Starts telemetry for service `name` (also its NATS connection name) at `version`.
    pub fn start(
        name: &'static str,
        version: &'static str,
        common: &ServiceArgs,
    ) -> anyhow::Result<Self> {
        let telemetry = cm_telemetry::init(name, version, &common.telemetry())?;
        Ok(Self {
            name,
            common: common.clone(),
            _telemetry: telemetry,
        })
    }

    /// Connects to NATS, then runs `run` until it returns; the shutdown token it gets is
    /// cancelled on SIGINT or SIGTERM.
    pub async fn run<F, Fut>(self, run: F) -> anyhow::Result<()>
    where
        F: FnOnce(Bus, CancellationToken) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let bus = self.common.connect(self.name).await?;
        let result = run(bus, crate::cancel_on_signal()).await;
        drop(self);
        result
    }
}
