//! Starting and restarting the stack.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cm_bus::Bus;
use cm_bus::auth::Principal;
use cm_mock_model::{MockModel, Script};
use cm_runtime_bridge::appserver::SpawnConfig;
use cm_test_support::{CodexHome, NatsServer, Postgres};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client::Api;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Gateway,
    Session,
    RuntimeBridge,
    QueueWorker,
}

impl Service {
    pub fn principal(self) -> Principal {
        match self {
            Service::Gateway => Principal::Gateway,
            Service::Session => Principal::Session,
            Service::RuntimeBridge => Principal::RuntimeBridge,
            Service::QueueWorker => Principal::QueueWorker,
        }
    }
}

struct Running {
    token: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    /// The service's own task, for a kill without any shutdown.
    inner: tokio::task::AbortHandle,
    /// Its NATS connection: a killed process's connection goes away with it.
    nats: async_nats::Client,
}

pub struct TestStack {
    pub nats: NatsServer,
    pub pg: Postgres,
    pub mock: MockModel,
    pub codex_home: CodexHome,
    pub api: Api,
    pub session_db: String,
    pub queue_db: String,
    pub workdir: tempfile::TempDir,
    gateway_addr: SocketAddr,
    token: String,
    running: HashMap<Service, Running>,
    bridge_hook: Box<dyn Fn(&mut cm_runtime_bridge::Config) + Send + Sync>,
    gateway_hook: Box<dyn Fn(&mut cm_gateway::Config) + Send + Sync>,
    queue_hook: Box<dyn Fn(&mut cm_queue_worker::Config) + Send + Sync>,
}

impl TestStack {
    /// The stack with the given model script.
    pub async fn start(script: Script) -> anyhow::Result<Self> {
        Self::start_with(script, |_| {}).await
    }

    /// The stack with a bridge configuration hook (approval policy, sandbox, test-only methods);
    /// the hook applies again on every restart of the bridge.
    pub async fn start_with(
        script: Script,
        bridge: impl Fn(&mut cm_runtime_bridge::Config) + Send + Sync + 'static,
    ) -> anyhow::Result<Self> {
        Self::start_with_hooks(script, bridge, |_| {}).await
    }

    /// The stack with a gateway configuration hook (stream limits, heartbeats), applied again on
    /// every restart of the gateway.
    pub async fn start_with_gateway(
        script: Script,
        gateway: impl Fn(&mut cm_gateway::Config) + Send + Sync + 'static,
    ) -> anyhow::Result<Self> {
        Self::start_with_hooks(script, |_| {}, gateway).await
    }

    async fn start_with_hooks(
        script: Script,
        bridge: impl Fn(&mut cm_runtime_bridge::Config) + Send + Sync + 'static,
        gateway: impl Fn(&mut cm_gateway::Config) + Send + Sync + 'static,
    ) -> anyhow::Result<Self> {
        cm_test_support::init_tracing();
        let (nats, pg) = tokio::try_join!(NatsServer::start(), Postgres::start())?;
        let session_db = pg.create_database("session").await?;
        let queue_db = pg.create_database("queue").await?;
        let mock = MockModel::start(Arc::new(script)).await?;
        let codex_home = CodexHome::create(&mock.base_url())?;
        let workdir = tempfile::tempdir()?;
        let gateway_addr: SocketAddr =
            format!("127.0.0.1:{}", cm_test_support::free_port()).parse()?;
        let token = format!("test-token-{}", std::process::id());
        let api = Api::new(format!("http://{gateway_addr}"), token.clone());
        let mut stack = Self {
            nats,
            pg,
            mock,
            codex_home,
            api,
            session_db,
            queue_db,
            workdir,
            gateway_addr,
            token,
            running: HashMap::new(),
            bridge_hook: Box::new(bridge),
            gateway_hook: Box::new(gateway),
            queue_hook: Box::new(|_| {}),
        };
        for svc in [
            Service::Session,
            Service::RuntimeBridge,
            Service::QueueWorker,
            Service::Gateway,
        ] {
            stack.start_service(svc).await?;
        }
        stack.wait_ready().await?;
        Ok(stack)
    }

    /// Waits until `GET /api/ready` says every dependency is ready.
    pub async fn wait_ready(&self) -> anyhow::Result<()> {
        let api = self.api.clone();
        cm_test_support::wait_for("stack ready", Duration::from_secs(60), move || {
            let api = api.clone();
            async move {
                match api.get_raw("/api/ready").await? {
                    (200, body) => Ok(body),
                    (status, body) => Err(anyhow::anyhow!("{status} {body}")),
                }
            }
        })
        .await
        .map(|_| ())
    }

    /// A bus as `admin`, the operator's user with every permission (it may name any actor).
    pub async fn bus(&self) -> anyhow::Result<Bus> {
        self.nats.bus_as(Principal::Admin).await
    }

    pub async fn start_service(&mut self, svc: Service) -> anyhow::Result<()> {
        // Each service logs in as its own NATS user, as under `up`: the suite runs confined to
        // the bus permissions.
        let bus = self
            .nats
            .bus_as(svc.principal())
            .await
            .context("connect to nats")?;
        let nats = bus.client().clone();
        let token = CancellationToken::new();
        let t = token.clone();
        let task = match svc {
            Service::Session => {
                let cfg = cm_session::Config::new(self.session_db.clone());
                tokio::spawn(async move { cm_session::run(cfg, bus, t).await })
            }
            Service::QueueWorker => {
                let mut cfg = cm_queue_worker::Config::new(self.queue_db.clone());
                (self.queue_hook)(&mut cfg);
                tokio::spawn(async move { cm_queue_worker::run(cfg, bus, t).await })
            }
            Service::RuntimeBridge => {
                let bin = cm_test_support::codex_bin().context(
                    "codex binary not found: run scripts/install-deps.sh or set CODEX_BIN",
                )?;
                let env = self
                    .codex_home
                    .envs()
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_string_lossy().into_owned()))
                    .collect();
                let spawn = SpawnConfig {
                    bin,
                    codex_home: Some(self.codex_home.path().to_owned()),
                    args: ["--enable", "default_mode_request_user_input"]
                        .map(String::from)
                        .to_vec(),
                    env,
                };
                let mut cfg = cm_runtime_bridge::Config::new(spawn, self.workdir.path().to_owned());
                cfg.backoff_initial = Duration::from_millis(50);
                (self.bridge_hook)(&mut cfg);
                tokio::spawn(async move { cm_runtime_bridge::run(cfg, bus, t).await })
            }
            Service::Gateway => {
                let mut cfg = cm_gateway::Config::new(self.token.clone());
                cfg.access_log = crate::coverage::access_log_file(self.gateway_addr.port());
                (self.gateway_hook)(&mut cfg);
                let addr = self.gateway_addr;
                // The old listener may take a moment to be released after a restart.
                let listener = cm_test_support::wait_for(
                    "gateway port",
                    Duration::from_secs(10),
                    move || async move { Ok(tokio::net::TcpListener::bind(addr).await?) },
                )
                .await?;
                tokio::spawn(async move { cm_gateway::run(cfg, bus, listener, t).await })
            }
        };
        // A service that fails says why at once, instead of surfacing as "not ready" later.
        let inner = task.abort_handle();
        let task = tokio::spawn(async move {
            let result = task
                .await
                .map_err(|e| anyhow::anyhow!("{svc:?} panicked: {e}"))?;
            if let Err(e) = &result {
                eprintln!("service {svc:?} failed: {e:#}");
            }
            result
        });
        self.running.insert(
            svc,
            Running {
                token,
                task,
                inner,
                nats,
            },
        );
        Ok(())
    }

    /// Sets the queue worker's configuration hook (capacity, time-outs) and restarts the worker
    /// with it; the hook applies again on every later restart.
    pub async fn configure_queue_worker(
        &mut self,
        hook: impl Fn(&mut cm_queue_worker::Config) + Send + Sync + 'static,
    ) -> anyhow::Result<()> {
        self.queue_hook = Box::new(hook);
        self.restart_service(Service::QueueWorker).await
    }

    /// Stops a service gracefully and waits for it to finish.
    pub async fn stop_service(&mut self, svc: Service) -> anyhow::Result<()> {
        if let Some(r) = self.running.remove(&svc) {
            r.token.cancel();
            match tokio::time::timeout(Duration::from_secs(15), r.task).await {
                Ok(Ok(result)) => result?,
                Ok(Err(join)) => anyhow::bail!("{svc:?} panicked: {join}"),
                Err(_) => anyhow::bail!("{svc:?} did not stop within 15 s"),
            }
        }
        Ok(())
    }

    /// Stops and starts a service, then waits until the stack is ready again.
    pub async fn restart_service(&mut self, svc: Service) -> anyhow::Result<()> {
        self.stop_service(svc).await?;
        self.start_service(svc).await?;
        self.wait_ready().await
    }

    /// Aborts a service task without any graceful shutdown: the in-process equivalent of
    /// `kill -9` (its app-server child is killed with it).
    pub async fn kill_service(&mut self, svc: Service) {
        if let Some(r) = self.running.remove(&svc) {
            r.inner.abort();
            let _ = r.task.await;
            // In-process, tasks the service spawned could keep its connection (and so its
            // subscriptions) alive; a killed process's connection is gone, so close it.
            let _ = r.nats.drain().await;
        }
    }

    /// Whether a service task has ended (it should not, unless stopped).
    pub fn service_finished(&self, svc: Service) -> bool {
        self.running.get(&svc).is_none_or(|r| r.task.is_finished())
    }
}

impl Drop for TestStack {
    fn drop(&mut self) {
        for r in self.running.values() {
            r.token.cancel();
        }
    }
}
