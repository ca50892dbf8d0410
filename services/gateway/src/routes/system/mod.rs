//! System routes (A4, R6): the runtime's operator surface over HTTP — models, account, config,
//! MCP servers, skills, apps, experimental features, one-off commands, feedback — plus
//! `GET /api/capabilities`.
//!
//! Every route is a row of [`ROUTES`] (`table`): the app-server method it calls through
//! `cm.v1.runtime.call` and where its params come from (typed query parameters for `GET`s, the
//! JSON body for `POST`s, path parameters merged in). The answer is the runtime's `result`,
//! unchanged; errors map as everywhere (`validation` 400, `not_supported` 501,
//! `runtime_error` 502, `unavailable` 503, `timeout` 504).

pub mod capabilities;
mod table;

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{MethodRouter, get, post};
use cm_schemas::operator::{RuntimeCall, RuntimeCallResult};
use cm_schemas::{BusError, commands};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

use Http::{Get, Post};
pub(crate) use table::{Http, Kind, Params, ROUTES, Route};

/// Version of the HTTP API under `/api`.
pub const API_VERSION: &str = "1.0.0";

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::table::Kind::{Bool, Int, List};
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
