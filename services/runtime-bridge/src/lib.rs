//! The runtime bridge: supervises `codex app-server`, serves `cm.v1.runtime.*` commands and
//! publishes every notification as a normalized event to `CM_EVENTS`.

pub mod appserver;
mod commands;
mod config;
mod normalize;
mod publisher;
mod supervisor;

use std::sync::Arc;

use cm_bus::{Bus, serve_endpoint};
use cm_schemas::subjects::{prefix, service, verb};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use normalize::normalize;

/// Runs the bridge until `shutdown` is cancelled.
pub async fn run(cfg: Config, bus: Bus, shutdown: CancellationToken) -> anyhow::Result<()> {
    use async_nats::service::ServiceExt;

    cm_bus::ensure_events_stream(bus.jetstream(), &Default::default()).await?;
    let (events_tx, events_rx) = mpsc::channel(4096);
    let publisher = tokio::spawn(publisher::publish_events(bus.clone(), events_rx));
    let runtime = supervisor::Runtime::new(cfg, events_tx);

    let svc = bus
        .client()
        .service_builder()
        .description("Codex Manager runtime bridge: codex app-server over the bus")
        .start(service::RUNTIME_BRIDGE, env!("CARGO_PKG_VERSION"))
        .await
        .map_err(|e| anyhow::anyhow!("service start: {e}"))?;
    let group = svc.group(prefix::RUNTIME);
    let ep = |v: &'static str| {
        let group = &group;
        async move {
            group
                .endpoint(v)
                .await
                .map_err(|e| anyhow::anyhow!("endpoint {v}: {e}"))
        }
    };
    let (thread_start, turn_start, status) = (
        ep(verb::THREAD_START).await?,
        ep(verb::TURN_START).await?,
        ep(verb::STATUS).await?,
    );

    let rt = runtime.clone();
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(serve_endpoint(thread_start, move |r| {
        commands::thread_start(rt.clone(), r)
    }));
    let rt = runtime.clone();
    tasks.spawn(serve_endpoint(turn_start, move |r| {
        commands::turn_start(rt.clone(), r)
    }));
    let rt = runtime.clone();
    tasks.spawn(serve_endpoint(status, move |r| {
        commands::status(rt.clone(), r)
    }));

    runtime.clone().supervise(shutdown.clone()).await;
    // Stop taking commands, then let queued events drain to JetStream.
    let _ = svc.stop().await;
    tasks.abort_all();
    drop(runtime);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), publisher).await;
    Ok(())
}

/// Shared state handle for tests that want to look inside.
pub type RuntimeHandle = Arc<supervisor::Runtime>;
