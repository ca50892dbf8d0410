//! Integration tests of the `codex-manager` binary, against the real service binaries, nats-server,
//! Postgres and codex.
//!
//! The services must be built next to the CLI: run `cargo build --workspace --bins` before
//! `cargo test -p codex-manager` (cargo builds only this package's own binary for its tests).

#![allow(clippy::unwrap_used)]

mod cli;
mod support;
mod up;
