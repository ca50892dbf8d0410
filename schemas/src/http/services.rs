//! `GET /api/services`: what NATS service discovery reports for each running instance.

use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceList {
    pub services: Vec<ServiceInstance>,
}

/// One running instance of a service.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceInstance {
    /// `cm-gateway`, `cm-session`, `cm-runtime-bridge` or `cm-queue-worker`.
    pub name: String,
    /// Unique per instance (process).
    pub id: String,
    pub version: String,
    /// When the instance started (RFC 3339).
    pub started: String,
    pub endpoints: Vec<EndpointStats>,
}

/// One bus command endpoint of an instance.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointStats {
    pub name: String,
    pub subject: String,
    pub requests: u64,
    pub errors: u64,
    pub processing_time_ms: f64,
    pub average_processing_time_ms: f64,
    /// The last error, as `code:message`.
    pub last_error: Option<String>,
}
