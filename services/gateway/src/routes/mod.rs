//! The `/api` router. One file per resource family.
//!
//! Nothing here reads `crate::openapi`: the document is built from these routers
//! ([`documented`], [`public`]) and the system table, so it depends on the routes and never the
//! other way round.

mod controls;
mod events;
mod health;
mod jobs;
mod lifecycle;
mod projects;
mod requests;
mod services;
mod sessions;
mod system;
mod transcript;

use std::sync::Arc;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::require_token;
use crate::idempotency::{self, Idempotency};
use crate::state::AppState;

pub use events::KINDS_PATTERN;

/// Every documented `/api` operation but the pass-through system routes (see [`system`]),
/// routed and described by the same `#[utoipa::path]` attributes, so the OpenAPI document
/// cannot list a route that does not exist or miss one that does.
pub(crate) fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::ready))
        .routes(routes!(system::capabilities::capabilities))
        .routes(routes!(services::list))
        // Sessions and turns (S2).
        .routes(routes!(sessions::create, sessions::list))
        .routes(routes!(sessions::get, lifecycle::update, lifecycle::delete))
        .routes(routes!(sessions::send_message))
        .routes(routes!(sessions::steer))
        .routes(routes!(sessions::interrupt))
        // Lifecycle.
        .routes(routes!(lifecycle::archive))
        .routes(routes!(lifecycle::unarchive))
        .routes(routes!(lifecycle::fork))
        .routes(routes!(lifecycle::compact))
        .routes(routes!(lifecycle::rollback))
        .routes(routes!(lifecycle::resume))
        .routes(routes!(lifecycle::review))
        .routes(routes!(lifecycle::clean_terminals))
        // Supplemental transcript entries (S3).
        .routes(routes!(transcript::upsert))
        // Pending requests (S4).
        .routes(routes!(requests::list))
        .routes(routes!(requests::list_all))
        .routes(routes!(requests::decide))
        // Streams (A3).
        .routes(routes!(events::session::session_events))
        .routes(routes!(events::global::global_events))
        // Projects (S1).
        .routes(routes!(projects::create, projects::list))
        .routes(routes!(projects::get, projects::update, projects::delete))
        .routes(routes!(projects::move_sessions))
        .routes(routes!(projects::delete_sessions))
        // Controls and settings (S5).
        .routes(routes!(controls::get_defaults, controls::put_defaults))
        .routes(routes!(
            controls::get_session,
            controls::put_session,
            controls::patch_session
        ))
        .routes(routes!(controls::list_settings))
        .routes(routes!(
            controls::get_setting,
            controls::put_setting,
            controls::patch_setting,
            controls::delete_setting
        ))
        .routes(routes!(controls::list_session_settings))
        .routes(routes!(
            controls::get_session_setting,
            controls::put_session_setting,
            controls::patch_session_setting,
            controls::delete_session_setting
        ))
        // Durable jobs (Q1).
        .routes(routes!(jobs::enqueue, jobs::list))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::cancel))
}

/// The public routes but the API description, which `crate::openapi` routes itself.
pub(crate) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health::health))
}

pub fn router(state: AppState, token: Arc<str>) -> Router {
    let (protected, _) = documented().split_for_parts();
    let protected = protected
        .route_layer(axum::middleware::from_fn(crate::body_shape::middleware))
        // System routes (A4, R6).
        .merge(system::routes())
        .layer(axum::middleware::from_fn_with_state(
            Idempotency::new(state.clone(), &token),
            idempotency::middleware,
        ))
        // Path ids are checked before the idempotency store or any handler sees them.
        .route_layer(axum::middleware::from_fn(crate::params::check_path))
        .route_layer(axum::middleware::from_fn_with_state(token, require_token));
    let (public, _) = public().split_for_parts();
    public.merge(protected).with_state(state)
}

pub use system::API_VERSION;
pub(crate) use system::{Http, Kind, Params, ROUTES as SYSTEM_ROUTES};
