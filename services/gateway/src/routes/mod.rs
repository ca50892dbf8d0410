//! The `/api` router. One file per resource family.

mod controls;
mod events;
mod health;
mod lifecycle;
mod projects;
mod requests;
mod sessions;
mod system;

use std::sync::Arc;

use axum::Router;
use axum::routing::patch;
use axum::routing::{get, post};

use crate::auth::require_token;
use crate::idempotency::{self, Idempotency};
use crate::state::AppState;

pub use events::{Streams, StreamsConfig};

pub fn router(state: AppState, token: Arc<str>) -> Router {
    let protected = Router::new()
        .route("/api/ready", get(health::ready))
        .route("/api/sessions", post(sessions::create).get(sessions::list))
        .route("/api/sessions/{id}", get(sessions::get))
        .route("/api/sessions/{id}/messages", post(sessions::send_message))
        .route("/api/sessions/{id}/events", get(events::session_events))
        .route("/api/events", get(events::global_events))
        .route("/api/sessions/{id}/steer", post(sessions::steer))
        .route("/api/sessions/{id}/interrupt", post(sessions::interrupt))
        .route("/api/sessions/{id}/requests", get(requests::list))
        .route(
            "/api/sessions/{id}/requests/{request_id}/decision",
            post(requests::decide),
        )
        .route("/api/projects", post(projects::create).get(projects::list))
        .route(
            "/api/projects/{id}",
            get(projects::get)
                .patch(projects::update)
                .delete(projects::delete),
        )
        .route(
            "/api/projects/{id}/sessions/move",
            post(projects::move_sessions),
        )
        .route(
            "/api/projects/{id}/sessions/delete",
            post(projects::delete_sessions),
        )
        .route(
            "/api/sessions/{id}",
            patch(lifecycle::update).delete(lifecycle::delete),
        )
        .route("/api/sessions/{id}/archive", post(lifecycle::archive))
        .route("/api/sessions/{id}/unarchive", post(lifecycle::unarchive))
        .route("/api/sessions/{id}/fork", post(lifecycle::fork))
        .route("/api/sessions/{id}/compact", post(lifecycle::compact))
        .route("/api/sessions/{id}/rollback", post(lifecycle::rollback))
        .route("/api/sessions/{id}/resume", post(lifecycle::resume))
        .route("/api/sessions/{id}/review", post(lifecycle::review))
        .route(
            "/api/sessions/{id}/terminals/clean",
            post(lifecycle::clean_terminals),
        )
        // Controls and settings (S5).
        .route(
            "/api/controls/defaults",
            get(controls::get_defaults).put(controls::put_defaults),
        )
        .route(
            "/api/sessions/{id}/controls",
            get(controls::get_session)
                .put(controls::put_session)
                .patch(controls::patch_session),
        )
        .route("/api/settings", get(controls::list_settings))
        .route(
            "/api/settings/{key}",
            get(controls::get_setting)
                .put(controls::put_setting)
                .patch(controls::patch_setting)
                .delete(controls::delete_setting),
        )
        .route("/api/sessions/{id}/settings", get(controls::list_settings))
        .route(
            "/api/sessions/{id}/settings/{key}",
            get(controls::get_setting)
                .put(controls::put_setting)
                .patch(controls::patch_setting)
                .delete(controls::delete_setting),
        )
        // System routes (A4, R6).
        .merge(system::routes())
        .layer(axum::middleware::from_fn_with_state(
            Idempotency::new(state.clone(), &token),
            idempotency::middleware,
        ))
        .route_layer(axum::middleware::from_fn_with_state(token, require_token));
    Router::new()
        .route("/api/health", get(health::health))
        .merge(protected)
        .with_state(state)
}
