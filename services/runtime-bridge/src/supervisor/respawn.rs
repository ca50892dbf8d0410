//! The supervisor loop: one process lifetime after another, with a pause between them that
//! grows while the runtime keeps failing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

use super::Runtime;
use crate::config::Config;

/// A process that stayed up this long was not crash-looping, so it earns a fresh back-off.
const STEADY: Duration = Duration::from_secs(30);

impl Runtime {
    /// Runs until `shutdown` is cancelled.
    pub async fn supervise(self: Arc<Self>, shutdown: CancellationToken) {
        let mut delays = respawn_delays(&self.cfg);
        while !shutdown.is_cancelled() {
            let started = Instant::now();
            match self.run_once(&shutdown).await {
                Ok(()) => {}
                Err(e) => tracing::error!(error = %e, "app-server failed to start"),
            }
            if shutdown.is_cancelled() {
                break;
            }
            if started.elapsed() > STEADY {
                delays = respawn_delays(&self.cfg);
            }
            // The delays never run out (no limit on attempts); the fallback only satisfies the type.
            let delay = delays.next().unwrap_or(self.cfg.backoff_max);
            tracing::info!(delay_ms = delay.as_millis() as u64, "respawning app-server");
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }
}

/// Exponential from `backoff_initial` up to `backoff_max`, jittered so a fleet of bridges does
/// not respawn in lock-step, and without a limit on attempts: the bridge never gives up on its
/// runtime.
fn backoff(cfg: &Config) -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(cfg.backoff_initial)
        .with_max_delay(cfg.backoff_max)
        .with_jitter()
        .without_max_times()
}

/// backon adds its jitter on top of the capped delay; the `min` keeps `backoff_max` a bound.
fn respawn_delays(cfg: &Config) -> impl Iterator<Item = Duration> + use<> {
    let max = cfg.backoff_max;
    backoff(cfg).build().map(move |d| d.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appserver::SpawnConfig;

    #[test]
    fn backoff_grows_and_is_capped() {
        let spawn = SpawnConfig {
            bin: "codex".into(),
            codex_home: None,
            args: vec![],
            env: vec![],
        };
        let cfg = Config::new(spawn, "/".into());
        let delays: Vec<Duration> = respawn_delays(&cfg).take(40).collect();
        assert_eq!(delays.len(), 40, "the supervisor never runs out of delays");
        assert!(delays[0] >= cfg.backoff_initial && delays[0] < cfg.backoff_initial * 2);
        assert!(delays[3] >= cfg.backoff_initial * 8);
        assert!(delays.iter().all(|d| *d <= cfg.backoff_max));
        assert_eq!(delays[39], cfg.backoff_max);
    }
}
