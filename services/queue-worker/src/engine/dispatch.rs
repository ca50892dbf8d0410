//! The claim loop and one attempt of a job. A slot (semaphore permit) per job this worker may
//! run; the loop claims as many due jobs as there are free slots whenever it is woken (a local
//! enqueue, a finished job) or every `poll`. Each attempt races its handler against the job's
//! time-out and its cancel token; the handler runs in a task of its own, so a panic is a failed
//! attempt and never a job left running under a lease this worker keeps renewing.

use std::sync::Arc;
use std::time::Duration;

use cm_schemas::job::{Job, JobErrorClass, JobInfo};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use super::Engine;
use super::retry;
use super::transitions::{self, Outcome};
use crate::jobs::{self, JobCtx, JobFailure};

/// Runs until `shutdown`; then stops its handlers and hands their jobs back to the queue.
/// Dropping this future (a crash, simulated in tests) leaves them running under leases
/// nobody renews, for the reaper.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(engine.cfg.concurrency.max(1)));
    let mut attempts = JoinSet::new();
    loop {
        let free = slots.available_permits();
        if free > 0 {
            match transitions::claim(&engine, free).await {
                Ok(jobs) => {
                    if !jobs.is_empty() {
                        engine.relay_wake.notify_one();
                    }
                    for job in jobs {
                        let Ok(permit) = slots.clone().try_acquire_owned() else {
                            break; // cannot happen: only this loop takes permits
                        };
                        attempts.spawn(attempt(engine.clone(), job, permit));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming jobs failed"),
            }
        }
        while attempts.try_join_next().is_some() {}
        tokio::select! {
            () = engine.wake.notified() => {}
            () = tokio::time::sleep(engine.cfg.poll) => {}
            () = shutdown.cancelled() => break,
        }
    }
    let ids = engine.running_ids();
    attempts.abort_all();
    while attempts.join_next().await.is_some() {}
    if !ids.is_empty() {
        match transitions::release_own(&engine, &ids).await {
            Ok(n) => tracing::info!(jobs = n, "running jobs handed back to the queue"),
            Err(e) => tracing::warn!(error = %e, "handing jobs back failed; their leases expire"),
        }
    }
}

/// One attempt of `job`, which this worker just claimed.
async fn attempt(engine: Arc<Engine>, job: JobInfo, _slot: OwnedSemaphorePermit) {
    let cancel = engine.track(job.id);
    let outcome = run_handler(&engine, &job, cancel).await;
    if let Err(e) = transitions::finish(&engine, &job, outcome).await {
        // The lease is still ours (the heartbeat renews it until we untrack); once we stop,
        // the reaper will retry the job as `lost`.
        tracing::warn!(job.id = %job.id, error = %e, "recording the job's outcome failed");
    }
    engine.untrack(job.id);
    engine.wake.notify_one();
}

async fn run_handler(engine: &Engine, job: &JobInfo, cancel: CancellationToken) -> Outcome {
    let spec = match decode(job) {
        Ok(spec) => spec,
        Err(message) => return failed(engine, job, JobErrorClass::Invalid, message),
    };
    let ctx = JobCtx {
        job_id: job.id,
        attempt: job.attempts,
        cancel: cancel.clone(),
        project_id: job.project_id.clone(),
        bus: engine.bus.clone(),
    };
    let mut handler = AbortOnDropHandle::new(tokio::spawn(jobs::run(spec, ctx)));
    let timeout = Duration::from_millis(job.timeout_ms);
    let joined = tokio::select! {
        // Also when the cancel request lands just as the handler ends: cancel wins.
        biased;
        () = cancel.cancelled() => None,
        joined = tokio::time::timeout(timeout, &mut handler) => Some(joined),
    };
    match joined {
        // The job ends `canceled` now; its handler, told by the same token, has a moment to
        // stop what it started elsewhere (a turn: `agent_instruction` interrupts it) before
        // it is aborted. Its answer no longer counts.
        None => {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(CANCEL_GRACE, handler).await;
            });
            Outcome::Canceled
        }
        Some(joined) => match joined {
            Err(_) => failed(
                engine,
                job,
                JobErrorClass::Timeout,
                format!(
                    "attempt {} timed out after {} ms",
                    job.attempts, job.timeout_ms
                ),
            ),
            Ok(Err(panic)) => failed(
                engine,
                job,
                JobErrorClass::Fatal,
                format!("job handler panicked: {panic}"),
            ),
            Ok(Ok(Ok(result))) => Outcome::Completed(result),
            Ok(Ok(Err(JobFailure { class, message }))) => failed(engine, job, class, message),
        },
    }
}

/// How long a canceled job's handler may go on to clean up before it is aborted.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// The stored spec as this build's [`Job`]: a kind or version it does not know is `invalid`.
fn decode(job: &JobInfo) -> Result<Job, String> {
    let spec: Job = serde_json::from_value(job.spec.clone())
        .map_err(|e| format!("stored {} job does not decode: {e}", job.kind))?;
    if spec.version() > spec.supported_version() {
        return Err(format!(
            "{} job version {} is newer than this worker reads ({})",
            job.kind,
            spec.version(),
            spec.supported_version()
        ));
    }
    Ok(spec)
}

/// A failed attempt: retried after a back-off when its class allows and attempts remain.
fn failed(engine: &Engine, job: &JobInfo, class: JobErrorClass, message: String) -> Outcome {
    let retry_in_ms = (class.is_retryable() && job.attempts < job.max_attempts)
        .then(|| retry::delay(&engine.cfg, job.attempts).as_millis() as i64);
    Outcome::Failed {
        class,
        message,
        retry_in_ms,
    }
}
