//! The record of request bodies received, for assertions in tests.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::error::Error;

/// A shared, append-only list of the JSON bodies of `POST /v1/responses`.
#[derive(Debug, Clone)]
pub struct Recorder {
    bodies: Arc<Mutex<Vec<Value>>>,
    count: Arc<watch::Sender<usize>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            bodies: Arc::default(),
            count: Arc::new(watch::Sender::new(0)),
        }
    }
}

impl Recorder {
    /// Appends one body.
    pub fn push(&self, body: Value) {
        let len = {
            let mut bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
            bodies.push(body);
            bodies.len()
        };
        self.count.send_replace(len);
    }

    /// A copy of every body so far.
    pub fn all(&self) -> Vec<Value> {
        self.bodies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until at least `expected` bodies arrived, then returns them all.
    pub async fn wait_for(&self, expected: usize, timeout: Duration) -> Result<Vec<Value>, Error> {
        let mut count = self.count.subscribe();
        let reached = tokio::time::timeout(timeout, count.wait_for(|n| *n >= expected)).await;
        match reached {
            Ok(Ok(_)) => Ok(self.all()),
            // The sender lives in `self`, so the channel cannot close while we wait.
            Ok(Err(_)) | Err(_) => Err(Error::Timeout {
                expected,
                received: self.all().len(),
                waited: timeout,
            }),
        }
    }
}
