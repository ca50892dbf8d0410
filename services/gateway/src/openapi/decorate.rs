//! What every operation shares, added to the assembled document in one pass: the bearer
//! scheme, the `Idempotency-Key` header, path parameter descriptions and the error responses
//! each kind of operation can give. Handlers' attributes state only what is their own.

use serde_json::{Value, json};

use super::object;
use super::parameters::{
    IDEMPOTENCY_KEY_PATTERN, constrain_param, describe_path_param, path_param_schema, path_params,
};
use super::responses::{error_code_of, shared_responses};
use crate::examples;
use crate::routes::API_VERSION;

/// What every operation shares.
pub(super) fn decorate(doc: &mut Value) {
    doc["openapi"] = json!("3.1.0");
    doc["info"] = json!({
        "title": "Codex Manager API",
        "version": API_VERSION,
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
    (
        "jobs",
        "Durable jobs run by the queue worker: enqueue, list, get, cancel",
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
            constrain_param(path, p);
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
