//! Sample statistics: medians and percentiles of latencies, rates from totals.

use std::time::Duration;

/// Order statistics of a set of latency samples, in milliseconds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Summary {
    pub n: usize,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub mean_ms: f64,
}

impl Summary {
    /// Summarizes `samples`; all zero when there are none.
    pub fn of(samples: &[Duration]) -> Self {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let mean_ms = if ms.is_empty() {
            0.0
        } else {
            ms.iter().sum::<f64>() / ms.len() as f64
        };
        Self {
            n: ms.len(),
            median_ms: percentile(&ms, 0.5),
            p90_ms: percentile(&ms, 0.9),
            mean_ms,
        }
    }
}

/// The `q` quantile of sorted values (nearest rank, interpolated between neighbours).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

/// The median of unsorted values.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.5)
}

/// Events per second for `n` events in `elapsed`.
pub fn rate(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// Milliseconds per event for `n` events in `elapsed`.
pub fn per_event_ms(n: usize, elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_percentiles_interpolate() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let s = Summary::of(&[Duration::from_millis(1), Duration::from_millis(3)]);
        assert_eq!(s.n, 2);
        assert!((s.median_ms - 2.0).abs() < 1e-9);
        assert!((s.mean_ms - 2.0).abs() < 1e-9);
        assert_eq!(Summary::of(&[]).n, 0);
    }
}
