//! What each command endpoint of this process has been through: handler panics, and whether it
//! still serves. `$SRV.STATS` carries it in each endpoint's `data` ([`stats_data`], installed by
//! [`crate::start_service`]), so the gateway's readiness and `GET /api/services` see an endpoint
//! that stopped or keeps panicking. Panics are also counted as the OpenTelemetry metric
//! `cm.bus.handler.panics`.
//!
//! The registry is per process and keyed by endpoint subject: a service runs once per process
//! (the end-to-end tests run several in one, on different subjects).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use opentelemetry::KeyValue;
use serde_json::{Value, json};

static REGISTRY: LazyLock<Mutex<HashMap<String, Arc<EndpointHealth>>>> =
    LazyLock::new(Default::default);

static PANICS: LazyLock<opentelemetry::metrics::Counter<u64>> = LazyLock::new(|| {
    cm_telemetry::meter("cm-bus")
        .u64_counter("cm.bus.handler.panics")
        .with_description("command handlers that panicked (the request got `internal`)")
        .build()
});

static REFUSED: LazyLock<opentelemetry::metrics::Counter<u64>> = LazyLock::new(|| {
    cm_telemetry::meter("cm-bus")
        .u64_counter("cm.bus.requests.refused")
        .with_description("requests refused for their signature or the actor they claimed")
        .build()
});

/// A request was refused before its handler ran (bad signature, actor not allowed).
pub(crate) fn refused(subject: &str) {
    REFUSED.add(
        1,
        &[KeyValue::new("messaging.destination", subject.to_owned())],
    );
}

/// One endpoint's record.
#[derive(Debug)]
pub struct EndpointHealth {
    subject: String,
    panics: AtomicU64,
    serving: AtomicBool,
}

impl EndpointHealth {
    pub(crate) fn panicked(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
        PANICS.add(
            1,
            &[KeyValue::new("messaging.destination", self.subject.clone())],
        );
    }

    pub(crate) fn stopped(&self) {
        self.serving.store(false, Ordering::Relaxed);
    }

    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    pub fn serving(&self) -> bool {
        self.serving.load(Ordering::Relaxed)
    }
}

/// The record of the endpoint on `subject`, marked serving (a restarted service in the same
/// process serves it again; its panic count goes on).
pub(crate) fn endpoint(subject: &str) -> Arc<EndpointHealth> {
    let mut registry = REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let health = registry
        .entry(subject.to_owned())
        .or_insert_with(|| {
            Arc::new(EndpointHealth {
                subject: subject.to_owned(),
                panics: AtomicU64::new(0),
                serving: AtomicBool::new(true),
            })
        })
        .clone();
    health.serving.store(true, Ordering::Relaxed);
    health
}

/// The record of `subject`, if it has served a request in this process.
pub fn get(subject: &str) -> Option<Arc<EndpointHealth>> {
    let registry = REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    registry.get(subject).cloned()
}

/// The `data` of an endpoint's `$SRV.STATS` entry: `{serving, panics}`.
pub fn stats_data(_name: String, stats: async_nats::service::endpoint::Stats) -> Value {
    match get(&stats.subject) {
        Some(h) => json!({ "serving": h.serving(), "panics": h.panics() }),
        None => json!({ "serving": true, "panics": 0 }),
    }
}
