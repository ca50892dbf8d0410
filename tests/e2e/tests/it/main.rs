//! End-to-end tests of the walking skeleton, against real NATS, Postgres and codex app-server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent_jobs;
mod approvals;
mod auth;
mod bus;
mod controls;
mod cors;
mod edge;
mod errors;
mod failures;
mod idempotency;
mod jobs;
mod lifecycle;
mod openapi;
mod operator;
mod poison;
mod projects;
mod resume;
mod resume_restart;
mod robustness;
mod runtime_script;
mod streams;
mod system;
mod system_owned;
mod transcript;
mod turn;

use cm_mock_model::Script;

pub const GREETING: [&str; 6] = ["Hello", " from", " the", " scripted", " model", "."];

/// A script whose default answer is [`GREETING`] and whose `SLOW` answer streams 30 deltas
/// 100 ms apart (time to drop a connection mid-turn).
pub fn script() -> Script {
    let slow: Vec<String> = (0..30).map(|i| format!("w{i} ")).collect();
    Script::from_value(serde_json::json!({
        "rules": [
            { "name": "slow", "match": { "contains": "SLOW" }, "delay_ms": 100,
              "steps": [ { "type": "message", "deltas": slow } ] },
            { "name": "greeting", "steps": [ { "type": "message", "deltas": GREETING } ] }
        ]
    }))
    .unwrap()
}

pub fn slow_text() -> String {
    (0..30).map(|i| format!("w{i} ")).collect()
}
