//! Classified retries with back-off, fatal failures, exhausted attempts, time-outs.

use cm_schemas::job::{JobErrorClass, JobState};
use serde_json::json;

use crate::common::{Stack, T, fast, noop};

#[tokio::test]
async fn retryable_failures_are_retried_fatal_ones_are_not_and_attempts_run_out() {
    let s = Stack::start().await;
    let w = s.worker(fast()).await;
    let flaky = s
        .enqueue(noop(json!({"failAttempts": 2})), |r| {
            r.max_attempts = Some(3)
        })
        .await
        .job
        .id;
    let fatal = s
        .enqueue(noop(json!({"fatal": true})), |r| r.max_attempts = Some(3))
        .await
        .job
        .id;
    let hopeless = s
        .enqueue(noop(json!({"failAttempts": 5})), |r| {
            r.max_attempts = Some(2)
        })
        .await
        .job
        .id;

    let job = s.wait_state(flaky, JobState::Completed, T).await;
    assert_eq!(job.attempts, 3);
    let kinds = s.job_kinds_until(flaky, "job.completed").await;
    assert_eq!(
        kinds,
        [
            "job.queued",
            "job.started",
            "job.retrying",
            "job.started",
            "job.retrying",
            "job.started",
            "job.completed"
        ]
    );
    // The back-off is on the record: the second retry waited longer than the first.
    let events = s
        .events(&format!("cm.v1.evt.job.{flaky}.job.retrying"))
        .await;
    let waits: Vec<_> = events
        .iter()
        .map(|e| match &e.body {
            cm_schemas::EventBody::JobRetrying { job } => {
                assert_eq!(
                    job.error.as_ref().map(|e| e.class),
                    Some(JobErrorClass::Retryable)
                );
                job.run_after - job.updated_at
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(waits.len(), 2);
    assert!(waits[0].num_milliseconds() >= 45, "{waits:?}");
    assert!(waits[1].num_milliseconds() >= 95, "{waits:?}");

    let job = s.wait_state(fatal, JobState::Failed, T).await;
    assert_eq!(job.attempts, 1, "a fatal failure is not retried");
    assert_eq!(job.error.map(|e| e.class), Some(JobErrorClass::Fatal));
    let kinds = s.job_kinds_until(fatal, "job.failed").await;
    assert_eq!(kinds, ["job.queued", "job.started", "job.failed"]);

    let job = s.wait_state(hopeless, JobState::Failed, T).await;
    assert_eq!(job.attempts, 2);
    assert_eq!(job.error.map(|e| e.class), Some(JobErrorClass::Retryable));
    w.stop().await;
}

#[tokio::test]
async fn an_attempt_over_its_timeout_fails_as_timeout_and_is_retried() {
    let s = Stack::start().await;
    let w = s.worker(fast()).await;
    let id = s
        .enqueue(noop(json!({"sleepMs": 10_000})), |r| {
            r.timeout_ms = Some(200);
            r.max_attempts = Some(2);
        })
        .await
        .job
        .id;
    let job = s.wait_state(id, JobState::Failed, T).await;
    assert_eq!(job.attempts, 2);
    let error = job.error.unwrap();
    assert_eq!(error.class, JobErrorClass::Timeout);
    assert!(error.message.contains("timed out"), "{}", error.message);
    let kinds = s.job_kinds_until(id, "job.failed").await;
    assert_eq!(
        kinds,
        [
            "job.queued",
            "job.started",
            "job.retrying",
            "job.started",
            "job.failed"
        ]
    );
    w.stop().await;
}
