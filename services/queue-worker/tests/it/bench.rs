//! A rough throughput measure (ignored by default: `cargo test -p cm-queue-worker --test it
//! -- --ignored --nocapture bench`): 1000 `noop` jobs enqueued by 16 concurrent clients and
//! run by one worker with 16 slots.

use std::time::Instant;

use cm_queue_worker::EngineConfig;
use cm_schemas::commands::queue;
use futures::StreamExt;
use serde_json::json;

use crate::common::{Stack, T, fast, noop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn bench_enqueue_and_run_1000_noop_jobs() {
    let s = Stack::start().await;
    let w = s
        .worker(EngineConfig {
            concurrency: 16,
            ..fast()
        })
        .await;
    let n = 1000;
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|_| s.enqueue(noop(json!({})), |_| {}))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let enqueued = started.elapsed();
    loop {
        let stats = s
            .client
            .call::<queue::Stats>(&Default::default(), T)
            .await
            .unwrap();
        if stats.completed == n && stats.outbox_pending == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let done = started.elapsed();
    println!(
        "{n} jobs: enqueued in {enqueued:?} ({:.0}/s); completed and every event on CM_EVENTS \
         after {done:?} ({:.0} jobs/s end to end)",
        n as f64 / enqueued.as_secs_f64(),
        n as f64 / done.as_secs_f64()
    );
    w.stop().await;
}

/// The engine without the bus: the enqueue transaction alone (the bus round trip of a debug
/// build is dominated by its unoptimized Ed25519 request signatures).
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn bench_enqueue_transactions_without_the_bus() {
    use cm_queue_worker::engine::{Engine, store};
    let s = Stack::start().await;
    cm_queue_worker::migrate(&s.db).await.unwrap();
    let pool = cm_pg::pool(&s.db, 16).unwrap();
    let engine = Engine::new(pool, s.admin.clone(), fast());
    let n = 2000;
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|_| {
            let job = cm_schemas::job::Job::Noop(Default::default());
            let new = store::NewJob {
                spec: serde_json::to_value(&job).unwrap(),
                job,
                req: serde_json::from_value(json!({"spec": {"kind": "noop"}})).unwrap(),
                max_attempts: 3,
                timeout_ms: 1000,
            };
            let engine = &engine;
            async move { store::enqueue(engine, new).await.unwrap() }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let took = started.elapsed();
    println!(
        "{n} enqueue transactions (16 at once): {took:?} ({:.0}/s)",
        n as f64 / took.as_secs_f64()
    );
}
