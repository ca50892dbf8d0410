//! A throw-away stack for the tests: NATS (with `CM_EVENTS`, as the session service would
//! create it), a Postgres database, workers started and stopped or killed at will, a client.

use std::time::Duration;

use cm_bus::Bus;
use cm_bus::auth::Principal;
use cm_queue_worker::{Config, EngineConfig};
use cm_schemas::commands::queue;
use cm_schemas::job::{EnqueueJob, Enqueued, JobInfo, JobPriority, JobRef, JobState};
use cm_schemas::{BusError, Event, subjects};
use cm_test_support::{NatsServer, Postgres};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const T: Duration = Duration::from_secs(10);

pub struct Stack {
    pub nats: NatsServer,
    _pg: Postgres,
    pub db: String,
    pub admin: Bus,
    /// A NATS-level client (the `automation` user, which may call `cm.v1.queue.*`).
    pub client: Bus,
}

pub struct Worker {
    token: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Worker {
    /// A graceful stop: running jobs are handed back.
    pub async fn stop(self) {
        self.token.cancel();
        self.task.await.unwrap().unwrap();
    }

    /// A crash: the worker's tasks die where they are, nothing is cleaned up.
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Short intervals, so that the tests are quick.
pub fn fast() -> EngineConfig {
    EngineConfig {
        concurrency: 4,
        lease: Duration::from_secs(2),
        heartbeat: Duration::from_millis(200),
        poll: Duration::from_millis(100),
        reap_every: Duration::from_millis(200),
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        ..Default::default()
    }
}

impl Stack {
    pub async fn start() -> Stack {
        cm_test_support::init_tracing();
        let nats = NatsServer::start().await.unwrap();
        let pg = Postgres::start().await.unwrap();
        let db = pg.create_database("queue").await.unwrap();
        let admin = nats.bus_as(Principal::Admin).await.unwrap();
        cm_bus::ensure_events_stream(admin.jetstream(), &Default::default())
            .await
            .unwrap();
        let client = nats.bus_as(Principal::Automation).await.unwrap();
        Stack {
            nats,
            _pg: pg,
            db,
            admin,
            client,
        }
    }

    /// Starts a worker and waits until it answers.
    pub async fn worker(&self, engine: EngineConfig) -> Worker {
        let bus = self.nats.bus_as(Principal::QueueWorker).await.unwrap();
        let mut cfg = Config::new(self.db.clone());
        cfg.engine = engine;
        let token = CancellationToken::new();
        let task = tokio::spawn(cm_queue_worker::run(cfg, bus, token.clone()));
        let client = self.client.clone();
        cm_test_support::wait_for("the queue worker", T, || {
            let client = client.clone();
            async move {
                client
                    .call::<queue::Stats>(&Default::default(), T)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            }
        })
        .await
        .unwrap();
        Worker { token, task }
    }

    pub async fn enqueue(&self, spec: Value, f: impl FnOnce(&mut EnqueueJob)) -> Enqueued {
        self.try_enqueue(spec, f).await.unwrap()
    }

    pub async fn try_enqueue(
        &self,
        spec: Value,
        f: impl FnOnce(&mut EnqueueJob),
    ) -> Result<Enqueued, BusError> {
        let mut req = EnqueueJob {
            spec,
            priority: JobPriority::Background,
            project_id: None,
            session_id: None,
            dedupe_key: None,
            max_attempts: None,
            run_after: None,
            timeout_ms: None,
        };
        f(&mut req);
        self.client.call::<queue::JobEnqueue>(&req, T).await
    }

    pub async fn get(&self, id: Uuid) -> JobInfo {
        self.client
            .call::<queue::JobGet>(&JobRef { job_id: id }, T)
            .await
            .unwrap()
    }

    /// Waits until the job is in `state`.
    pub async fn wait_state(&self, id: Uuid, state: JobState, within: Duration) -> JobInfo {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let job = self.get(id).await;
            if job.state == state {
                return job;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {id} still {:?} (wanted {state:?}): {job:?}",
                job.state
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every event on `CM_EVENTS` under `filter`, in stream order.
    pub async fn events(&self, filter: &str) -> Vec<Event> {
        let stream = self
            .admin
            .jetstream()
            .get_stream(subjects::EVENTS_STREAM)
            .await
            .unwrap();
        let consumer = stream
            .create_consumer(async_nats::jetstream::consumer::pull::Config {
                filter_subject: filter.to_owned(),
                ack_policy: async_nats::jetstream::consumer::AckPolicy::None,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut out = Vec::new();
        let mut batch = consumer
            .fetch()
            .max_messages(10_000)
            .expires(Duration::from_millis(300))
            .messages()
            .await
            .unwrap();
        while let Some(msg) = batch.next().await {
            out.push(serde_json::from_slice(&msg.unwrap().payload).unwrap());
        }
        out
    }

    /// The kinds of the job's events, once the last one is `last` (waits for the relay).
    pub async fn job_kinds_until(&self, id: Uuid, last: &str) -> Vec<String> {
        let filter = subjects::event_filter(cm_schemas::Scope::Job, &id.to_string());
        let deadline = tokio::time::Instant::now() + T;
        loop {
            let kinds: Vec<String> = self
                .events(&filter)
                .await
                .iter()
                .map(|e| e.body.kind().to_owned())
                .collect();
            if kinds.last().map(String::as_str) == Some(last) {
                return kinds;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {id}: events {kinds:?}, waiting for {last}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn noop(extra: Value) -> Value {
    let mut spec = json!({"kind": "noop"});
    if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
        s.extend(e.clone());
    }
    spec
}
