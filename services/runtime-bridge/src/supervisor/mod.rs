//! Keeps one app-server alive: spawn, `initialize`/`initialized`, pump what it sends onto the
//! bus, and on exit end in-flight turns deterministically (`recovery`), then respawn with
//! bounded exponential back-off and jitter (`respawn`). What the runtime sends is handled in
//! `events` (notifications) and `requests` (server→client requests held for a decision).

mod events;
mod recovery;
mod requests;
mod respawn;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use cm_schemas::Event;
use cm_schemas::runtime::{RuntimeExit, RuntimeStatus};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::appserver::{AppServer, Incoming};
use crate::capabilities;
use crate::config::Config;
use crate::inflight::InFlight;
use crate::instance::Instance;
use crate::tracker::Tracker;

#[derive(Default)]
struct Counters {
    restarts: u32,
    last_exit: Option<RuntimeExit>,
}

/// Shared state between the supervisor loop and the command handlers.
pub struct Runtime {
    pub cfg: Config,
    current: watch::Sender<Option<Arc<Instance>>>,
    counters: Mutex<Counters>,
    /// Turns, open items and held requests of the running process.
    pub tracker: Mutex<Tracker>,
    /// The same, durably, for a restart of the bridge itself.
    pub inflight: Option<InFlight>,
    /// Held while one runtime message is turned into events, and while a response is written:
    /// events reach the bus in the order the runtime could observe them.
    pub order: tokio::sync::Mutex<()>,
    events: mpsc::Sender<Event>,
    /// `cm_runtime_bridge_lines_skipped`: runtime lines over `max_line_bytes`, by stream.
    lines_skipped: opentelemetry::metrics::Counter<u64>,
}

impl Runtime {
    pub fn new(cfg: Config, events: mpsc::Sender<Event>, inflight: Option<InFlight>) -> Arc<Self> {
        let (current, _) = watch::channel(None);
        Arc::new(Self {
            cfg,
            current,
            counters: Mutex::default(),
            tracker: Mutex::default(),
            inflight,
            order: tokio::sync::Mutex::new(()),
            events,
            lines_skipped: cm_telemetry::meter("cm-runtime-bridge")
                .u64_counter("cm_runtime_bridge_lines_skipped")
                .with_description("Lines from codex app-server over the length limit, skipped")
                .build(),
        })
    }

    /// The running instance, if any, without waiting.
    pub fn current(&self) -> Option<Arc<Instance>> {
        self.current.borrow().clone()
    }

    /// The running instance, waiting up to `wait` for one to come up.
    pub async fn instance(&self, wait: Duration) -> Option<Arc<Instance>> {
        let mut rx = self.current.subscribe();
        let ready = tokio::time::timeout(wait, rx.wait_for(Option::is_some)).await;
        match ready {
            Ok(Ok(v)) => v.clone(),
            _ => None,
        }
    }

    pub fn status(&self) -> RuntimeStatus {
        let current = self.current.borrow().clone();
        let counters = self.counters.lock();
        let (restarts, last_exit) = counters
            .map(|c| (c.restarts, c.last_exit.clone()))
            .unwrap_or_default();
        RuntimeStatus {
            bridge_id: self.cfg.bridge_id.clone(),
            pid: current.as_ref().and_then(|i| i.server.pid()),
            initialized: current.is_some(),
            restarts,
            last_exit,
            capabilities: current
                .as_ref()
                .map(|i| i.capabilities.clone())
                .unwrap_or_default(),
            user_agent: current.and_then(|i| i.user_agent.clone()),
        }
    }

    /// Records a turn the runtime accepted (from `turn/start`'s answer or `turn/started`).
    pub async fn turn_started(&self, thread_id: &str, turn_id: &str) {
        if let Ok(mut t) = self.tracker.lock() {
            t.turn_started(thread_id, turn_id);
        }
        if let Some(f) = &self.inflight {
            f.turn_started(thread_id, turn_id).await;
        }
    }

    pub async fn emit(&self, event: Event) {
        if self.events.send(event).await.is_err() {
            tracing::warn!("event publisher is gone; event dropped");
        }
    }

    /// One process lifetime: spawn, initialize, pump until it exits or we shut down.
    async fn run_once(&self, shutdown: &CancellationToken) -> Result<(), String> {
        let (server, mut incoming) = AppServer::spawn(&self.cfg.spawn, self.cfg.max_line_bytes)
            .map_err(|e| format!("spawn {:?}: {e}", self.cfg.spawn.bin))?;
        let pid = server.pid();
        tracing::info!(?pid, "app-server spawned");
        let init = server
            .call("initialize", initialize_params(), self.cfg.call_timeout)
            .await;
        let user_agent = match init {
            Ok(result) => result
                .get("userAgent")
                .and_then(Value::as_str)
                .map(str::to_owned),
            Err(e) => {
                server.kill().await;
                self.record_exit(None);
                return Err(format!("initialize: {e}"));
            }
        };
        server
            .notify("initialized", json!({}))
            .await
            .map_err(|e| e.to_string())?;
        let capabilities = capabilities::probe(&server, capabilities::PROBE_TIMEOUT).await;
        let instance = Arc::new(Instance::new(server.clone(), user_agent, capabilities));
        self.current.send_replace(Some(instance.clone()));
        tracing::info!(?pid, "app-server initialized");

        let status = loop {
            tokio::select! {
                msg = incoming.recv() => {
                    let _order = self.order.lock().await;
                    match msg {
                        Some(Incoming::Notification { method, params }) => self.on_notification(&instance, &method, &params).await,
                        Some(Incoming::Request { id, method, params }) => self.on_server_request(&instance, id, &method, params).await,
                        Some(skipped @ Incoming::LineSkipped { .. }) => self.on_line_skipped(skipped).await,
                        Some(Incoming::Exited(status)) => break status,
                        None => break None,
                    }
                },
                _ = shutdown.cancelled() => {
                    self.current.send_replace(None);
                    server.shutdown(Duration::from_secs(2)).await;
                    return Ok(());
                }
            }
        };
        self.current.send_replace(None);
        tracing::warn!(?pid, ?status, "app-server exited");
        self.record_exit(status);
        let _order = self.order.lock().await;
        self.end_everything("runtime_exited").await;
        Ok(())
    }

    fn record_exit(&self, status: Option<std::process::ExitStatus>) {
        use std::os::unix::process::ExitStatusExt;
        if let Ok(mut c) = self.counters.lock() {
            c.restarts += 1;
            c.last_exit = Some(RuntimeExit {
                at: Utc::now(),
                code: status.and_then(|s| s.code()),
                signal: status.and_then(|s| s.signal()),
            });
        }
    }
}

fn initialize_params() -> Value {
    json!({
        "clientInfo": { "name": "codex-manager", "title": "Codex Manager", "version": env!("CARGO_PKG_VERSION") },
        "capabilities": { "experimentalApi": true }
    })
}
