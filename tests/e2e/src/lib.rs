//! [`TestStack`]: the whole system for one test — a private nats-server and Postgres, the
//! scripted model, the real codex app-server under the runtime bridge, and the four services
//! running in-process, each restartable alone. Plus a small HTTP/SSE client for the gateway.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;
pub mod coverage;
mod stack;
pub mod up;

pub use client::{Api, SseStream, collect_deltas, collect_until, fold, kinds, text_deltas};
pub use stack::{Service, TestStack};
