//! A JSON-RPC client for one `codex app-server` child process over stdio.
//!
//! Modelled on codex's own test client: the child is killed on drop, stderr goes to tracing,
//! one JSON message per line, an atomic request id with a map of pending oneshots, and a time-out
//! on every call. Messages the server initiates (notifications and server→client requests)
//! arrive on the [`Incoming`] channel, followed by [`Incoming::Exited`] when the process ends.
//! Lines are framed by [`lines::BoundedLines`]: bounded in length, decoded lossily.

mod lines;
mod process;
mod reader;
mod rpc;
mod spawn;
mod wire;

pub use lines::DEFAULT_MAX_LINE_BYTES;
pub use process::{AppServer, SpawnConfig};
pub use wire::{Incoming, RpcError, Stream};
