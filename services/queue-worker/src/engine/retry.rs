//! The back-off before retry n: exponential from `retry_base`, doubled each attempt, capped at
//! `retry_max`, with jitter (backon adds up to one more delay at random) so that jobs failing
//! together do not come back together.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::config::EngineConfig;

/// The delay after failed attempt `attempt` (1-based) before the job is due again.
pub fn delay(cfg: &EngineConfig, attempt: u32) -> Duration {
    ExponentialBuilder::default()
        .with_min_delay(cfg.retry_base)
        .with_max_delay(cfg.retry_max)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(attempt.saturating_sub(1) as usize)
        .unwrap_or(cfg.retry_max)
        .min(cfg.retry_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_jitter_and_stays_under_the_cap() {
        let cfg = EngineConfig {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_secs(2),
            ..Default::default()
        };
        for attempt in 1..=3u32 {
            let d = delay(&cfg, attempt);
            let base = Duration::from_millis(100 * 2u64.pow(attempt - 1));
            assert!(d >= base && d <= base * 2, "attempt {attempt}: {d:?}");
        }
        assert!(delay(&cfg, 30) <= Duration::from_secs(2));
    }
}
