//! The model script every turn of the benchmark plays: a short reply in several deltas, no
//! pacing, so the time measured is the system's and the runtime's, not the model's.

use cm_mock_model::Script;

/// The streamed reply.
pub const REPLY: [&str; 8] = [
    "Hello",
    " from",
    " the",
    " scripted",
    " model",
    ",",
    " benchmarked",
    ".",
];

/// The user message each turn sends.
pub const PROMPT: &str = "Say hello";

/// Arguments the runtime bridge gives `codex app-server` in the test stack (the direct baseline
/// uses the same).
pub const APP_SERVER_ARGS: [&str; 2] = ["--enable", "default_mode_request_user_input"];

pub fn script() -> anyhow::Result<Script> {
    Ok(Script::from_value(serde_json::json!({
        "rules": [ { "name": "reply", "steps": [ { "type": "message", "deltas": REPLY } ] } ]
    }))?)
}
