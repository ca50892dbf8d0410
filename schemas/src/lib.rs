//! The Codex Manager bus contract.
//!
//! Every message body that crosses a process boundary (NATS request/reply, JetStream events,
//! job payloads) has its Rust type here and nowhere else. JSON Schemas generated from these types
//! are committed under `schemas/json/` and checked for drift by `tests/drift.rs`, so automation
//! written in any language can rely on them. The HTTP API's own bodies ([`http`]) live here too,
//! so that the gateway and its clients share one declaration of each.

pub mod commands;
pub mod controls;
pub mod error;
pub mod event;
pub mod health;
pub mod history;
pub mod http;
pub mod idempotency;
pub mod item;
pub mod job;
pub mod lifecycle;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod operator;
pub mod project;
pub mod queue;
pub mod reply;
pub mod request;
pub mod runtime;
pub mod scope;
pub mod session;
pub mod subjects;
pub mod text;
pub mod thread;
pub mod transcript;
mod wire_enum;

mod registry;

pub use error::{BusError, ErrorCode};
pub use event::{Event, EventBody, Scope, StreamedEvent};
pub use registry::{all_schemas, render};
pub use reply::Reply;
pub use transcript::Transcript;

/// Version of the bus contract; bumped with the `v1` in every subject on a breaking change.
pub const CONTRACT_VERSION: &str = "1.0.0";
