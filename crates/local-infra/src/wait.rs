//! Polling for conditions that have no event to wait on.

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `f` until it returns `Ok`.
///
/// `Err` means "not yet"; after `timeout` the error names `what` and quotes the last `Err`.
/// The interval starts at 5 ms and doubles up to 100 ms; an attempt that hangs is cut off at
/// the deadline.
pub async fn wait_for<F, Fut, T>(what: &str, timeout: Duration, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let deadline = Instant::now() + timeout;
    let mut interval = Duration::from_millis(5);
    let mut last_error = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, f()).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => last_error = Some(e),
            Err(_) => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let last = last_error.map_or("none".to_owned(), |e| format!("{e:#}"));
            anyhow::bail!("timed out after {timeout:?} waiting for {what} (last error: {last})");
        }
        tokio::time::sleep(interval.min(left)).await;
        interval = (interval * 2).min(Duration::from_millis(100));
    }
}
