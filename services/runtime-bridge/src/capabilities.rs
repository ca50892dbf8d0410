//! The capability probe: right after `initialize`, ask the runtime which read-only operator
//! methods it implements, so `cm.v1.runtime.status` can tell clients what to offer.
//!
//! Every method in [`PROBE_METHODS`] is free of side effects and accepts `{}` as params. They are
//! called concurrently, each with the given time-out, so the probe delays readiness by at most
//! that much and never fails start-up. A method counts as a capability when the runtime answered
//! it with anything but "method not found": an error such as "authentication required" still
//! means the runtime implements it. A time-out means "unknown" and is left out.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;

use crate::appserver::{AppServer, RpcError};

/// The time-out of each probe call (they run concurrently).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Side-effect-free operator methods probed after `initialize`.
pub const PROBE_METHODS: &[&str] = &[
    "model/list",
    "account/read",
    "config/read",
    "configRequirements/read",
    "mcpServerStatus/list",
    "skills/list",
    "app/list",
    "experimentalFeature/list",
    "account/rateLimits/read",
];

/// The probed methods the runtime implements, in [`PROBE_METHODS`] order.
pub async fn probe(server: &AppServer, timeout: Duration) -> Vec<String> {
    let started = Instant::now();
    let answers = join_all(PROBE_METHODS.iter().map(|&method| async move {
        let answer = server.call(method, json!({}), timeout).await;
        (method, answer)
    }))
    .await;
    let mut capabilities = Vec::new();
    for (method, answer) in answers {
        match answer {
            Ok(_) => capabilities.push(method.to_owned()),
            Err(e) if e.is_method_not_found() => tracing::info!(method, "runtime lacks method"),
            Err(e @ RpcError::Server { .. }) => {
                tracing::debug!(method, error = %e, "probe answered with an error");
                capabilities.push(method.to_owned());
            }
            Err(e) => tracing::info!(method, error = %e, "probe got no answer"),
        }
    }
    tracing::info!(
        ?capabilities,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "capability probe done"
    );
    capabilities
}
