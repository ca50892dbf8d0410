//! The session service: the system of record. It serves `cm.v1.session.*` commands and applies
//! every event of `CM_EVENTS` to Postgres through a durable consumer.

mod apply;
mod commands;
mod consumer;
mod controls;
mod ctx;
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

use cm_bus::Bus;
use cm_schemas::commands::session;
use cm_schemas::subjects::{prefix, service};
use tokio_util::sync::CancellationToken;

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
    let ctx = Arc::new(ctx::Ctx {
        bus: bus.clone(),
        pool: pool.clone(),
        runtime_timeout: cfg.runtime_timeout,
    });
    let mut tasks = tokio::task::JoinSet::new();
    let (g, t) = (&group, &mut tasks);
    // Sessions and turns.
    g.endpoint(session::Create, t, &ctx, commands::create)
        .await?;
    g.endpoint(session::List, t, &ctx, commands::list).await?;
    g.endpoint(session::Get, t, &ctx, commands::get).await?;
    g.endpoint(session::TurnStart, t, &ctx, commands::start_turn)
        .await?;
    g.endpoint(session::TurnSteer, t, &ctx, commands::steer)
        .await?;
    g.endpoint(session::TurnInterrupt, t, &ctx, commands::interrupt)
        .await?;
    g.endpoint(session::EventsPage, t, &ctx, history::page)
        .await?;
    g.endpoint(session::RequestList, t, &ctx, requests::list)
        .await?;
    g.endpoint(session::RequestDecide, t, &ctx, requests::decide)
        .await?;
    // Projects.
    g.endpoint(session::ProjectCreate, t, &ctx, projects::create)
        .await?;
    g.endpoint(session::ProjectList, t, &ctx, projects::list)
        .await?;
    g.endpoint(session::ProjectGet, t, &ctx, projects::get)
        .await?;
    g.endpoint(session::ProjectUpdate, t, &ctx, projects::update)
        .await?;
    g.endpoint(session::ProjectDelete, t, &ctx, projects::delete)
        .await?;
    g.endpoint(
        session::ProjectMoveSessions,
        t,
        &ctx,
        projects::move_sessions,
    )
    .await?;
    g.endpoint(
        session::ProjectDeleteSessions,
        t,
        &ctx,
        projects::delete_sessions,
    )
    .await?;
    // Session lifecycle.
    g.endpoint(session::Update, t, &ctx, lifecycle::update)
        .await?;
    g.endpoint(session::Archive, t, &ctx, lifecycle::archive)
        .await?;
    g.endpoint(session::Unarchive, t, &ctx, lifecycle::unarchive)
        .await?;
    g.endpoint(session::Delete, t, &ctx, lifecycle::delete)
        .await?;
    g.endpoint(session::Fork, t, &ctx, lifecycle::fork).await?;
    g.endpoint(session::Compact, t, &ctx, lifecycle::compact)
        .await?;
    g.endpoint(session::Rollback, t, &ctx, lifecycle::rollback)
        .await?;
    g.endpoint(session::Resume, t, &ctx, lifecycle::resume)
        .await?;
    g.endpoint(session::Review, t, &ctx, lifecycle::review)
        .await?;
    g.endpoint(session::TerminalsClean, t, &ctx, lifecycle::clean_terminals)
        .await?;
    // Idempotency keys and system-owned transcripts.
    g.endpoint(session::IdempotencyBegin, t, &ctx, idempotency::begin)
        .await?;
    g.endpoint(session::IdempotencyComplete, t, &ctx, idempotency::complete)
        .await?;
    g.endpoint(session::TranscriptUpsert, t, &ctx, transcript::upsert)
        .await?;
    // Controls and settings.
    g.endpoint(
        session::ControlsDefaultsGet,
        t,
        &ctx,
        controls::get_defaults,
    )
    .await?;
    g.endpoint(
        session::ControlsDefaultsSet,
        t,
        &ctx,
        controls::set_defaults,
    )
    .await?;
    g.endpoint(session::ControlsGet, t, &ctx, controls::get)
        .await?;
    g.endpoint(session::ControlsSet, t, &ctx, controls::set)
        .await?;
    g.endpoint(session::SettingsList, t, &ctx, controls::settings::list)
        .await?;
    g.endpoint(session::SettingsGet, t, &ctx, controls::settings::get)
        .await?;
    g.endpoint(session::SettingsSet, t, &ctx, controls::settings::set)
        .await?;
    g.endpoint(session::SettingsMerge, t, &ctx, controls::settings::merge)
        .await?;
    g.endpoint(session::SettingsUnset, t, &ctx, controls::settings::unset)
        .await?;

    let status = Arc::new(consumer::StatusCtx {
        bus: bus.clone(),
        pool: pool.clone(),
        health: Arc::new(consumer::ConsumerHealth::default()),
    });
    g.endpoint(session::ConsumerStatus, t, &status, consumer::status)
        .await?;

    consumer::run(bus.clone(), pool, status.health.clone(), shutdown.clone()).await;
    let _ = svc.stop().await;
    tasks.abort_all();
    bus.close().await;
    Ok(())
}
