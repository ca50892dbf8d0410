//! The session service: the system of record. It serves `cm.v1.session.*` commands and applies
//! every event of `CM_EVENTS` to Postgres through a durable consumer.

mod apply;
mod commands;
mod consumer;
mod controls;
mod db;
mod history;
mod idempotency;
mod lifecycle;
mod projects;
mod queries;
mod requests;
mod row;
mod transcript;

use std::sync::Arc;
use std::time::Duration;

use cm_bus::{Bus, spawn_endpoint};
use cm_schemas::subjects::{prefix, service, verb};
use tokio_util::sync::CancellationToken;

pub use apply::item_text;
pub use db::migrate;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub pool_size: usize,
    /// How long a command waits for the runtime bridge.
    pub runtime_timeout: Duration,
}

impl Config {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            pool_size: 16,
            runtime_timeout: Duration::from_secs(60),
        }
    }
}

/// Migrates, then serves commands and consumes events until `shutdown` is cancelled.
pub async fn run(cfg: Config, bus: Bus, shutdown: CancellationToken) -> anyhow::Result<()> {
    db::migrate(&cfg.database_url).await?;
    let pool = db::pool(&cfg.database_url, cfg.pool_size)?;
    cm_bus::ensure_events_stream(bus.jetstream(), &Default::default()).await?;

    let svc = bus
        .start_service(
            service::SESSION,
            "Codex Manager session service: sessions, transcripts, event history",
        )
        .await
        .map_err(|e| anyhow::anyhow!("service start: {e}"))?;
    let group = cm_bus::Group::new(&svc, prefix::SESSION, &bus);
    let ctx = Arc::new(commands::Ctx {
        bus: bus.clone(),
        pool: pool.clone(),
        runtime_timeout: cfg.runtime_timeout,
    });
    let mut tasks = tokio::task::JoinSet::new();
    let t = &mut tasks;
    let e = |e: async_nats::Error| anyhow::anyhow!("endpoint: {e}");
    spawn_endpoint(&group, t, verb::SESSION_CREATE, &ctx, commands::create)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_LIST, &ctx, commands::list)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_GET, &ctx, commands::get)
        .await
        .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::SESSION_TURN_START,
        &ctx,
        commands::start_turn,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_TURN_STEER, &ctx, commands::steer)
        .await
        .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::SESSION_TURN_INTERRUPT,
        &ctx,
        commands::interrupt,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_EVENTS_PAGE, &ctx, history::page)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::REQUEST_LIST, &ctx, requests::list)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::REQUEST_DECIDE, &ctx, requests::decide)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::PROJECT_CREATE, &ctx, projects::create)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::PROJECT_LIST, &ctx, projects::list)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::PROJECT_GET, &ctx, projects::get)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::PROJECT_UPDATE, &ctx, projects::update)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::PROJECT_DELETE, &ctx, projects::delete)
        .await
        .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::PROJECT_MOVE_SESSIONS,
        &ctx,
        projects::move_sessions,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::PROJECT_DELETE_SESSIONS,
        &ctx,
        projects::delete_sessions,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_UPDATE, &ctx, lifecycle::update)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_ARCHIVE, &ctx, lifecycle::archive)
        .await
        .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::SESSION_UNARCHIVE,
        &ctx,
        lifecycle::unarchive,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_DELETE, &ctx, lifecycle::delete)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_FORK, &ctx, lifecycle::fork)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_COMPACT, &ctx, lifecycle::compact)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_ROLLBACK, &ctx, lifecycle::rollback)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_RESUME, &ctx, lifecycle::resume)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SESSION_REVIEW, &ctx, lifecycle::review)
        .await
        .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::SESSION_TERMINALS_CLEAN,
        &ctx,
        lifecycle::clean_terminals,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(&group, t, verb::IDEMPOTENCY_BEGIN, &ctx, idempotency::begin)
        .await
        .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::IDEMPOTENCY_COMPLETE,
        &ctx,
        idempotency::complete,
    )
    .await
    .map_err(e)?;

    spawn_endpoint(&group, t, verb::TRANSCRIPT_UPSERT, &ctx, transcript::upsert)
        .await
        .map_err(e)?;

    // Controls and settings (S5).
    spawn_endpoint(
        &group,
        t,
        verb::CONTROLS_DEFAULTS_GET,
        &ctx,
        controls::get_defaults,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::CONTROLS_DEFAULTS_SET,
        &ctx,
        controls::set_defaults,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(&group, t, verb::CONTROLS_GET, &ctx, controls::get)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::CONTROLS_SET, &ctx, controls::set)
        .await
        .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::SETTINGS_LIST,
        &ctx,
        controls::settings::list,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(&group, t, verb::SETTINGS_GET, &ctx, controls::settings::get)
        .await
        .map_err(e)?;
    spawn_endpoint(&group, t, verb::SETTINGS_SET, &ctx, controls::settings::set)
        .await
        .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::SETTINGS_MERGE,
        &ctx,
        controls::settings::merge,
    )
    .await
    .map_err(e)?;
    spawn_endpoint(
        &group,
        t,
        verb::SETTINGS_UNSET,
        &ctx,
        controls::settings::unset,
    )
    .await
    .map_err(e)?;

    let status = Arc::new(consumer::StatusCtx {
        bus: bus.clone(),
        pool: pool.clone(),
        health: Arc::new(consumer::ConsumerHealth::default()),
    });
    spawn_endpoint(&group, t, verb::CONSUMER_STATUS, &status, consumer::status)
        .await
        .map_err(e)?;

    consumer::run(bus.clone(), pool, status.health.clone(), shutdown.clone()).await;
    let _ = svc.stop().await;
    tasks.abort_all();
    bus.close().await;
    Ok(())
}
