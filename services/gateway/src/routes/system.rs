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
use cm_schemas::runtime::RuntimeStatus;
use cm_schemas::subjects::{self, prefix, verb};
use cm_schemas::{BusError, CONTRACT_VERSION};
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
}

const fn route(http: Http, path: &'static str, method: &'static str, params: Params) -> Route {
    Route {
        http,
        path,
        method,
        params,
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
    ])),
    route(Get, "/api/account", "account/read", Params::Query(&[("refreshToken", Bool)])),
    route(Get, "/api/account/rate-limits", "account/rateLimits/read", Params::Query(&[
        ("excludeResetCreditDetails", Bool),
    ])),
    route(Post, "/api/account/login", "account/login/start", Params::Body),
    route(Post, "/api/account/login/cancel", "account/login/cancel", Params::Body),
    route(Post, "/api/account/logout", "account/logout", Params::None),
    route(Get, "/api/config", "config/read", Params::Query(&[
        ("cwd", Str), ("includeLayers", Bool),
    ])),
    route(Post, "/api/config/value", "config/value/write", Params::Body),
    route(Post, "/api/config/batch", "config/batchWrite", Params::Body),
    route(Get, "/api/config/requirements", "configRequirements/read", Params::None),
    route(Get, "/api/mcp/servers", "mcpServerStatus/list", Params::Query(&[
        ("cursor", Str), ("limit", Int), ("threadId", Str), ("serverName", Str), ("detail", Str),
    ])),
    route(Post, "/api/mcp/reload", "config/mcpServer/reload", Params::None),
    route(Post, "/api/mcp/servers/{name}/login", "mcpServer/oauth/login", Params::Body),
    route(Get, "/api/skills", "skills/list", Params::Query(&[
        ("cwds", List), ("forceReload", Bool),
    ])),
    route(Get, "/api/apps", "app/list", Params::Query(&[
        ("cursor", Str), ("limit", Int), ("threadId", Str), ("forceRefetch", Bool),
    ])),
    route(Get, "/api/experimental-features", "experimentalFeature/list", Params::Query(PAGE)),
    route(Post, "/api/command/exec", "command/exec", Params::Body),
    route(Post, "/api/feedback", "feedback/upload", Params::Body),
];

/// The system routes, to be merged into the protected `/api` router.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new().route("/api/capabilities", get(capabilities));
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
    let subject = subjects::command(prefix::RUNTIME, verb::RUNTIME_CALL);
    let answer: RuntimeCallResult = state.command(&subject, &req).await?;
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
            Kind::Str => Value::String(raw.clone()),
            Kind::Int => Value::from(raw.parse::<i64>().map_err(|_| bad("an integer"))?),
            Kind::Bool => Value::Bool(raw.parse::<bool>().map_err(|_| bad("true or false"))?),
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
pub async fn capabilities(State(state): State<AppState>) -> Json<Value> {
    // A status report answers fast, like readiness: a short time-out of its own.
    let state = AppState {
        request_timeout: STATUS_TIMEOUT,
        ..state
    };
    let status = state
        .command::<_, RuntimeStatus>(&subjects::command(prefix::RUNTIME, verb::STATUS), &Empty {})
        .await;
    let known = |m: &str| {
        status
            .as_ref()
            .is_ok_and(|s| s.capabilities.iter().any(|c| c == m))
    };
    let routes: Vec<Value> = ROUTES
        .iter()
        .map(|r| {
            json!({
                "method": match r.http { Get => "GET", Post => "POST" },
                "path": r.path,
                "runtimeMethod": r.method,
                "capability": known(r.method),
            })
        })
        .collect();
    let mut body = json!({
        "apiVersion": API_VERSION,
        "contractVersion": CONTRACT_VERSION,
        "gatewayVersion": env!("CARGO_PKG_VERSION"),
        "runtime": Value::Null,
        "routes": routes,
    });
    match &status {
        Ok(s) => {
            body["runtime"] = json!({
                "bridgeId": s.bridge_id,
                "initialized": s.initialized,
                "userAgent": s.user_agent,
                "capabilities": s.capabilities,
            });
        }
        Err(e) => body["runtimeError"] = json!(e),
    }
    Json(body)
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
