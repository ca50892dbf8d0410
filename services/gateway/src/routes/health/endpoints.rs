//! The `endpoints` readiness check: every service's `$SRV.STATS`, read until the four services
//! answered (or the time-out). Not ready when an endpoint reports it stopped serving
//! (`data.serving: false`, from `cm_bus::health`); handler panics are counted per endpoint.

use std::collections::BTreeSet;
use std::time::Duration;

use async_nats::service::Stats;
use cm_bus::Bus;
use cm_schemas::subjects::service;
use futures::StreamExt;
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointsCheck {
    pub ready: bool,
    /// Services that answered `$SRV.STATS`.
    pub services: Vec<String>,
    /// `subject` of each endpoint that stopped serving.
    pub stopped: Vec<String>,
    /// Handler panics caught, per endpoint subject (only those with any).
    pub panics: std::collections::BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

const EXPECTED: [&str; 4] = [
    service::GATEWAY,
    service::SESSION,
    service::RUNTIME_BRIDGE,
    service::QUEUE_WORKER,
];

pub async fn check(bus: &Bus, timeout: Duration) -> EndpointsCheck {
    let mut check = EndpointsCheck {
        ready: true,
        services: Vec::new(),
        stopped: Vec::new(),
        panics: Default::default(),
        error: None,
    };
    let client = bus.client();
    let inbox = client.new_inbox();
    let mut replies = match client.subscribe(inbox.clone()).await {
        Ok(s) => s,
        Err(e) => return failed(check, e.to_string()),
    };
    if let Err(e) = client
        .publish_with_reply("$SRV.STATS", inbox, "".into())
        .await
    {
        return failed(check, e.to_string());
    }
    let mut seen = BTreeSet::new();
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    while !EXPECTED.iter().all(|s| seen.contains(*s)) {
        let msg = tokio::select! {
            m = replies.next() => m,
            _ = &mut deadline => break,
        };
        let Some(msg) = msg else { break };
        let Ok(stats) = serde_json::from_slice::<Stats>(&msg.payload) else {
            continue;
        };
        for endpoint in &stats.endpoints {
            let data = endpoint.data.as_ref();
            if data.and_then(|d| d["serving"].as_bool()) == Some(false) {
                check.stopped.push(endpoint.subject.clone());
            }
            let panics = data.and_then(|d| d["panics"].as_u64()).unwrap_or(0);
            if panics > 0 {
                *check.panics.entry(endpoint.subject.clone()).or_default() += panics;
            }
        }
        seen.insert(stats.name);
    }
    check.services = seen.into_iter().collect();
    check.ready = check.stopped.is_empty();
    if !check.ready {
        check.error = Some(format!(
            "endpoints stopped serving: {}",
            check.stopped.join(", ")
        ));
    }
    check
}

fn failed(mut check: EndpointsCheck, error: String) -> EndpointsCheck {
    check.ready = false;
    check.error = Some(format!("$SRV.STATS: {error}"));
    check
}
