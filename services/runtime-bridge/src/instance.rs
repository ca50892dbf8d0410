//! One initialized app-server process and the threads it has loaded.
//!
//! Its own module because both the supervisor (which creates it) and the tracker (whose held
//! requests remember which process asked) need it, and neither should depend on the other.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::appserver::AppServer;

pub struct Instance {
    pub server: Arc<AppServer>,
    pub user_agent: Option<String>,
    pub capabilities: Vec<String>,
    loaded: Mutex<HashSet<String>>,
}

impl Instance {
    pub fn new(
        server: Arc<AppServer>,
        user_agent: Option<String>,
        capabilities: Vec<String>,
    ) -> Self {
        Self {
            server,
            user_agent,
            capabilities,
            loaded: Mutex::default(),
        }
    }

    pub fn is_loaded(&self, thread_id: &str) -> bool {
        self.loaded
            .lock()
            .map(|l| l.contains(thread_id))
            .unwrap_or(false)
    }

    pub fn mark_loaded(&self, thread_id: &str) {
        if let Ok(mut l) = self.loaded.lock() {
            l.insert(thread_id.to_owned());
        }
    }
}
