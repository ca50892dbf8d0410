//! The OpenAPI 3.1 document of `/api`, served at `/api/openapi.json` and committed as
//! `schemas/openapi.json` (a drift test compares them).
//!
//! Operations come from the `#[utoipa::path]` attribute of each handler (utoipa-axum routes
//! with the same attributes, so routes and document cannot disagree) and from the table of
//! pass-through system routes. Body schemas come from schemars (see `cm_schemas::openapi`) and,
//! for the system routes, from the pinned app-server protocol. What every operation shares —
//! the bearer scheme, the `Idempotency-Key` header, path parameter descriptions, the error
//! responses each kind of operation can give — is added in one place (`decorate`). This module
//! reads `crate::routes`; nothing there reads it back.

mod codex;
mod constraints;
mod decorate;
mod parameters;
mod responses;
mod sample;
mod system;

use std::sync::OnceLock;

use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use axum::{Json, Router};
use cm_schemas::http::ErrorBody;
use cm_schemas::openapi::resolve_components;
use serde_json::{Map, Value, json};
use utoipa::PartialSchema;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document, built once.
pub fn cached() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

/// `GET /api/openapi.json`. It is routed from here rather than from `crate::routes` so that the
/// routes never depend on the document; the same `#[utoipa::path]` routes and documents it.
fn own() -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(serve))
}

/// The route of [`serve`], public like liveness, to be merged into the app.
pub fn router() -> Router {
    own().split_for_parts().0
}

/// The document of every route, as served and as committed in `schemas/openapi.json`.
fn build() -> Value {
    let (_, mut public) = crate::routes::public().split_for_parts();
    // After the public routes, where it has always been listed.
    public.merge(own().split_for_parts().1);
    let (_, protected) = crate::routes::documented().split_for_parts();
    document(public, protected)
}

/// The OpenAPI document of this API
///
/// Needs no token. The same document is committed as `schemas/openapi.json`; clients and the
/// CLI's parity test are generated or checked from it.
#[utoipa::path(get, path = "/api/openapi.json", operation_id = "getOpenApi", tag = "system",
    security(()),
    responses((status = 200, description = "OpenAPI 3.1", body = Value,
        example = json!({"openapi": "3.1.0", "info": {"title": "Codex Manager API", "version": "1.0.0"}, "paths": {}}))))]
pub async fn serve() -> impl IntoResponse {
    ([(CACHE_CONTROL, "no-cache")], Json(cached().clone()))
}

/// Assembles the document from the utoipa parts and the system routes.
fn document(public: OpenApi, protected: OpenApi) -> Value {
    let mut api = public;
    api.merge(protected);
    let mut doc = serde_json::to_value(&api).unwrap_or_else(|_| json!({}));
    let (system_paths, mut codex_names) = system::paths();
    // Pinned runtime types that HTTP bodies name (`constraints`).
    codex_names.extend(constraints::CODEX_TYPES);
    let paths = object(&mut doc, "paths");
    for (path, item) in system_paths {
        paths.insert(path, item);
    }
    let schemas = schemas_of(&mut doc);
    let error_body = serde_json::to_value(ErrorBody::schema()).unwrap_or_default();
    schemas.insert("ErrorBody".into(), error_body);
    // A clash is a programming error that the drift test reports; serving a broken
    // document would be worse than failing loudly at start-up.
    if let Err(e) = resolve_components(&mut doc) {
        panic!("OpenAPI components: {e}");
    }
    constraints::apply(schemas_of(&mut doc));
    match codex::components(&codex_names, system::path_params_of) {
        Ok(codex) => schemas_of(&mut doc).extend(codex),
        Err(e) => panic!("OpenAPI app-server schemas: {e}"),
    }
    decorate::decorate(&mut doc);
    sample_missing_examples(&mut doc);
    doc
}

/// The system routes answer what the runtime answers: their examples are sampled from the
/// pinned app-server schemas (required fields only), so they are valid by construction and
/// follow the runtime when its schema is updated.
fn sample_missing_examples(doc: &mut Value) {
    let snapshot = doc.clone();
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            for response in op["responses"]
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                if let Some(media) = response.pointer_mut("/content/application~1json")
                    && media.get("example").is_none()
                    && media.get("schema").is_some()
                {
                    media["example"] = sample::instance(&snapshot, &media["schema"], 0);
                }
            }
        }
    }
}

/// `doc.components.schemas`, created when absent.
fn schemas_of(doc: &mut Value) -> &mut Map<String, Value> {
    let components = object(doc, "components");
    if !components.get("schemas").is_some_and(Value::is_object) {
        components.insert("schemas".into(), json!({}));
    }
    components
        .get_mut("schemas")
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| unreachable!())
}

/// `doc[key]` as an object, created when absent.
pub(super) fn object<'a>(doc: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !doc[key].is_object() {
        doc[key] = json!({});
    }
    doc[key].as_object_mut().unwrap_or_else(|| unreachable!())
}
