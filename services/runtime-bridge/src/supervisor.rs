//! Keeps one app-server alive: spawn, `initialize`/`initialized`, pump what it sends onto the
//! bus, and on exit end in-flight turns deterministically, then respawn with bounded
//! exponential back-off and jitter.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use cm_schemas::event::{DeltaStream, TurnStatus};
use cm_schemas::request::{PendingRequest, RequestKind, RequestOutcome};
use cm_schemas::runtime::{RuntimeExit, RuntimeStatus};
use cm_schemas::{Event, EventBody, Scope};
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::appserver::{AppServer, Incoming};
use crate::capabilities;
use crate::config::Config;
use crate::inflight::InFlight;
use crate::instance::Instance;
use crate::normalize::normalize;
use crate::tracker::{HeldRequest, OpenItem, Tracker};

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

    async fn on_notification(&self, instance: &Arc<Instance>, method: &str, params: &Value) {
        let event = normalize(&self.cfg.bridge_id, method, params);
        let thread = event.scope_id.clone();
        match &event.body {
            EventBody::TurnStarted { turn_id } => self.turn_started(&thread, turn_id).await,
            EventBody::ItemStarted {
                item_id,
                item_type,
                item,
                ..
            } => {
                if let Ok(mut t) = self.tracker.lock() {
                    let open = OpenItem {
                        item_id: item_id.clone(),
                        item_type: item_type.clone(),
                        item: item.clone(),
                        streamed: String::new(),
                    };
                    t.item_started(&thread, open);
                }
            }
            EventBody::ItemDelta {
                item_id,
                stream:
                    DeltaStream::Text | DeltaStream::CommandOutput | DeltaStream::ReasoningSummary,
                delta,
                ..
            } => {
                if let Ok(mut t) = self.tracker.lock() {
                    t.item_delta(&thread, item_id, delta);
                }
            }
            EventBody::ItemCompleted { item_id, .. } => {
                if let Ok(mut t) = self.tracker.lock() {
                    t.item_completed(&thread, item_id);
                }
            }
            EventBody::TurnCompleted { turn_id, .. } => {
                // Close what the runtime left open before the turn's end is published.
                self.end_turn(&thread, turn_id, "turn_completed").await;
            }
            _ => {}
        }
        if method == "serverRequest/resolved" {
            self.settled_by_runtime(instance, params).await;
        }
        self.emit(event).await;
    }

    /// A line over the length limit was skipped (and logged by the reader): count it and record
    /// it as a `runtime.error` on the session its first bytes name, else on the runtime.
    async fn on_line_skipped(&self, skipped: Incoming) {
        let Incoming::LineSkipped {
            stream,
            bytes,
            limit,
            thread_id,
            method,
        } = skipped
        else {
            return;
        };
        self.lines_skipped.add(
            1,
            &[opentelemetry::KeyValue::new("stream", stream.as_str())],
        );
        let body = EventBody::RuntimeError {
            turn_id: None,
            message: format!(
                "codex app-server wrote a {bytes}-byte line to {}, over the bridge's \
                 {limit}-byte limit; the line was skipped",
                stream.as_str()
            ),
            will_retry: false,
            error: json!({
                "code": "line_too_long",
                "stream": stream.as_str(),
                "bytes": bytes,
                "limit": limit,
                "method": method,
            }),
        };
        let event = match thread_id {
            Some(thread) => Event::new(Scope::Session, thread, body),
            None => Event::new(Scope::Runtime, &self.cfg.bridge_id, body),
        };
        self.emit(event).await;
    }

    /// Ends a turn's leftovers: open items complete as `canceled`, held requests expire.
    async fn end_turn(&self, thread_id: &str, turn_id: &str, reason: &str) {
        let (items, requests) = match self.tracker.lock() {
            Ok(mut t) => (
                t.turn_ended(thread_id),
                t.take_requests(thread_id, Some(turn_id)),
            ),
            Err(_) => (Vec::new(), Vec::new()),
        };
        for item in items {
            let (item_id, item_type) = (item.item_id.clone(), item.item_type.clone());
            let body = EventBody::ItemCompleted {
                turn_id: turn_id.to_owned(),
                item_id,
                item_type,
                item: item.closed("canceled"),
            };
            self.emit(Event::new(Scope::Session, thread_id, body)).await;
        }
        for (request_id, _) in requests {
            self.expire(thread_id, &request_id, reason).await;
        }
        if let Some(f) = &self.inflight {
            f.turn_ended(thread_id).await;
        }
    }

    /// Publishes that a request expired and forgets it durably.
    pub async fn expire(&self, session_id: &str, request_id: &str, reason: &str) {
        let body = EventBody::RequestResolved {
            request_id: request_id.to_owned(),
            outcome: RequestOutcome::Expired,
            response: None,
            decided_by: None,
            reason: Some(reason.to_owned()),
        };
        self.emit(Event::new(Scope::Session, session_id, body))
            .await;
        if let Some(f) = &self.inflight {
            f.request_ended(request_id).await;
        }
    }

    /// `serverRequest/resolved` for a request we still hold: the runtime settled it itself
    /// (an interrupt, for example), so no decision can reach it any more.
    async fn settled_by_runtime(&self, instance: &Arc<Instance>, params: &Value) {
        let Some(rpc_id) = params.get("requestId") else {
            return;
        };
        let held = match self.tracker.lock() {
            Ok(mut t) => t
                .request_by_rpc_id(instance, rpc_id)
                .and_then(|id| t.requests.remove(&id).map(|r| (id, r))),
            Err(_) => None,
        };
        if let Some((request_id, req)) = held {
            self.expire(&req.session_id, &request_id, "resolved_by_runtime")
                .await;
        }
    }

    /// Server→client requests we know become pending requests held open until decided; any
    /// other method is refused at once with a JSON-RPC error so the runtime never waits, and
    /// surfaced as an event.
    async fn on_server_request(
        &self,
        instance: &Arc<Instance>,
        id: Value,
        method: &str,
        mut params: Value,
    ) {
        // Like every notification (`normalize`): no U+0000 reaches the bus or Postgres.
        let mut method = method.to_owned();
        cm_schemas::text::scrub_nul_str(&mut method);
        let method = method.as_str();
        cm_schemas::text::scrub_nul(&mut params);
        let thread = params
            .get("threadId")
            .or_else(|| params.get("conversationId"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (Some(kind), Some(thread)) = (RequestKind::of_method(method), thread) else {
            tracing::warn!(method, "server request refused: not handled by this bridge");
            let refusal = Err((-32601, format!("codex-manager does not handle {method}")));
            if let Err(e) = instance.server.respond(id.clone(), refusal).await {
                tracing::warn!(error = %e, "could not answer server request");
            }
            let mut event = normalize(&self.cfg.bridge_id, method, &params);
            event.raw =
                Some(json!({ "id": id, "method": method, "params": params, "refused": true }));
            self.emit(event).await;
            return;
        };
        let request_id = format!("req_{}", uuid::Uuid::now_v7().simple());
        let turn_id = params
            .get("turnId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let request = PendingRequest {
            id: request_id.clone(),
            session_id: thread.clone(),
            turn_id: turn_id.clone(),
            item_id: params
                .get("itemId")
                .or_else(|| params.get("callId"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            kind,
            method: method.to_owned(),
            available_decisions: params
                .get("availableDecisions")
                .and_then(Value::as_array)
                .cloned(),
            params: params.clone(),
            opened_at: Utc::now(),
        };
        if let Ok(mut t) = self.tracker.lock() {
            let held = HeldRequest {
                rpc_id: id.clone(),
                session_id: thread.clone(),
                turn_id,
                instance: instance.clone(),
            };
            t.requests.insert(request_id.clone(), held);
        }
        if let Some(f) = &self.inflight {
            f.request_opened(&request_id, &thread).await;
        }
        let raw = json!({ "id": id, "method": method, "params": params });
        self.emit(
            Event::new(Scope::Session, thread, EventBody::RequestOpened { request }).with_raw(raw),
        )
        .await;
    }

    /// The runtime is gone: every turn it was running ends now, as failed, after its open items
    /// and requests.
    async fn end_everything(&self, reason: &str) {
        let threads: Vec<(String, String)> = match self.tracker.lock() {
            Ok(t) => t
                .turns
                .iter()
                .map(|(th, s)| (th.clone(), s.turn_id.clone()))
                .collect(),
            Err(_) => Vec::new(),
        };
        for (thread_id, turn_id) in threads {
            self.end_turn(&thread_id, &turn_id, reason).await;
            let body = EventBody::TurnCompleted {
                turn_id,
                status: TurnStatus::Failed,
                reason: Some(reason.to_owned()),
                error: None,
            };
            self.emit(Event::new(Scope::Session, thread_id, body)).await;
        }
        // Requests outside any tracked turn.
        let rest: Vec<(String, String)> = match self.tracker.lock() {
            Ok(mut t) => t
                .requests
                .drain()
                .map(|(id, r)| (id, r.session_id))
                .collect(),
            Err(_) => Vec::new(),
        };
        for (request_id, session_id) in rest {
            self.expire(&session_id, &request_id, reason).await;
        }
    }

    /// A previous incarnation of this bridge died with turns in flight: end them the same
    /// deterministic way a runtime exit does.
    pub async fn recover_leftovers(&self) {
        let Some(f) = &self.inflight else { return };
        let left = match f.take_leftovers().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "could not read in-flight state of the previous run");
                return;
            }
        };
        if !left.turns.is_empty() || !left.requests.is_empty() {
            tracing::warn!(
                turns = left.turns.len(),
                requests = left.requests.len(),
                "ending what the previous run left in flight"
            );
        }
        for (request_id, session_id) in left.requests {
            self.expire(&session_id, &request_id, "runtime_exited")
                .await;
        }
        for (thread_id, turn_id) in left.turns {
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
