//! The runtime bridge: supervises `codex app-server`, serves `cm.v1.runtime.*` commands and
//! publishes every notification as a normalized event to `CM_EVENTS`. Server→client requests
//! are held open as pending requests until a decision arrives over the bus.

pub mod appserver;
mod capabilities;
mod commands;
mod config;
mod inflight;
mod instance;
mod normalize;
mod operator;
mod paths;
#[cfg(test)]
mod proptests;
pub mod protocol;
mod publisher;
mod respond;
mod supervisor;
mod tracker;
mod turns;

use cm_bus::Bus;
use cm_schemas::commands::runtime;
use cm_schemas::subjects::{prefix, service};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use config::{BridgeArgs, Config};
pub use normalize::normalize;

use supervisor::Runtime;

/// Runs the bridge until `shutdown` is cancelled.
pub async fn run(cfg: Config, bus: Bus, shutdown: CancellationToken) -> anyhow::Result<()> {
    cm_bus::ensure_events_stream(bus.jetstream(), &Default::default()).await?;
    let inflight = inflight::InFlight::open(bus.jetstream(), &cfg.bridge_id).await?;
    let (events_tx, events_rx) = mpsc::channel(4096);
    let publisher = tokio::spawn(publisher::publish_events(bus.clone(), events_rx));
    let runtime = Runtime::new(cfg, events_tx, Some(inflight));
    // Before taking commands: end what a previous run of this bridge left in flight.
    runtime.recover_leftovers().await;

    let svc = bus
        .start_service(
            service::RUNTIME_BRIDGE,
            "Codex Manager runtime bridge: codex app-server over the bus",
        )
        .await
        .map_err(|e| anyhow::anyhow!("service start: {e}"))?;
    let group = cm_bus::Group::new(&svc, prefix::RUNTIME, &bus);
    let mut tasks = JoinSet::new();
    let (g, t, rt) = (&group, &mut tasks, &runtime);
    g.endpoint(runtime::ThreadStart, t, rt, commands::thread_start)
        .await?;
    g.endpoint(runtime::TurnStart, t, rt, commands::turn_start)
        .await?;
    g.endpoint(runtime::TurnSteer, t, rt, turns::steer).await?;
    g.endpoint(runtime::TurnInterrupt, t, rt, turns::interrupt)
        .await?;
    g.endpoint(runtime::ThreadOp, t, rt, turns::thread_op)
        .await?;
    g.endpoint(runtime::ThreadList, t, rt, turns::thread_list)
        .await?;
    g.endpoint(runtime::RequestRespond, t, rt, respond::respond)
        .await?;
    g.endpoint(runtime::Call, t, rt, operator::call).await?;
    g.endpoint(runtime::Status, t, rt, commands::status).await?;

    runtime.clone().supervise(shutdown.clone()).await;
    // Stop taking commands, then let queued events drain to JetStream.
    let _ = svc.stop().await;
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    drop(runtime);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), publisher).await;
    bus.close().await;
    Ok(())
}
