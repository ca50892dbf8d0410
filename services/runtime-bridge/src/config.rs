//! Bridge configuration, validated once by `main` (or built directly by tests).

use std::path::PathBuf;
use std::time::Duration;

use crate::appserver::{DEFAULT_MAX_LINE_BYTES, SpawnConfig};

#[derive(Debug, Clone)]
pub struct Config {
    /// Identifies this bridge instance on the bus (runtime-scoped events, status).
    pub bridge_id: String,
    pub spawn: SpawnConfig,
    /// Working directory for threads started without one.
    pub default_cwd: PathBuf,
    /// Time-out of every call into app-server.
    pub call_timeout: Duration,
    /// First and largest delay between respawns (exponential, with jitter).
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Approval policy and sandbox for new threads (the runtime's defaults when `None`).
    pub approval_policy: Option<String>,
    pub sandbox: Option<String>,
    /// Methods callable through `cm.v1.runtime.call` beyond `OPERATOR_METHODS` (tests use it to
    /// reach a method the runtime lacks).
    pub extra_operator_methods: Vec<String>,
    /// The longest line accepted from the runtime's stdout or stderr; a longer one is skipped
    /// with a `runtime.error` event and the bridge reads on (`docs/runtime-events.md`).
    pub max_line_bytes: usize,
}

impl Config {
    pub fn new(spawn: SpawnConfig, default_cwd: PathBuf) -> Self {
        Self {
            bridge_id: "bridge-1".to_owned(),
            spawn,
            default_cwd,
            call_timeout: Duration::from_secs(60),
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(30),
            approval_policy: None,
            sandbox: None,
            extra_operator_methods: Vec::new(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}
