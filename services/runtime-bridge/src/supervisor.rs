//! Keeps one app-server alive: spawn, `initialize`/`initialized`, pump what it sends onto the
//! bus, and on exit end in-flight turns deterministically, then respawn with bounded
//! exponential back-off and jitter.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use cm_schemas::event::TurnStatus;
use cm_schemas::runtime::{RuntimeExit, RuntimeStatus};
use cm_schemas::{Event, EventBody, Scope};
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::appserver::{AppServer, Incoming};
use crate::config::Config;
use crate::normalize::normalize;

/// One initialized app-server process and the threads it has loaded.
pub struct Instance {
    pub server: Arc<AppServer>,
    pub user_agent: Option<String>,
    loaded: Mutex<HashSet<String>>,
}

impl Instance {
    pub fn is_loaded(&self, thread_id: &str) -> bool {
        self.loaded
            .lock()
            .map(|l| l.contains(thread_id))
            .unwrap_or(false)
    }

    pub fn mark_loaded(&self, thread_id: &str) {
        if let Ok(mut l) = self.loaded.lock() {
            l.insert(thread_id.to_owned());
        }
    }
}

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
    /// Turns the runtime is running, by thread: ended for the runtime if it exits.
    active_turns: Mutex<HashMap<String, String>>,
    events: mpsc::Sender<Event>,
}

impl Runtime {
    pub fn new(cfg: Config, events: mpsc::Sender<Event>) -> Arc<Self> {
        let (current, _) = watch::channel(None);
        Arc::new(Self {
            cfg,
            current,
            counters: Mutex::default(),
            active_turns: Mutex::default(),
            events,
        })
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
            user_agent: current.and_then(|i| i.user_agent.clone()),
        }
    }

    pub fn turn_started(&self, thread_id: &str, turn_id: &str) {
        if let Ok(mut t) = self.active_turns.lock() {
            t.insert(thread_id.to_owned(), turn_id.to_owned());
        }
    }

    fn turn_ended(&self, thread_id: &str) {
        if let Ok(mut t) = self.active_turns.lock() {
            t.remove(thread_id);
        }
    }

    async fn emit(&self, event: Event) {
        if self.events.send(event).await.is_err() {
            tracing::warn!("event publisher is gone; event dropped");
        }
    }

    /// Runs until `shutdown` is cancelled.
    pub async fn supervise(self: Arc<Self>, shutdown: CancellationToken) {
        let mut failures: u32 = 0;
        while !shutdown.is_cancelled() {
            let started = Instant::now();
            match self.run_once(&shutdown).await {
                Ok(()) => {}
                Err(e) => tracing::error!(error = %e, "app-server failed to start"),
            }
            if shutdown.is_cancelled() {
                break;
            }
            // A process that stayed up a while earns a fresh back-off.
            if started.elapsed() > Duration::from_secs(30) {
                failures = 0;
            }
            let delay = backoff(&self.cfg, failures);
            failures = failures.saturating_add(1);
            tracing::info!(delay_ms = delay.as_millis() as u64, "respawning app-server");
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }

    /// One process lifetime: spawn, initialize, pump until it exits or we shut down.
    async fn run_once(&self, shutdown: &CancellationToken) -> Result<(), String> {
        let (server, mut incoming) = AppServer::spawn(&self.cfg.spawn)
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
        let instance = Arc::new(Instance {
            server: server.clone(),
            user_agent,
            loaded: Mutex::default(),
        });
        self.current.send_replace(Some(instance));
        tracing::info!(?pid, "app-server initialized");

        let status = loop {
            tokio::select! {
                msg = incoming.recv() => match msg {
                    Some(Incoming::Notification { method, params }) => self.on_notification(&method, &params).await,
                    Some(Incoming::Request { id, method, params }) => self.on_server_request(&server, id, &method, params).await,
                    Some(Incoming::Exited(status)) => break status,
                    None => break None,
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
        self.end_in_flight_turns().await;
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

    async fn on_notification(&self, method: &str, params: &Value) {
        let event = normalize(&self.cfg.bridge_id, method, params);
        match &event.body {
            EventBody::TurnStarted { turn_id } => self.turn_started(&event.scope_id, turn_id),
            EventBody::TurnCompleted { .. } => self.turn_ended(&event.scope_id),
            _ => {}
        }
        self.emit(event).await;
    }

    /// Server→client requests are not decided by this version of the bridge: answer with a
    /// JSON-RPC error at once so the runtime never waits, and surface the request as an event.
    async fn on_server_request(&self, server: &AppServer, id: Value, method: &str, params: Value) {
        tracing::warn!(method, "server request not handled by this bridge version");
        let reply = server
            .respond(
                id.clone(),
                Err((
                    -32601,
                    format!("codex-manager does not handle {method} yet"),
                )),
            )
            .await;
        if let Err(e) = reply {
            tracing::warn!(error = %e, "could not answer server request");
        }
        let raw = json!({ "id": id, "method": method, "params": params });
        let mut event = normalize(&self.cfg.bridge_id, method, &params);
        event.raw = Some(raw);
        self.emit(event).await;
    }

    /// The runtime is gone: every turn it was running ends now, as failed.
    async fn end_in_flight_turns(&self) {
        let turns: Vec<(String, String)> = match self.active_turns.lock() {
            Ok(mut t) => t.drain().collect(),
            Err(_) => Vec::new(),
        };
        for (thread_id, turn_id) in turns {
            let body = EventBody::TurnCompleted {
                turn_id,
                status: TurnStatus::Failed,
                reason: Some("runtime_exited".to_owned()),
                error: None,
            };
            self.emit(Event::new(Scope::Session, thread_id, body)).await;
        }
    }
}

fn initialize_params() -> Value {
    json!({
        "clientInfo": { "name": "codex-manager", "title": "Codex Manager", "version": env!("CARGO_PKG_VERSION") },
        "capabilities": { "experimentalApi": true }
    })
}

/// Exponential back-off from `backoff_initial`, capped at `backoff_max`, with up to 25 % jitter
/// so a fleet of bridges does not respawn in lock-step.
fn backoff(cfg: &Config, failures: u32) -> Duration {
    let exp = cfg
        .backoff_initial
        .saturating_mul(2u32.saturating_pow(failures.min(16)));
    let base = exp.min(cfg.backoff_max);
    let jitter = rand::rng().random_range(0.0..0.25);
    base.mul_f64(1.0 + jitter).min(cfg.backoff_max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appserver::SpawnConfig;

    #[test]
    fn backoff_grows_and_is_capped() {
        let spawn = SpawnConfig {
            bin: "codex".into(),
            codex_home: None,
            args: vec![],
            env: vec![],
        };
        let cfg = Config::new(spawn, "/".into());
        let first = backoff(&cfg, 0);
        assert!(first >= cfg.backoff_initial && first <= cfg.backoff_initial.mul_f64(1.25));
        assert!(backoff(&cfg, 3) >= cfg.backoff_initial * 8);
        assert!(backoff(&cfg, 40) <= cfg.backoff_max);
    }
}
