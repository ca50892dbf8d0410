//! Integration tests of the `codex-manager` binary, against the real service binaries (or the
//! services in-process through `cm-e2e`), nats-server, Postgres and codex.
//!
//! `up.rs` needs the services built next to the CLI: run `cargo build --workspace --bins`
//! before `cargo test -p codex-manager` (cargo builds only this package's own binary for its
//! tests).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod cm;
mod errors;
mod jobs;
mod journey;
mod retries;
mod support;
mod tls;
mod up;
