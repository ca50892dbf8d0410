//! System routes (A4, R6): the runtime's operator surface over HTTP — models, account, config,
//! MCP servers, skills, apps, experimental features, one-off commands, feedback — plus
//! `GET /api/capabilities`.
//!
//! Every route is a row of [`ROUTES`]: the app-server method it calls through
//! `cm.v1.runtime.call` and where its params come from (typed query parameters for `GET`s, the
//! JSON body for `POST`s, path parameters merged in). The answer is the runtime's `result`,
//! unchanged; errors map as everywhere (`validation` 400, `not_supported` 501,
//! `runtime_error` 502, `unavailable` 503, `timeout` 504).

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{MethodRouter, get, post};
use cm_schemas::operator::{RuntimeCall, RuntimeCallResult};
use cm_schemas::queue::Empty;
use cm_schemas::{BusError, CONTRACT_VERSION, commands};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Version of the HTTP API under `/api`.
pub const API_VERSION: &str = "1.0.0";

/// How a query parameter is typed in the runtime's params.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    /// Repeatable: `?cwds=/a&cwds=/b` is `["/a", "/b"]`.
    List,
}

/// Where a route's params come from.
#[derive(Debug, Clone, Copy)]
enum Params {
    /// The method takes none: `{}` is sent.
    None,
    /// Typed query parameters (a `GET`).
    Query(&'static [(&'static str, Kind)]),
    /// The JSON object in the body (a `POST`; an empty body is `{}`).
    Body,
}

#[derive(Debug, Clone, Copy)]
enum Http {
    Get,
    Post,
}

/// One system route.
#[derive(Debug)]
struct Route {
    http: Http,
    path: &'static str,
    method: &'static str,
    params: Params,
    doc: Doc,
}

/// How a system route appears in the OpenAPI document.
#[derive(Debug)]
struct Doc {
    operation_id: &'static str,
    tag: &'static str,
    summary: &'static str,
    /// The pinned app-server schema (`schemas/codex-app-server/`) of the params, if any.
    params: Option<&'static str>,
    /// The pinned app-server schema of the result.
    result: &'static str,
    /// A request body for `POST`s that take one.
    example: Option<&'static str>,
}

const fn route(http: Http, path: &'static str, method: &'static str, params: Params) -> Route {
    Route {
        http,
        path,
        method,
        params,
        doc: Doc {
            operation_id: "",
            tag: "",
            summary: "",
            params: None,
            result: "",
            example: None,
        },
    }
}

impl Route {
    const fn doc(
        mut self,
        operation_id: &'static str,
        tag: &'static str,
        summary: &'static str,
    ) -> Self {
        self.doc.operation_id = operation_id;
        self.doc.tag = tag;
        self.doc.summary = summary;
        self
    }

    const fn schemas(mut self, params: Option<&'static str>, result: &'static str) -> Self {
        self.doc.params = params;
        self.doc.result = result;
        self
    }

    const fn example(mut self, body: &'static str) -> Self {
        self.doc.example = Some(body);
        self
    }
}

use Http::{Get, Post};
use Kind::{Bool, Int, List, Str};

const PAGE: &[(&str, Kind)] = &[("cursor", Str), ("limit", Int), ("threadId", Str)];

/// Every pass-through route (features.md R6).
#[rustfmt::skip]
const ROUTES: &[Route] = &[
    route(Get, "/api/models", "model/list", Params::Query(&[
        ("cursor", Str), ("limit", Int), ("includeHidden", Bool), ("modelProvider", Str),
    ])).doc("listModels", "models", "List the models the runtime offers")
        .schemas(Some("ModelListParams"), "ModelListResponse"),
    route(Get, "/api/account", "account/read", Params::Query(&[("refreshToken", Bool)]))
        .doc("getAccount", "account", "The signed-in account")
        .schemas(Some("GetAccountParams"), "GetAccountResponse"),
    route(Get, "/api/account/rate-limits", "account/rateLimits/read", Params::Query(&[
        ("excludeResetCreditDetails", Bool),
    ])).doc("getAccountRateLimits", "account", "The account's rate limits")
        .schemas(None, "GetAccountRateLimitsResponse"),
    route(Post, "/api/account/login", "account/login/start", Params::Body)
        .doc("startAccountLogin", "account", "Start a login (API key or ChatGPT)")
        .schemas(Some("LoginAccountParams"), "LoginAccountResponse")
        .example(r#"{"type": "apiKey", "apiKey": "sk-..."}"#),
    route(Post, "/api/account/login/cancel", "account/login/cancel", Params::Body)
        .doc("cancelAccountLogin", "account", "Cancel a login in progress")
        .schemas(Some("CancelLoginAccountParams"), "CancelLoginAccountResponse")
        .example(r#"{"loginId": "b1f4c2d0-3e5a-4c1b-9d7e-6f8a0b1c2d3e"}"#),
    route(Post, "/api/account/logout", "account/logout", Params::None)
        .doc("logoutAccount", "account", "Sign the runtime out")
        .schemas(None, "LogoutAccountResponse"),
    route(Get, "/api/config", "config/read", Params::Query(&[
        ("cwd", Str), ("includeLayers", Bool),
    ])).doc("readConfig", "config", "The runtime's effective configuration")
        .schemas(Some("ConfigReadParams"), "ConfigReadResponse"),
    route(Post, "/api/config/value", "config/value/write", Params::Body)
        .doc("writeConfigValue", "config", "Write one configuration value")
        .schemas(Some("ConfigValueWriteParams"), "ConfigWriteResponse")
        .example(r#"{"keyPath": "model", "value": "gpt-5.1-codex", "mergeStrategy": "replace"}"#),
    route(Post, "/api/config/batch", "config/batchWrite", Params::Body)
        .doc("writeConfigBatch", "config", "Write several configuration values at once")
        .schemas(Some("ConfigBatchWriteParams"), "ConfigWriteResponse")
        .example(r#"{"edits": [{"keyPath": "model_reasoning_effort", "value": "high", "mergeStrategy": "replace"}]}"#),
    route(Get, "/api/config/requirements", "configRequirements/read", Params::None)
        .doc("readConfigRequirements", "config", "Configuration requirements set by policy")
        .schemas(None, "ConfigRequirementsReadResponse"),
    route(Get, "/api/mcp/servers", "mcpServerStatus/list", Params::Query(&[
        ("cursor", Str), ("limit", Int), ("threadId", Str), ("serverName", Str), ("detail", Str),
    ])).doc("listMcpServers", "mcp", "MCP servers and their status")
        .schemas(Some("ListMcpServerStatusParams"), "ListMcpServerStatusResponse"),
    route(Post, "/api/mcp/reload", "config/mcpServer/reload", Params::None)
        .doc("reloadMcpServers", "mcp", "Reload the MCP server configuration")
        .schemas(None, "McpServerRefreshResponse"),
    route(Post, "/api/mcp/servers/{name}/login", "mcpServer/oauth/login", Params::Body)
        .doc("loginMcpServer", "mcp", "Start an OAuth login to an MCP server")
        .schemas(Some("McpServerOauthLoginParams"), "McpServerOauthLoginResponse")
        .example(r#"{"scopes": ["read"]}"#),
    route(Get, "/api/skills", "skills/list", Params::Query(&[
        ("cwds", List), ("forceReload", Bool),
    ])).doc("listSkills", "skills", "Skills available to the runtime")
        .schemas(Some("SkillsListParams"), "SkillsListResponse"),
    route(Get, "/api/apps", "app/list", Params::Query(&[
        ("cursor", Str), ("limit", Int), ("threadId", Str), ("forceRefetch", Bool),
    ])).doc("listApps", "apps", "Apps (connectors) available to the runtime")
        .schemas(Some("AppsListParams"), "AppsListResponse"),
    route(Get, "/api/experimental-features", "experimentalFeature/list", Params::Query(PAGE))
        .doc("listExperimentalFeatures", "runtime", "Experimental features and whether they are on")
        .schemas(Some("ExperimentalFeatureListParams"), "ExperimentalFeatureListResponse"),
    route(Post, "/api/command/exec", "command/exec", Params::Body)
        .doc("execCommand", "runtime", "Run a one-off command in the runtime's sandbox")
        .schemas(Some("CommandExecParams"), "CommandExecResponse")
        .example(r#"{"command": ["ls", "-la"], "cwd": "/srv/billing"}"#),
    route(Post, "/api/feedback", "feedback/upload", Params::Body)
        .doc("uploadFeedback", "runtime", "Send feedback (and optionally logs) upstream")
        .schemas(Some("FeedbackUploadParams"), "FeedbackUploadResponse")
        .example(r#"{"classification": "bug", "reason": "the diff view is empty", "includeLogs": false}"#),
];

/// The system routes, to be merged into the protected `/api` router.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for r in ROUTES {
        let handler = move |State(state): State<AppState>,
                            Path(path): Path<HashMap<String, String>>,
                            Query(query): Query<Vec<(String, String)>>,
                            headers: HeaderMap,
                            body: Bytes| async move {
            pass_through(r, state, path, query, &headers, &body).await
        };
        let method: MethodRouter<AppState> = match r.http {
            Get => get(handler),
            Post => post(handler),
        };
        router = router.route(r.path, method);
    }
    router
}

/// The OpenAPI path items of the system routes, and the pinned app-server schemas they name.
/// Schemas are referenced as `#/components/schemas/codex.<Name>`; path parameters fill the
/// params' field of the same name, so a body schema leaves them out (`codex.<Name>.body`).
pub(crate) fn openapi_paths() -> (Map<String, Value>, Vec<&'static str>) {
    let mut paths = Map::new();
    let mut used = Vec::new();
    for r in ROUTES {
        let d = &r.doc;
        let codex = |name: &str| json!({ "$ref": format!("#/components/schemas/codex.{name}") });
        // Path parameters are added, described, with every operation's (`crate::openapi`).
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
                "501": crate::openapi::error_response("The runtime lacks the method"),
                "502": crate::openapi::error_response("The runtime answered with an error"),
                "504": crate::openapi::error_response("The runtime did not answer in time"),
            },
        });
        used.push(d.result);
        if let (Params::Body, Some(params)) = (r.params, d.params) {
            used.push(params);
            let schema = if crate::openapi::path_params(r.path).is_empty() {
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
pub(crate) fn path_params_of(params: &str) -> Vec<&'static str> {
    ROUTES
        .iter()
        .filter(|r| r.doc.params == Some(params))
        .flat_map(|r| crate::openapi::path_params(r.path))
        .collect()
}

async fn pass_through(
    r: &Route,
    state: AppState,
    path: HashMap<String, String>,
    query: Vec<(String, String)>,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Json<Value>> {
    let mut params = match r.params {
        Params::None => Map::new(),
        Params::Query(spec) => from_query(spec, &query)?,
        Params::Body => from_body(headers, body)?,
    };
    if !matches!(r.params, Params::Query(_)) && !query.is_empty() {
        return Err(ApiError(BusError::validation(
            "query",
            format!("{} takes no query parameters", r.path),
        )));
    }
    // Path parameters (`{name}`) are the method's params of the same name.
    params.extend(path.into_iter().map(|(k, v)| (k, Value::String(v))));
    let req = RuntimeCall {
        method: r.method.to_owned(),
        params: Value::Object(params),
    };
    let answer: RuntimeCallResult = state.call::<commands::runtime::Call>(&req).await?;
    Ok(Json(answer.result))
}

/// Typed query parameters; an unknown name or a value of the wrong type is `validation` on
/// that parameter.
fn from_query(spec: &[(&str, Kind)], query: &[(String, String)]) -> ApiResult<Map<String, Value>> {
    let mut out = Map::new();
    for (name, raw) in query {
        let Some((_, kind)) = spec.iter().find(|(n, _)| n == name) else {
            let known: Vec<&str> = spec.iter().map(|(n, _)| *n).collect();
            return Err(ApiError(BusError::validation(
                "query",
                format!(
                    "unknown query parameter {name:?}; known: {}",
                    known.join(", ")
                ),
            )));
        };
        let bad =
            |what: &str| ApiError(BusError::validation(name, format!("{name} must be {what}")));
        let value = match kind {
            // Control characters have no place in an id, a cursor or a name.
            Kind::Str if raw.chars().any(char::is_control) => {
                return Err(bad("text without control characters"));
            }
            Kind::Str => Value::String(raw.clone()),
            Kind::Int => Value::from(
                raw.parse::<u32>()
                    .map_err(|_| bad(&format!("an integer from 0 to {}", u32::MAX)))?,
            ),
            Kind::Bool => Value::Bool(raw.parse::<bool>().map_err(|_| bad("true or false"))?),
            Kind::List if raw.chars().any(char::is_control) => {
                return Err(bad("text without control characters"));
            }
            Kind::List => {
                let mut list = match out.remove(name) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                };
                list.push(Value::String(raw.clone()));
                Value::Array(list)
            }
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

/// The body as a JSON object; empty is `{}`.
fn from_body(headers: &HeaderMap, body: &[u8]) -> ApiResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let json_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
    if !json_type {
        return Err(ApiError(BusError::validation(
            "Content-Type",
            "expected Content-Type: application/json",
        )));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(params)) => Ok(params),
        Ok(_) => Err(ApiError(BusError::validation(
            "body",
            "the body must be a JSON object",
        ))),
        Err(e) => Err(ApiError(BusError::validation(
            "body",
            format!("invalid JSON: {e}"),
        ))),
    }
}

const STATUS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// `GET /api/capabilities`: versions, the runtime's capabilities (the operator methods it
/// answered when probed after `initialize`), and every system route with `capability`: whether
/// its method is among them (methods with side effects are never probed). Answers 200 while
/// the runtime is down, with `runtime: null` and `runtimeError`.
/// `GET /api/capabilities`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub api_version: String,
    /// Version of the bus contract (`cm.v1.*`).
    pub contract_version: String,
    pub gateway_version: String,
    /// The runtime as the bridge reports it; `null` while it cannot be reached.
    pub runtime: Option<RuntimeCapabilities>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_error: Option<BusError>,
    pub routes: Vec<SystemRoute>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeCapabilities {
    pub bridge_id: String,
    pub initialized: bool,
    pub user_agent: Option<String>,
    /// Operator methods the runtime answered when probed.
    pub capabilities: Vec<String>,
}

/// A system route and whether the runtime is known to have its method.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemRoute {
    pub method: String,
    pub path: String,
    pub runtime_method: String,
    pub capability: bool,
}

cm_schemas::openapi_schema!(Capabilities);

#[utoipa::path(get, path = "/api/capabilities", operation_id = "getCapabilities", tag = "system",
    summary = "Versions, the runtime's capabilities and what each system route needs",
    responses((status = 200, description = "Also while the runtime is down (`runtime: null`)",
        body = Capabilities, example = json!({
            "apiVersion": "1.0.0", "contractVersion": "1.0.0", "gatewayVersion": "0.1.0",
            "runtime": { "bridgeId": "bridge-1", "initialized": true,
                         "userAgent": "codex_cli_rs/0.169.0", "capabilities": ["model/list"] },
            "routes": [{ "method": "GET", "path": "/api/models", "runtimeMethod": "model/list",
                         "capability": true }]
        }))))]
pub async fn capabilities(State(state): State<AppState>) -> Json<Capabilities> {
    // A status report answers fast, like readiness: a short time-out of its own.
    let state = AppState {
        request_timeout: STATUS_TIMEOUT,
        ..state
    };
    let status = state.call::<commands::runtime::Status>(&Empty {}).await;
    let known = |m: &str| {
        status
            .as_ref()
            .is_ok_and(|s| s.capabilities.iter().any(|c| c == m))
    };
    let routes = ROUTES
        .iter()
        .map(|r| SystemRoute {
            method: match r.http {
                Get => "GET",
                Post => "POST",
            }
            .into(),
            path: r.path.into(),
            runtime_method: r.method.into(),
            capability: known(r.method),
        })
        .collect();
    let (runtime, runtime_error) = match status {
        Ok(s) => (
            Some(RuntimeCapabilities {
                bridge_id: s.bridge_id,
                initialized: s.initialized,
                user_agent: s.user_agent,
                capabilities: s.capabilities,
            }),
            None,
        ),
        Err(e) => (None, Some(e)),
    };
    Json(Capabilities {
        api_version: API_VERSION.into(),
        contract_version: CONTRACT_VERSION.into(),
        gateway_version: env!("CARGO_PKG_VERSION").into(),
        runtime,
        runtime_error,
        routes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_calls_an_operator_method_once() {
        use cm_schemas::operator::OPERATOR_METHODS;
        for r in ROUTES {
            assert!(OPERATOR_METHODS.contains(&r.method), "{}", r.method);
        }
        assert_eq!(ROUTES.len(), OPERATOR_METHODS.len());
    }

    #[test]
    fn query_parameters_are_typed() {
        let spec: &[(&str, Kind)] = &[("limit", Int), ("includeHidden", Bool), ("cwds", List)];
        let q = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        let ok = from_query(
            spec,
            &q(&[
                ("limit", "5"),
                ("includeHidden", "true"),
                ("cwds", "/a"),
                ("cwds", "/b"),
            ]),
        )
        .map(Value::Object)
        .unwrap_or_default();
        assert_eq!(
            ok,
            json!({ "limit": 5, "includeHidden": true, "cwds": ["/a", "/b"] })
        );
        let err = from_query(spec, &q(&[("limit", "many")]))
            .err()
            .map(|e| e.0);
        assert_eq!(
            err.map(|e| e.details["field"].clone()),
            Some(json!("limit"))
        );
        let err = from_query(spec, &q(&[("nope", "1")])).err().map(|e| e.0);
        assert_eq!(
            err.map(|e| e.details["field"].clone()),
            Some(json!("query"))
        );
    }
}
