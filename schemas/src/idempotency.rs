//! Idempotency records (`cm.v1.session.idempotency.*`): how the gateway makes a repeated
//! `POST` with the same `Idempotency-Key` answer what the first one answered.
//!
//! The gateway hashes each keyed request and calls [`BeginIdempotent`] before running the
//! handler. The session service either reserves the key ([`BeginOutcome::Proceed`]), answers
//! the stored response ([`BeginOutcome::Replay`]), or refuses with `conflict` (the key was used
//! for a different request, `details.inProgress = true` while the first request still runs).
//! After the handler, [`CompleteIdempotent`] stores the response — whatever it is, when the
//! request may have run — or releases the reservation when `response` is absent (answers that
//! say nothing ran: `400`, `413`, `429`, `503`), so the client may retry.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Longest accepted `Idempotency-Key` (visible ASCII characters).
pub const MAX_KEY_LEN: usize = 255;
/// Largest response body stored for replay. Kept well under NATS's default 1 MiB `max_payload`,
/// since the body travels in one [`CompleteIdempotent`] message.
pub const MAX_STORED_BODY_BYTES: usize = 256 * 1024;
/// How long a record lives when the request does not say.
pub const DEFAULT_TTL_SECS: u32 = 24 * 60 * 60;
/// How long an unfinished reservation blocks its key when the request does not say; after that
/// a retry with the same request takes it over (the first holder is presumed dead).
pub const DEFAULT_LEASE_SECS: u32 = 5 * 60;

/// `cm.v1.session.idempotency.begin`: reserve `key` for this request, or learn its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BeginIdempotent {
    /// Whose key this is: keys of different principals never collide.
    pub scope: String,
    /// The client's `Idempotency-Key` (1–255 visible ASCII characters).
    pub key: String,
    /// Lower-case hex SHA-256 of the request (method, path and query, canonical body).
    pub request_hash: String,
    pub method: String,
    pub path: String,
    /// How long the record is kept (default [`DEFAULT_TTL_SECS`]).
    #[serde(default)]
    pub ttl_secs: Option<u32>,
    /// How long the reservation holds before a retry may take it over
    /// (default [`DEFAULT_LEASE_SECS`]).
    #[serde(default)]
    pub lease_secs: Option<u32>,
}

/// What the caller of [`BeginIdempotent`] does next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum BeginOutcome {
    /// The key is reserved for this caller: run the request, then complete with `reservation`.
    #[serde(rename_all = "camelCase")]
    Proceed { reservation: String },
    /// The same request already completed: answer this, unchanged.
    #[serde(rename_all = "camelCase")]
    Replay { response: StoredResponse },
}

/// A response exactly as first answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoredResponse {
    /// HTTP status code.
    pub status: u16,
    #[serde(default)]
    pub content_type: Option<String>,
    /// The body (UTF-8, at most [`MAX_STORED_BODY_BYTES`] bytes).
    pub body: String,
}

/// `cm.v1.session.idempotency.complete`: store the outcome of a reserved request, or release
/// the reservation (no `response`) so the key may be used again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteIdempotent {
    pub scope: String,
    pub key: String,
    /// From [`BeginOutcome::Proceed`]: only the holder of the reservation completes it.
    pub reservation: String,
    #[serde(default)]
    pub response: Option<StoredResponse>,
}

/// Result of [`CompleteIdempotent`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompleteOutcome {
    /// False when the reservation was no longer held (expired and taken over, or swept).
    pub applied: bool,
}

/// Whether `key` is an acceptable `Idempotency-Key`: 1–[`MAX_KEY_LEN`] visible ASCII
/// characters (`!` to `~`, no spaces).
pub fn valid_key(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("a"));
        assert!(valid_key(&"k".repeat(MAX_KEY_LEN)));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(MAX_KEY_LEN + 1)));
        assert!(!valid_key("has space"));
        assert!(!valid_key("tab\t"));
        assert!(!valid_key("é"));
    }

    #[test]
    fn outcomes_are_tagged() {
        let v = serde_json::to_value(BeginOutcome::Proceed {
            reservation: "r".into(),
        })
        .unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({ "outcome": "proceed", "reservation": "r" })
        );
    }
}
