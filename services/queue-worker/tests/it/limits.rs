//! Cancel (queued and running, on either replica) and capacity (`queue_full`).

use std::time::{Duration, Instant};

use cm_queue_worker::EngineConfig;
use cm_schemas::ErrorCode;
use cm_schemas::commands::queue;
use cm_schemas::job::{JobRef, JobState};
use serde_json::json;

use crate::common::{Stack, T, fast, noop};

#[tokio::test]
async fn a_queued_job_is_canceled_at_once_a_running_one_within_a_second() {
    let s = Stack::start().await;
    // Two replicas: a cancel lands on either, so both the local interrupt and the one the
    // other replica learns of through its heartbeat are exercised.
    let (a, b) = (s.worker(fast()).await, s.worker(fast()).await);
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let queued = s
        .enqueue(noop(json!({})), |r| r.run_after = Some(later))
        .await
        .job
        .id;
    let job = s
        .client
        .call::<queue::JobCancel>(&JobRef { job_id: queued }, T)
        .await
        .unwrap();
    assert_eq!(job.state, JobState::Canceled);
    assert_eq!(
        s.job_kinds_until(queued, "job.canceled").await,
        ["job.queued", "job.canceled"]
    );

    let mut running = Vec::new();
    for _ in 0..4 {
        running.push(
            s.enqueue(noop(json!({"sleepMs": 60_000})), |_| {})
                .await
                .job
                .id,
        );
    }
    for id in &running {
        s.wait_state(*id, JobState::Running, T).await;
    }
    for id in running {
        let asked = Instant::now();
        let job = s
            .client
            .call::<queue::JobCancel>(&JobRef { job_id: id }, T)
            .await
            .unwrap();
        assert!(job.cancel_requested);
        let job = s
            .wait_state(id, JobState::Canceled, Duration::from_secs(1))
            .await;
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "{:?}",
            asked.elapsed()
        );
        assert_eq!(job.attempts, 1);
        assert_eq!(
            s.job_kinds_until(id, "job.canceled").await,
            ["job.queued", "job.started", "job.canceled"]
        );
    }
    // Canceling a finished job changes nothing.
    let again = s
        .client
        .call::<queue::JobCancel>(&JobRef { job_id: queued }, T)
        .await
        .unwrap();
    assert_eq!(again.state, JobState::Canceled);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn over_capacity_an_enqueue_is_refused_queue_full_with_a_retry_after() {
    let s = Stack::start().await;
    let w = s
        .worker(EngineConfig {
            max_active: 3,
            max_active_per_project: 2,
            ..fast()
        })
        .await;
    let long = noop(json!({"sleepMs": 60_000}));
    for _ in 0..2 {
        s.enqueue(long.clone(), |r| r.project_id = Some("p".into()))
            .await;
    }
    let full = s
        .try_enqueue(long.clone(), |r| r.project_id = Some("p".into()))
        .await
        .unwrap_err();
    assert_eq!(full.code, ErrorCode::RateLimited);
    assert_eq!(full.details["reason"], "queue_full");
    assert_eq!(full.details["scope"], "project");
    assert!(full.details["retryAfterSecs"].as_u64().unwrap() >= 1);
    // Another project still has room, until the global limit.
    s.enqueue(long.clone(), |r| r.project_id = Some("q".into()))
        .await;
    let full = s.try_enqueue(long.clone(), |_| {}).await.unwrap_err();
    assert_eq!(
        (full.code, full.details["scope"].as_str()),
        (ErrorCode::RateLimited, Some("global"))
    );
    // A duplicate of an active job is answered, not refused: it adds nothing.
    w.stop().await;
}
