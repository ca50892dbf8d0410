//! Enqueue to completion, events in order, reads and lists, dedupe, priority, bad specs.

use std::time::Duration;

use cm_schemas::ErrorCode;
use cm_schemas::commands::queue;
use cm_schemas::job::{JobPriority, JobState, ListJobs};
use serde_json::json;

use crate::common::{Stack, T, fast, noop};

#[tokio::test]
async fn a_job_runs_to_completed_with_its_events_in_order() {
    let s = Stack::start().await;
    let w = s.worker(fast()).await;
    let e = s
        .enqueue(noop(json!({"sleepMs": 20})), |r| {
            r.project_id = Some("p1".into());
            r.session_id = Some("s1".into());
        })
        .await;
    assert!(!e.deduplicated);
    assert_eq!((e.job.state, e.job.attempts), (JobState::Queued, 0));
    let job = s.wait_state(e.job.id, JobState::Completed, T).await;
    assert_eq!(job.attempts, 1);
    assert_eq!(
        job.result.as_ref().and_then(|r| r.get("attempt")),
        Some(&json!(1))
    );
    assert!(job.finished_at.is_some() && job.started_at.is_some() && job.error.is_none());
    let kinds = s.job_kinds_until(job.id, "job.completed").await;
    assert_eq!(kinds, ["job.queued", "job.started", "job.completed"]);
    // Each event carries the record as of its transition.
    let events = s.events(&format!("cm.v1.evt.job.{}.>", job.id)).await;
    assert!(events.iter().all(|e| e.scope_id == job.id.to_string()));

    let page = s
        .client
        .call::<queue::JobList>(
            &ListJobs {
                state: Some(JobState::Completed),
                project_id: Some("p1".into()),
                ..Default::default()
            },
            T,
        )
        .await
        .unwrap();
    assert_eq!(page.jobs.len(), 1);
    let stats = s
        .client
        .call::<queue::Stats>(&Default::default(), T)
        .await
        .unwrap();
    assert_eq!((stats.completed, stats.queued, stats.running), (1, 0, 0));
    assert_eq!(stats.outbox_pending, 0, "every event was relayed");
    w.stop().await;
}

#[tokio::test]
async fn concurrent_enqueues_with_one_dedupe_key_make_one_job() {
    let s = Stack::start().await;
    let w = s.worker(fast()).await;
    let spec = noop(json!({"sleepMs": 1500}));
    let calls = (0..20).map(|_| s.enqueue(spec.clone(), |r| r.dedupe_key = Some("same".into())));
    let answers = futures::future::join_all(calls).await;
    let first = answers[0].job.id;
    assert!(
        answers.iter().all(|a| a.job.id == first),
        "one job for one key"
    );
    assert_eq!(answers.iter().filter(|a| !a.deduplicated).count(), 1);
    let page = s
        .client
        .call::<queue::JobList>(&ListJobs::default(), T)
        .await
        .unwrap();
    assert_eq!(page.jobs.len(), 1);
    // Single flight only while it is queued or running: afterwards the key is free again.
    s.wait_state(first, JobState::Completed, T).await;
    let again = s
        .enqueue(spec.clone(), |r| r.dedupe_key = Some("same".into()))
        .await;
    assert!(!again.deduplicated && again.job.id != first);
    w.stop().await;
}

#[tokio::test]
async fn interactive_jobs_are_taken_before_background_ones() {
    let s = Stack::start().await;
    // One slot: jobs run one after the other, in the order they are taken.
    let w = s
        .worker(cm_queue_worker::EngineConfig {
            concurrency: 1,
            ..fast()
        })
        .await;
    // All due at the same moment, the interactive one enqueued last.
    let due = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let mut background = Vec::new();
    for _ in 0..3 {
        let e = s
            .enqueue(noop(json!({"sleepMs": 50})), |r| r.run_after = Some(due))
            .await;
        background.push(e.job.id);
    }
    let interactive = s
        .enqueue(noop(json!({"sleepMs": 50})), |r| {
            r.priority = JobPriority::Interactive;
            r.run_after = Some(due);
        })
        .await
        .job
        .id;
    let first = s.wait_state(interactive, JobState::Completed, T).await;
    for id in background {
        let job = s.wait_state(id, JobState::Completed, T).await;
        assert!(first.started_at < job.started_at, "interactive first");
    }
    w.stop().await;
}

#[tokio::test]
async fn bad_specs_and_fields_are_validation_errors_naming_the_field() {
    let s = Stack::start().await;
    let w = s.worker(fast()).await;
    let field = |r: Result<cm_schemas::job::Enqueued, cm_schemas::BusError>| {
        let e = r.expect_err("refused");
        assert_eq!(e.code, ErrorCode::Validation, "{e}");
        e.details["field"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(
        field(s.try_enqueue(json!({"kind": "nope"}), |_| {}).await),
        "spec.kind"
    );
    assert_eq!(
        field(s.try_enqueue(json!({"sleepMs": 1}), |_| {}).await),
        "spec.kind"
    );
    assert_eq!(
        field(s.try_enqueue(noop(json!({"slepMs": 1})), |_| {}).await),
        "spec"
    );
    assert_eq!(
        field(s.try_enqueue(noop(json!({"version": 2})), |_| {}).await),
        "spec.version"
    );
    assert_eq!(
        field(
            s.try_enqueue(noop(json!({})), |r| r.max_attempts = Some(0))
                .await
        ),
        "maxAttempts"
    );
    assert_eq!(
        field(
            s.try_enqueue(noop(json!({})), |r| r.timeout_ms = Some(0))
                .await
        ),
        "timeoutMs"
    );
    // Paging: newest first, a cursor to the next page, every job exactly once.
    for _ in 0..5 {
        s.enqueue(noop(json!({})), |_| {}).await;
    }
    let (mut seen, mut cursor) = (Vec::new(), None);
    loop {
        let page = s
            .client
            .call::<queue::JobList>(
                &ListJobs {
                    limit: Some(2),
                    cursor: cursor.clone(),
                    ..Default::default()
                },
                T,
            )
            .await
            .unwrap();
        seen.extend(page.jobs.iter().map(|j| j.id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");
    tokio::time::sleep(Duration::from_millis(10)).await;
    w.stop().await;
}
