//! The bodies of the gateway's HTTP API (`/api`) that are not bus messages: request bodies
//! shaped for a route (the path carries the id the bus message needs), query parameters and the
//! gateway's own answers. They live here rather than beside their routes so that every HTTP
//! body has one declaration a client crate can share; the gateway only uses them.
//!
//! They are not in the bus registry (`schemas/json/`): the HTTP contract is the OpenAPI
//! document (`schemas/openapi.json`), which takes their schemas from schemars like every other
//! body. Doc comments on types and fields are that document's descriptions, so editing one is a
//! change of the contract.
//!
//! The request bodies also serialize, for clients (the CLI) to build them: an absent optional
//! field is left out (`skip_serializing_if`), so that a nullable field's `None` (absent) stays
//! apart from `Some(None)` (`null`). schemars drops the `"default": null` it documents for such
//! a field, so `#[schemars(extend("default" = null))]` keeps the document as it was.

mod events;
mod projects;
mod requests;
mod services;
mod sessions;
mod system;

pub use events::{GlobalEventsQuery, SessionEventsQuery};
pub use projects::{MoveBody, ProjectPatch};
pub use requests::{Decision, ListQuery};
pub use services::{EndpointStats, ServiceInstance, ServiceList};
pub use sessions::{EntryBody, ReviewBody, RollbackBody, SendMessage, SessionPatch, Steer};
pub use system::{Capabilities, ErrorBody, Health, Readiness, RuntimeCapabilities, SystemRoute};
