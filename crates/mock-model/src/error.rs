//! The one error type of the library.
//!
//! Policy: the library returns [`Error`] and never panics; a malformed request is not an
//! error of the server (it is answered with a 4xx JSON body), only problems of the operator
//! (unreadable or invalid script, a socket that cannot be served) surface here.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Errors of the scripted model server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The script file could not be read.
    #[error("cannot read script {path}: {source}")]
    ReadScript {
        /// The file that was asked for.
        path: PathBuf,
        /// Why it could not be read.
        source: io::Error,
    },
    /// The script is not valid JSON, does not have the script's shape, or breaks one of its
    /// rules (for example an `error` action that is not the first of its step).
    #[error("invalid script: {0}")]
    InvalidScript(#[from] serde_json::Error),
    /// Binding or inspecting the listening socket failed.
    #[error("cannot listen: {0}")]
    Listen(io::Error),
    /// The HTTP server stopped with an I/O error.
    #[error("server failed: {0}")]
    Serve(io::Error),
    /// The background server task of a [`crate::MockModel`] panicked or was cancelled.
    #[error("server task ended abnormally: {0}")]
    Task(String),
    /// [`crate::MockModel::wait_for_requests`] gave up.
    #[error("timed out after {waited:?} waiting for {expected} requests (received {received})")]
    Timeout {
        /// How many requests were awaited.
        expected: usize,
        /// How many had arrived.
        received: usize,
        /// How long it waited.
        waited: Duration,
    },
}
