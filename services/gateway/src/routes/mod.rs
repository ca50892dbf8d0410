//! The `/api` router. One file per resource family.

mod events;
mod health;
mod requests;
mod sessions;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::auth::require_token;
use crate::state::AppState;

pub fn router(state: AppState, token: Arc<str>) -> Router {
    let protected = Router::new()
        .route("/api/ready", get(health::ready))
        .route("/api/sessions", post(sessions::create).get(sessions::list))
        .route("/api/sessions/{id}", get(sessions::get))
        .route("/api/sessions/{id}/messages", post(sessions::send_message))
        .route("/api/sessions/{id}/events", get(events::session_events))
        .route("/api/sessions/{id}/steer", post(sessions::steer))
        .route("/api/sessions/{id}/interrupt", post(sessions::interrupt))
        .route("/api/sessions/{id}/requests", get(requests::list))
        .route(
            "/api/sessions/{id}/requests/{request_id}/decision",
            post(requests::decide),
        )
        .route_layer(axum::middleware::from_fn_with_state(token, require_token));
    Router::new()
        .route("/api/health", get(health::health))
        .merge(protected)
        .with_state(state)
}
