//! Query parameters of the event streams (`GET /api/sessions/{id}/events`, `GET /api/events`).

use serde::Deserialize;

// utoipa reads the field docs as parameter descriptions; only the gateway needs that, so the
// derive waits for the `openapi` feature like the rest of the utoipa bridge.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SessionEventsQuery {
    /// Resume after this stream sequence (used when no `Last-Event-ID` header is sent).
    pub after: Option<u64>,
    /// Only these kinds (`item.delta`, `item.*`, comma-separated).
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct GlobalEventsQuery {
    /// `session`, `project`, `runtime` or `queue`.
    pub scope: Option<String>,
    /// One instance of `scope` (requires `scope`).
    pub scope_id: Option<String>,
    /// One session: short for `scope=session&scopeId=`.
    pub session_id: Option<String>,
    /// `item.delta`, a prefix `item.*`, or several comma-separated.
    pub kind: Option<String>,
    /// Resume after this stream sequence (used when no `Last-Event-ID` header is sent).
    pub after: Option<u64>,
}
