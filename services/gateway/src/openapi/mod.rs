//! The OpenAPI 3.1 document of `/api`, served at `/api/openapi.json` and committed as
//! `schemas/openapi.json` (a drift test compares them).
//!
//! Operations come from the `#[utoipa::path]` attribute of each handler (utoipa-axum routes
//! with the same attributes, so routes and document cannot disagree) and from the table of
//! pass-through system routes. Body schemas come from schemars (see `cm_schemas::openapi`) and,
//! for the system routes, from the pinned app-server protocol. What every operation shares —
//! the bearer scheme, the `Idempotency-Key` header, path parameter descriptions, the error
//! responses each kind of operation can give — is added here, in one place.

mod codex;
mod constraints;
pub mod examples;
mod sample;

use std::sync::OnceLock;

use axum::Json;
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use cm_schemas::openapi::resolve_components;
use serde_json::{Map, Value, json};
use utoipa::PartialSchema;
use utoipa::openapi::OpenApi;

use crate::error::ErrorBody;

/// The document, built once.
pub fn cached() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(crate::routes::openapi)
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
pub fn document(public: OpenApi, protected: OpenApi) -> Value {
    let mut api = public;
    api.merge(protected);
    let mut doc = serde_json::to_value(&api).unwrap_or_else(|_| json!({}));
    let (system_paths, mut codex_names) = crate::routes::system_openapi();
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
    match codex::components(&codex_names, crate::routes::system_path_params_of) {
        Ok(codex) => schemas_of(&mut doc).extend(codex),
        Err(e) => panic!("OpenAPI app-server schemas: {e}"),
    }
    decorate(&mut doc);
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

/// What every operation shares.
fn decorate(doc: &mut Value) {
    doc["openapi"] = json!("3.1.0");
    doc["info"] = json!({
        "title": "Codex Manager API",
        "version": crate::routes::API_VERSION,
        "summary": "A local-first control plane for Codex sessions",
        "description": "One HTTP API in front of `codex app-server`: sessions, projects, \
            transcripts, pending approvals, controls and settings, event streams and the \
            runtime's operator surface. Every POST takes an `Idempotency-Key`; errors are \
            `{\"error\": {\"code\", \"message\", \"details\"}}` with stable codes.",
        "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" },
    });
    doc["servers"] = json!([{ "url": "/", "description": "This gateway" }]);
    doc["security"] = json!([{ "bearer": [] }]);
    doc["tags"] = json!(
        TAGS.iter()
            .map(|(name, description)| json!({ "name": name, "description": description }))
            .collect::<Vec<_>>()
    );
    let components = object(doc, "components");
    components.insert("responses".into(), shared_responses());
    components.insert(
        "securitySchemes".into(),
        json!({ "bearer": {
            "type": "http", "scheme": "bearer",
            "description": "The token `codex-manager up` prints (also in its data directory)."
        } }),
    );
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            decorate_operation(path, method, op);
        }
    }
}

/// The tags, in the order a reader meets them.
const TAGS: &[(&str, &str)] = &[
    (
        "system",
        "Health, readiness, capabilities and this document",
    ),
    (
        "sessions",
        "Sessions (one app-server thread each), their turns and lifecycle",
    ),
    (
        "requests",
        "Pending approvals, tool input and tool calls, and their decisions",
    ),
    (
        "events",
        "Server-Sent Event streams with `Last-Event-ID` resume",
    ),
    (
        "projects",
        "Projects that group sessions and give them a working directory",
    ),
    (
        "controls",
        "Default and per-session controls: model, effort, approval policy, sandbox",
    ),
    (
        "settings",
        "Free-form settings by key, global or per session",
    ),
    ("models", "Models the runtime offers"),
    ("account", "The runtime's account and login"),
    ("config", "The runtime's configuration"),
    ("mcp", "MCP servers"),
    ("skills", "Skills"),
    ("apps", "Apps (connectors)"),
    (
        "runtime",
        "Other runtime operations: experimental features, commands, feedback",
    ),
];

/// Builds one request body schema.
type BodySchema = fn() -> Value;

/// Request bodies whose Rust type (`serde_json::Value`) says less than the handler checks.
const BODY_SCHEMAS: &[(&str, BodySchema)] = &[
    ("putSetting", setting_value),
    ("putSessionSetting", setting_value),
    ("patchSetting", merge_patch),
    ("patchSessionSetting", merge_patch),
];

/// A setting value: any JSON but `null`.
fn setting_value() -> Value {
    json!({ "not": { "type": "null" } })
}

/// A JSON merge patch for an object value.
fn merge_patch() -> Value {
    json!({ "type": "object" })
}

fn decorate_operation(path: &str, method: &str, op: &mut Value) {
    let id = op["operationId"].as_str().unwrap_or_default().to_owned();
    if let Some((_, schema)) = BODY_SCHEMAS.iter().find(|(op_id, _)| *op_id == id)
        && let Some(media) = op.pointer_mut("/requestBody/content/application~1json")
    {
        media["schema"] = schema();
    }
    let public = op["security"] == json!([{}]);
    if public {
        op["security"] = json!([]);
    }
    let has_body = op.get("requestBody").is_some();
    let system = op["description"]
        .as_str()
        .is_some_and(|d| d.starts_with("Calls the runtime's"));
    let mut params: Vec<Value> = op["parameters"].as_array().cloned().unwrap_or_default();
    for name in path_params(path) {
        let description = describe_path_param(path, name);
        let schema = path_param_schema(name);
        match params
            .iter_mut()
            .find(|p| p["name"] == name && p["in"] == "path")
        {
            Some(p) => {
                if p.get("description").is_none() {
                    p["description"] = json!(description);
                }
                p["schema"] = schema;
            }
            None => params.push(json!({
                "name": name, "in": "path", "required": true, "description": description,
                "schema": schema,
            })),
        }
    }
    for p in &mut params {
        if !system {
            constrain_param(p);
        }
    }
    if method == "post" {
        params.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Repeating a key with the same body replays the first answer \
                (status and body) without running the request again; with another body it \
                answers `409 conflict`, while the first still runs `409` with \
                `details.inProgress`. A key is released for reuse only when nothing ran (a \
                `400` of the request itself, a `503` before the command was sent); any other \
                answer, `500`/`502`/`504` included, is kept and replayed. Keys are kept 24 \
                hours.",
            "schema": { "type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN },
        }));
    }
    if path.contains("/requests/") && method == "post" {
        params.push(json!({
            "name": "X-CM-Actor", "in": "header", "required": false,
            "description": "Who decides (`web`, `cli`, an extension's name); recorded as \
                `decidedBy`. `api` when absent.",
            "schema": { "type": "string", "maxLength": 64 },
        }));
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params.clone());
    }
    let validates = has_body || !params.is_empty();
    let responses = object(op, "responses");
    let mut add = |status: &str, shared: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| json!({ "$ref": format!("#/components/responses/{shared}") }));
    };
    if validates {
        add("400", "BadRequest");
    }
    if !public {
        add("401", "Unauthorized");
    }
    // A missing id may come from the path or from the body (`projectId`).
    if !system && (!path_params(path).is_empty() || method != "get") {
        add("404", "NotFound");
    }
    // A system-owned session is read-only over HTTP: its owner drives it over the bus.
    if path.starts_with("/api/sessions/{id}") && method != "get" {
        add("403", "Forbidden");
    }
    if method != "get" {
        add("409", "Conflict");
    }
    // A deleted session answers `410 gone` on every route under it.
    if path.starts_with("/api/sessions/{id}") {
        add("410", "Gone");
    }
    if has_body {
        add("413", "PayloadTooLarge");
    }
    if !public {
        add("500", "Internal");
        add("503", "Unavailable");
        add("504", "Timeout");
    }
    // What reaches the runtime through the session service can come back as its error.
    if !system && path.starts_with("/api/sessions") && method != "get" {
        add("502", "RuntimeError");
    }
    // An event stream is described frame by frame (what SSE clients and checkers parse).
    for response in responses.values_mut() {
        if let Some(media) = response.pointer_mut("/content/text~1event-stream") {
            media["schema"] = sse_frame();
        }
    }
    // Every error response of its own gets an example with the code its status stands for.
    for (status, response) in responses.iter_mut() {
        let Some(media) = response.pointer_mut("/content/application~1json") else {
            continue;
        };
        let is_error = media["schema"]["$ref"] == "#/components/schemas/ErrorBody";
        if is_error
            && media.get("example").is_none()
            && let Some((code, message)) = error_code_of(status)
        {
            media["example"] = examples::error(code, message);
        }
    }
}

/// One Server-Sent Events frame of `/api/events` and `/api/sessions/{id}/events`: `id` the
/// stream sequence, `event` the kind, `data` JSON — a `StreamedEvent`, or the small objects of
/// `gap` (`{from, to, action}`) and `dropped` (`{reason, lastSeq}`). Heartbeats are comments.
fn sse_frame() -> Value {
    let gap = json!({ "type": "object", "required": ["from", "to", "action"], "properties": {
        "from": { "type": "integer" }, "to": { "type": "integer" },
        "action": { "const": "refetch_snapshot" } } });
    let dropped = json!({ "type": "object", "required": ["reason", "lastSeq"], "properties": {
        "reason": { "const": "slow_consumer" }, "lastSeq": { "type": "integer" } } });
    json!({
        "type": "object",
        "description": "One frame: `id` is the stream sequence (resume with it as \
            `Last-Event-ID`), `event` the kind, `data` a `StreamedEvent` as JSON; `gap` and \
            `dropped` frames carry their own small objects.",
        "properties": {
            "id": { "type": "string", "pattern": "^[0-9]+$" },
            "event": { "type": "string" },
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": { "anyOf": [
                    { "$ref": "#/components/schemas/StreamedEvent" }, gap, dropped,
                ] },
            },
        },
        "required": ["data"],
    })
}

/// The error responses most operations share, referenced as `#/components/responses/<Name>`.
fn shared_responses() -> Value {
    let response = |description: &str, code: &str, message: &str, details: Value| {
        let mut example = examples::error(code, message);
        example["error"]["details"] = details;
        let mut r = error_response(description);
        r["content"]["application/json"]["example"] = example;
        r
    };
    json!({
        "BadRequest": response("A parameter or body field is invalid; `details.field` names it",
            "validation", "text: missing field `text`", json!({ "field": "text" })),
        "Unauthorized": response("The bearer token is missing or wrong",
            "unauthorized", "missing or invalid bearer token", Value::Null),
        "Forbidden": response("The session is system-owned: only its owner changes it, over \
            the bus", "forbidden", "the session is owned by the system",
            json!({ "sessionId": examples::SESSION_ID, "owner": "system:queue",
                    "reason": "system_owned" })),
        "NotFound": response("No such session, project, request or key",
            "not_found", "no such session", json!({ "sessionId": examples::SESSION_ID })),
        "Conflict": response("This `Idempotency-Key` was used with another body, or the \
            resource's state forbids the request", "conflict",
            "the Idempotency-Key was used with another body", Value::Null),
        "PayloadTooLarge": response("The body is over the size limit",
            "payload_too_large", "request body is too large", Value::Null),
        "Internal": response("A bug: the cause is logged once, under `details.traceId`",
            "internal", "internal error while handling cm.v1.session.get",
            json!({ "traceId": "ea87a1f619bf94e1f3b1aadad7dcaf5e" })),
        "RuntimeError": response("The runtime answered with an error of its own; \
            `details.rpcCode` is its JSON-RPC code", "runtime_error",
            "thread/fork: no rollout found for thread id 019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011",
            json!({ "rpcCode": -32600, "data": null })),
        "Gone": response("The session was deleted", "gone", "the session was deleted",
            json!({ "id": examples::SESSION_ID, "resource": "session" })),
        "Timeout": response("The service or the runtime did not answer in time; the request \
            may have run (an `Idempotency-Key` retry replays this answer)", "timeout",
            "cm.v1.session.get timed out", Value::Null),
        "Unavailable": retry_after(response("A dependency is down; `details.dependency` names \
            it. The request may be sent again after `Retry-After`", "unavailable",
            "the session service is not answering", json!({ "dependency": "session" }))),
    })
}

/// Adds the `Retry-After` header `ApiError` sets on `503` and `429`.
fn retry_after(mut response: Value) -> Value {
    response["headers"] = json!({ "Retry-After": {
        "description": "Seconds to wait before trying again (1)",
        "schema": { "type": "integer", "minimum": 0 },
    } });
    response
}

/// `{"description", "content": ErrorBody}`.
pub fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorBody" }
        } },
    })
}

/// The stable code (and a sample message) an error status carries.
fn error_code_of(status: &str) -> Option<(&'static str, &'static str)> {
    Some(match status {
        "400" => ("validation", "title: must be 1 to 200 characters"),
        "401" => ("unauthorized", "missing or invalid bearer token"),
        "403" => ("forbidden", "the session is owned by the system"),
        "404" => ("not_found", "no such session"),
        "409" => ("conflict", "the Idempotency-Key was used with another body"),
        "410" => ("gone", "the session was deleted"),
        "413" => ("payload_too_large", "request body is too large"),
        "423" => ("locked", "effort is locked by the defaults"),
        "429" => ("rate_limited", "too many open event streams"),
        "501" => (
            "not_supported",
            "the runtime does not implement this method",
        ),
        "502" => ("runtime_error", "the runtime answered with an error"),
        "503" => ("unavailable", "the session service is not answering"),
        "504" => ("timeout", "the runtime did not answer in time"),
        _ => return None,
    })
}

/// What the gateway accepts in `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

/// The schema of a path parameter: exactly what `crate::params::check_path_param` accepts.
fn path_param_schema(name: &str) -> Value {
    match name {
        "key" => json!({ "type": "string", "pattern": crate::params::KEY_PATTERN }),
        "messageId" | "name" => json!({ "type": "string", "pattern": crate::params::NAME_PATTERN }),
        _ => json!({ "type": "string", "pattern": crate::params::ID_PATTERN }),
    }
}

/// Ranges the gateway enforces on shared query and header parameters, stated in the schema.
fn constrain_param(p: &mut Value) {
    let (name, place) = (p["name"].as_str().unwrap_or_default(), p["in"].as_str());
    match (name, place) {
        ("Last-Event-ID", Some("header")) => {
            p["schema"] = json!({ "type": "string", "pattern": crate::params::SEQ_PATTERN });
        }
        ("after", Some("query")) => {
            p["schema"] = json!({
                "type": "integer", "format": "int64", "minimum": 0,
                "maximum": crate::params::MAX_SEQ,
            });
        }
        ("sessionId" | "scopeId" | "projectId", Some("query")) => {
            p["schema"] = json!({ "type": "string", "pattern": crate::params::ID_PATTERN });
        }
        ("limit", Some("query")) => {
            p["schema"] = json!({
                "type": "integer", "format": "int32",
                "minimum": crate::params::MIN_LIMIT, "maximum": crate::params::MAX_LIMIT,
            });
        }
        ("cursor", Some("query")) => {
            p["schema"] = json!({ "type": "string", "pattern": crate::params::CURSOR_PATTERN });
        }
        ("archived" | "systemOwned", Some("query")) => {
            p["schema"] = json!({ "type": "string", "enum": ["false", "true", "all"] });
        }
        ("scope", Some("query")) => {
            p["schema"] = json!({
                "type": "string", "enum": ["session", "project", "job", "runtime", "extension"],
            });
        }
        ("kind", Some("query"))
            if p["description"]
                .as_str()
                .is_some_and(|d| d.contains("toolCall")) =>
        {
            p["schema"] =
                json!({ "type": "string", "enum": ["approval", "toolInput", "toolCall"] });
        }
        ("kind", Some("query")) => {
            p["schema"] = json!({ "type": "string", "pattern": crate::routes::KINDS_PATTERN });
        }
        _ => {}
    }
}

/// The `{name}` segments of a route template.
pub(crate) fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn describe_path_param(path: &str, name: &str) -> &'static str {
    match name {
        "id" if path.starts_with("/api/projects/") => "Project id",
        "id" => "Session id (the app-server thread id)",
        "request_id" | "requestId" => "Pending request id (from `request.opened` or the list)",
        "key" => "Setting key: letters, digits, `.`, `_` and `-`, at most 128",
        "messageId" | "message_id" => "Transcript entry id, chosen by the client",
        "name" => "MCP server name",
        _ => "Path parameter",
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
fn object<'a>(doc: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !doc[key].is_object() {
        doc[key] = json!({});
    }
    doc[key].as_object_mut().unwrap_or_else(|| unreachable!())
}
