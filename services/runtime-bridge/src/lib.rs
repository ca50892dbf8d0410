//! The runtime bridge: supervises `codex app-server`, serves `cm.v1.runtime.*` commands and
//! publishes every notification as a normalized event to `CM_EVENTS`. Server→client requests
//! are held open as pending requests until a decision arrives over the bus.

pub mod appserver;
mod capabilities;
mod commands;
mod config;
mod inflight;
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

use cm_bus::{Bus, spawn_endpoint};
use cm_schemas::subjects::{prefix, service, verb};
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
    let rt = &runtime;
    spawn_endpoint(
        &group,
        &mut tasks,
        verb::THREAD_START,
        rt,
        commands::thread_start,
    )
    .await
    .map_err(endpoint_error)?;
    spawn_endpoint(
        &group,
        &mut tasks,
        verb::TURN_START,
        rt,
        commands::turn_start,
    )
    .await
    .map_err(endpoint_error)?;
    spawn_endpoint(&group, &mut tasks, verb::TURN_STEER, rt, turns::steer)
        .await
        .map_err(endpoint_error)?;
    spawn_endpoint(
        &group,
        &mut tasks,
        verb::TURN_INTERRUPT,
        rt,
        turns::interrupt,
    )
    .await
    .map_err(endpoint_error)?;
    spawn_endpoint(&group, &mut tasks, verb::THREAD_OP, rt, turns::thread_op)
        .await
        .map_err(endpoint_error)?;
    spawn_endpoint(
        &group,
        &mut tasks,
        verb::THREAD_LIST,
        rt,
        turns::thread_list,
    )
    .await
    .map_err(endpoint_error)?;
    spawn_endpoint(
        &group,
        &mut tasks,
        verb::REQUEST_RESPOND,
        rt,
        respond::respond,
    )
    .await
    .map_err(endpoint_error)?;
    spawn_endpoint(&group, &mut tasks, verb::RUNTIME_CALL, rt, operator::call)
        .await
        .map_err(endpoint_error)?;
    spawn_endpoint(&group, &mut tasks, verb::STATUS, rt, commands::status)
        .await
        .map_err(endpoint_error)?;

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

fn endpoint_error(e: async_nats::Error) -> anyhow::Error {
    anyhow::anyhow!("endpoint: {e}")
}
