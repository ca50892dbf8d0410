//! The job engine against a real Postgres and NATS (started by each test): lifecycle and
//! events, dedupe, priority, retries, time-outs, cancel, capacity, recovery from a killed
//! worker, several workers, the outbox.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench;
mod common;
mod lifecycle;
mod limits;
mod recovery;
mod retries;
