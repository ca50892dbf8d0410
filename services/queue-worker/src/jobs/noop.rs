//! `noop`: sleeps, then completes with `{"attempt": n}`. Fault injection for tests and the
//! benchmark: `failAttempts: N` fails attempts 1..=N retryably, `fatal: true` fails fatally.

use cm_schemas::job::NoopJob;
use serde_json::{Value, json};

use super::{JobCtx, JobFailure};

pub async fn run(spec: NoopJob, ctx: JobCtx) -> Result<Value, JobFailure> {
    if let Some(ms) = spec.sleep_ms.filter(|ms| *ms > 0) {
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(ms)) => {}
            () = ctx.cancel.cancelled() => return Err(JobFailure::fatal("canceled")),
        }
    }
    if spec.fatal {
        return Err(JobFailure::fatal("noop: fatal failure injected"));
    }
    if ctx.attempt <= spec.fail_attempts {
        return Err(JobFailure::retryable(format!(
            "noop: failure injected on attempt {} of the first {}",
            ctx.attempt, spec.fail_attempts
        )));
    }
    Ok(json!({ "attempt": ctx.attempt, "jobId": ctx.job_id }))
}
