//! A killed worker's jobs come back after their lease; a graceful stop hands them back at once;
//! several workers never run one job twice; the outbox relays every event exactly once.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use cm_queue_worker::EngineConfig;
use cm_schemas::EventBody;
use cm_schemas::commands::queue;
use cm_schemas::job::{JobErrorClass, JobState};
use serde_json::json;

use crate::common::{Stack, T, fast, noop};

#[tokio::test]
async fn a_killed_workers_jobs_are_requeued_after_the_lease_and_completed_once() {
    let s = Stack::start().await;
    let lease = EngineConfig {
        lease: Duration::from_secs(1),
        ..fast()
    };
    let a = s.worker(lease.clone()).await;
    let retried = s
        .enqueue(noop(json!({"sleepMs": 2_000})), |r| {
            r.max_attempts = Some(3)
        })
        .await
        .job
        .id;
    let last_try = s
        .enqueue(noop(json!({"sleepMs": 2_000})), |r| {
            r.max_attempts = Some(1)
        })
        .await
        .job
        .id;
    s.wait_state(retried, JobState::Running, T).await;
    s.wait_state(last_try, JobState::Running, T).await;
    a.kill().await;
    let killed = Instant::now();

    let b = s.worker(lease).await;
    let job = s.wait_state(retried, JobState::Completed, T).await;
    assert!(
        killed.elapsed() >= Duration::from_secs(1),
        "not before the lease ran out"
    );
    assert_eq!(job.attempts, 2);
    let kinds = s.job_kinds_until(retried, "job.completed").await;
    assert_eq!(
        kinds,
        [
            "job.queued",
            "job.started",
            "job.retrying",
            "job.started",
            "job.completed"
        ]
    );
    let retrying = s
        .events(&format!("cm.v1.evt.job.{retried}.job.retrying"))
        .await;
    match &retrying[0].body {
        EventBody::JobRetrying { job } => {
            assert_eq!(
                job.error.as_ref().map(|e| e.class),
                Some(JobErrorClass::Lost)
            )
        }
        other => panic!("{other:?}"),
    }
    // Out of attempts: failed as lost, never run again.
    let job = s.wait_state(last_try, JobState::Failed, T).await;
    assert_eq!(
        (job.attempts, job.error.map(|e| e.class)),
        (1, Some(JobErrorClass::Lost))
    );
    b.stop().await;
}

#[tokio::test]
async fn a_graceful_stop_hands_running_jobs_back_without_spending_an_attempt() {
    let s = Stack::start().await;
    let a = s.worker(fast()).await;
    let id = s
        .enqueue(noop(json!({"sleepMs": 1_000})), |r| {
            r.max_attempts = Some(1)
        })
        .await
        .job
        .id;
    s.wait_state(id, JobState::Running, T).await;
    a.stop().await;
    let b = s.worker(fast()).await;
    let job = s.wait_state(id, JobState::Completed, T).await;
    assert_eq!(job.attempts, 1, "its only attempt was the second worker's");
    let kinds = s.job_kinds_until(id, "job.completed").await;
    assert_eq!(
        kinds,
        [
            "job.queued",
            "job.started",
            "job.retrying",
            "job.started",
            "job.completed"
        ]
    );
    let handed_back = s.events(&format!("cm.v1.evt.job.{id}.job.retrying")).await;
    match &handed_back[0].body {
        EventBody::JobRetrying { job } => assert_eq!(job.attempts, 0),
        other => panic!("{other:?}"),
    }
    b.stop().await;
}

#[tokio::test]
async fn two_workers_never_run_one_job_and_every_event_reaches_the_stream_once() {
    let s = Stack::start().await;
    let cfg = EngineConfig {
        concurrency: 8,
        ..fast()
    };
    let (a, b) = (s.worker(cfg.clone()).await, s.worker(cfg).await);
    let n = 200;
    let started = Instant::now();
    let enqueues = (0..n).map(|_| s.enqueue(noop(json!({"sleepMs": 10})), |_| {}));
    let ids: Vec<_> = futures::future::join_all(enqueues)
        .await
        .into_iter()
        .map(|e| e.job.id)
        .collect();
    let enqueued = started.elapsed();
    for id in &ids {
        let job = s.wait_state(*id, JobState::Completed, T).await;
        assert_eq!(job.attempts, 1, "claimed once");
    }
    let done = started.elapsed();
    println!("{n} jobs on 2 workers: enqueued in {enqueued:?}, all completed in {done:?}");

    // The relay catches up; then exactly 3 events per job, no event twice.
    let deadline = Instant::now() + T;
    let events = loop {
        let events = s.events("cm.v1.evt.job.>").await;
        if events.len() >= 3 * n || Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(events.len(), 3 * n);
    let unique: HashSet<_> = events.iter().map(|e| e.id).collect();
    assert_eq!(unique.len(), events.len(), "no event published twice");
    let mut per_job: HashMap<String, Vec<&str>> = HashMap::new();
    for e in &events {
        per_job
            .entry(e.scope_id.clone())
            .or_default()
            .push(e.body.kind());
    }
    assert_eq!(per_job.len(), n);
    assert!(
        per_job
            .values()
            .all(|k| *k == ["job.queued", "job.started", "job.completed"])
    );
    let stats = s
        .client
        .call::<queue::Stats>(&Default::default(), T)
        .await
        .unwrap();
    assert_eq!((stats.completed, stats.outbox_pending), (n as u64, 0));
    a.stop().await;
    b.stop().await;
}
