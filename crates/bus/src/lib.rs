//! Bus conventions: how a Codex Manager service connects to NATS, publishes events to
//! JetStream, sends commands and serves them.
//!
//! Every publish carries `Nats-Msg-Id` (JetStream drops a retried duplicate) and the W3C
//! `traceparent` of the current span; every handler continues the caller's trace.

mod args;
pub mod auth;
pub mod blobs;
mod client;
pub mod health;
mod kit;
mod lifecycle;
mod serve;
mod service;
mod streams;

pub use args::ServiceArgs;
pub use blobs::{BLOB_HEADER, ReadEventError};
pub use client::{Bus, ConnectError, ConnectTo, PublishError};
pub use kit::Kit;
pub use lifecycle::{cancel_on_signal, terminated};
pub use serve::{
    ACTOR_HEADER, EndpointError, Handler, actor, header_value, serve_endpoint, spawn_endpoint,
};
pub use service::Group;
pub use streams::{EventsStreamConfig, ensure_events_stream};

/// Default time a command waits for its reply.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
