//! The system routes in the document. Their table (`crate::routes::SYSTEM_ROUTES`) says which
//! app-server method each calls; the schemas are the pinned runtime's, not ours, so their path
//! items are written here rather than by `#[utoipa::path]`.

use serde_json::{Map, Value, json};

use super::parameters::path_params;
use super::responses::error_response;
use crate::routes::Http::{Get, Post};
use crate::routes::Kind::{Bool, Int, List, Str};
use crate::routes::{Params, SYSTEM_ROUTES};

/// The OpenAPI path items of the system routes, and the pinned app-server schemas they name.
/// Schemas are referenced as `#/components/schemas/codex.<Name>`; path parameters fill the
/// params' field of the same name, so a body schema leaves them out (`codex.<Name>.body`).
pub fn paths() -> (Map<String, Value>, Vec<&'static str>) {
    let mut paths = Map::new();
    let mut used = Vec::new();
    for r in SYSTEM_ROUTES {
        let d = &r.doc;
        let codex = |name: &str| json!({ "$ref": format!("#/components/schemas/codex.{name}") });
        // Path parameters are added, described, with every operation's (`super::decorate`).
        let mut parameters: Vec<Value> = Vec::new();
        if let Params::Query(spec) = r.params {
            parameters.extend(spec.iter().map(|(name, kind)| {
                let schema = match kind {
                    Str => json!({ "type": "string", "pattern": crate::params::TEXT_PATTERN }),
                    // The runtime reads its numbers as `u32`.
                    Int => json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }),
                    Bool => json!({ "type": "boolean" }),
                    List => json!({ "type": "array",
                        "items": { "type": "string", "pattern": crate::params::TEXT_PATTERN } }),
                };
                json!({ "name": name, "in": "query", "required": false, "schema": schema })
            }));
        }
        let mut op = json!({
            "tags": [d.tag],
            "summary": d.summary,
            "description": format!(
                "Calls the runtime's `{}` method and answers its result unchanged. The schemas \
                 are those of the pinned codex app-server (`schemas/codex-app-server/`).",
                r.method
            ),
            "operationId": d.operation_id,
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": format!("The result of `{}`", r.method),
                    "content": { "application/json": { "schema": codex(d.result) } },
                },
                "501": error_response("The runtime lacks the method"),
                "502": error_response("The runtime answered with an error"),
                "504": error_response("The runtime did not answer in time"),
            },
        });
        used.push(d.result);
        if let (Params::Body, Some(params)) = (r.params, d.params) {
            used.push(params);
            let schema = if path_params(r.path).is_empty() {
                codex(params)
            } else {
                json!({ "$ref": format!("#/components/schemas/codex.{params}.body") })
            };
            let mut media = json!({ "schema": schema });
            if let Some(example) = d.example {
                media["example"] = serde_json::from_str(example).unwrap_or(Value::Null);
            }
            op["requestBody"] =
                json!({ "required": false, "content": { "application/json": media } });
        }
        let method = match r.http {
            Get => "get",
            Post => "post",
        };
        let item = paths.entry(r.path).or_insert_with(|| json!({}));
        item[method] = op;
    }
    (paths, used)
}

/// The path parameters of the route whose body is `params` (`name` for an MCP login).
pub fn path_params_of(params: &str) -> Vec<&'static str> {
    SYSTEM_ROUTES
        .iter()
        .filter(|r| r.doc.params == Some(params))
        .flat_map(|r| path_params(r.path))
        .collect()
}
