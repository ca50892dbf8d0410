//! The queue worker's settings. Defaults suit one machine; [`EngineArgs`] exposes the ones an
//! operator tunes (capacity, concurrency, lease) as flags.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub pool_size: usize,
    pub engine: EngineConfig,
}

impl Config {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            pool_size: 8,
            engine: EngineConfig::default(),
        }
    }
}

/// How the job engine claims, runs, retries and bounds jobs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Jobs this worker runs at once (and so the most one claim takes).
    pub concurrency: usize,
    /// A running job is the worker's for this long after each renewal; a worker that stops
    /// renewing (killed, cut off from Postgres) loses its jobs to the reaper after it.
    pub lease: Duration,
    /// How often the worker renews its leases and learns of cancels made on other replicas:
    /// well under `lease`, and under the 1 s a cancel may take.
    pub heartbeat: Duration,
    /// Claimers and the outbox relay also look this often (a local enqueue wakes them at once;
    /// this catches other replicas' enqueues and due retries).
    pub poll: Duration,
    /// How often expired leases are looked for.
    pub reap_every: Duration,
    pub default_max_attempts: u32,
    pub default_timeout: Duration,
    /// Back-off before retry n: `retry_base * 2^(n-1)` plus jitter, at most `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Jobs queued or running at once, over all projects and per project; one more is refused
    /// with `rate_limited` / `queue_full`.
    pub max_active: u64,
    pub max_active_per_project: u64,
    /// What a refused enqueue is told to wait (`details.retryAfterSecs`).
    pub queue_full_retry_after: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            concurrency: 16,
            lease: Duration::from_secs(15),
            heartbeat: Duration::from_millis(300),
            poll: Duration::from_millis(250),
            reap_every: Duration::from_secs(1),
            default_max_attempts: 3,
            default_timeout: Duration::from_secs(300),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            max_active: 10_000,
            max_active_per_project: 1_000,
            queue_full_retry_after: Duration::from_secs(5),
        }
    }
}

/// The engine settings an operator tunes, as flags (and environment variables).
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Jobs this worker runs at once.
    #[arg(long, env = "CM_QUEUE_CONCURRENCY", default_value_t = 16)]
    concurrency: usize,
    /// Jobs queued or running at once over all projects; one more is refused (`queue_full`).
    #[arg(long, env = "CM_QUEUE_MAX_ACTIVE", default_value_t = 10_000)]
    max_active: u64,
    /// Jobs queued or running at once in one project.
    #[arg(long, env = "CM_QUEUE_MAX_ACTIVE_PER_PROJECT", default_value_t = 1_000)]
    max_active_per_project: u64,
    /// Seconds a running job stays this worker's without a renewal: how long a killed
    /// worker's jobs wait before they are retried.
    #[arg(long, env = "CM_QUEUE_LEASE_SECS", default_value_t = 15)]
    lease_secs: u64,
}

impl EngineArgs {
    /// The worker's configuration for `database_url` with these flags.
    pub fn config(&self, database_url: String) -> Config {
        let mut cfg = Config::new(database_url);
        cfg.engine.concurrency = self.concurrency.max(1);
        cfg.engine.max_active = self.max_active;
        cfg.engine.max_active_per_project = self.max_active_per_project;
        cfg.engine.lease = Duration::from_secs(self.lease_secs.max(1));
        cfg
    }
}
