//! cm-mock-model: a scripted OpenAI Responses-API server on loopback.
//!
//! The real `codex app-server` is pointed at it (a `model_providers.mock` entry whose
//! `base_url` is [`MockModel::base_url`]) so that turns run offline, fast and deterministically
//! in tests and demos. Each `POST /v1/responses` is answered from a [`Script`]: the rule is
//! picked by the last user message, the step by how many tool results followed it, and the
//! step is streamed as `text/event-stream` in the exact shapes codex parses.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cm_mock_model::Error> {
//! use cm_mock_model::{MockModel, Script};
//! let script = Script::from_json(r#"{"rules": [{"steps": [{"type": "message", "text": "Hi"}]}]}"#)?;
//! let mock = MockModel::start(script).await?;
//! println!("point codex at {}", mock.base_url());
//! # Ok(()) }
//! ```
//!
//! Errors: the library returns [`Error`] (a `thiserror` enum) and never panics; bad requests
//! are answered with OpenAI-shaped JSON errors, not surfaced as `Error`.

mod error;
mod item;
mod mock;
mod play;
mod recorder;
mod request;
mod script;
mod server;
mod sse;
mod text;
mod usage;

pub use error::Error;
pub use item::{
    ErrorItem, FailStreamItem, FunctionCallItem, Item, MessageItem, RawEventItem, ReasoningItem,
    SleepItem, Step,
};
pub use mock::MockModel;
pub use script::{DEMO_SCRIPT_JSON, Match, Rule, Script};
pub use server::run;
pub use usage::Usage;
