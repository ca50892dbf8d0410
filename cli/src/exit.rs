//! Exit codes by error class, and the one place where an API error, an HTTP status or a
//! transport failure becomes a class.
//!
//! | code | class | when |
//! |---|---|---|
//! | 0 | — | success |
//! | 1 | failure | anything else: a local file, an unexpected answer |
//! | 2 | usage | bad flags (clap), or the API refused the request as invalid (400, 405, 413) |
//! | 3 | auth | 401 / 403: missing or wrong token |
//! | 4 | not found | 404 / 410: no such resource, or it was deleted |
//! | 5 | conflict | 409 / 423: already decided, no active turn, name taken, locked |
//! | 6 | server | 5xx and 429: the API or one of its dependencies failed |
//! | 7 | unreachable | no HTTP answer at all (connection refused, DNS, time-out) |
//! | 8 | turn failed | `sessions send --wait`: the turn ended `failed` |
//! | 9 | turn interrupted | `sessions send --wait`: the turn ended `interrupted` |
//! | 10 | job failed | `jobs enqueue --wait`: the job ended `failed` |
//! | 11 | job canceled | `jobs enqueue --wait`: the job ended `canceled` |

use cm_schemas::{BusError, ErrorCode};
use serde_json::{Value, json};

/// What kind of failure ended the command; its discriminant is the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Failure = 1,
    Usage = 2,
    Auth = 3,
    NotFound = 4,
    Conflict = 5,
    Server = 6,
    Unreachable = 7,
    TurnFailed = 8,
    TurnInterrupted = 9,
    JobFailed = 10,
    JobCanceled = 11,
}

impl Class {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Class::Failure => "failure",
            Class::Usage => "usage",
            Class::Auth => "auth",
            Class::NotFound => "not_found",
            Class::Conflict => "conflict",
            Class::Server => "server",
            Class::Unreachable => "unreachable",
            Class::TurnFailed => "turn_failed",
            Class::TurnInterrupted => "turn_interrupted",
            Class::JobFailed => "job_failed",
            Class::JobCanceled => "job_canceled",
        }
    }

    /// The class of an API error code.
    pub fn of_code(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Validation | ErrorCode::PayloadTooLarge | ErrorCode::MethodNotAllowed => {
                Class::Usage
            }
            ErrorCode::Unauthorized | ErrorCode::Forbidden => Class::Auth,
            ErrorCode::NotFound | ErrorCode::Gone => Class::NotFound,
            ErrorCode::Conflict
            | ErrorCode::AlreadyResolved
            | ErrorCode::NoActiveTurn
            | ErrorCode::Locked => Class::Conflict,
            ErrorCode::RateLimited
            | ErrorCode::NotSupported
            | ErrorCode::Unavailable
            | ErrorCode::RuntimeError
            | ErrorCode::Timeout
            | ErrorCode::Internal => Class::Server,
        }
    }

    /// The class of an HTTP status whose body carried no error code we know.
    pub fn of_status(status: u16) -> Self {
        match status {
            400 | 405 | 413 | 415 | 422 => Class::Usage,
            401 | 403 => Class::Auth,
            404 | 410 => Class::NotFound,
            409 | 423 => Class::Conflict,
            429 | 500..=599 => Class::Server,
            _ => Class::Failure,
        }
    }
}

/// A failure with its class; `api` holds the API's own error when there was one.
#[derive(Debug, Clone)]
pub struct CliError {
    pub class: Class,
    pub message: String,
    /// HTTP status and the `{error: {code, message, details}}` body, when the API answered.
    pub api: Option<(u16, Value)>,
}

impl CliError {
    pub fn new(class: Class, message: impl Into<String>) -> Self {
        Self {
            class,
            message: message.into(),
            api: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Class::Usage, message)
    }

    /// An error answer of the API: classed by `error.code` when it is one of ours, else by the
    /// status.
    pub fn from_response(status: u16, body: &str) -> Self {
        let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let typed = serde_json::from_value::<BusError>(value["error"].clone()).ok();
        let class = typed
            .as_ref()
            .map_or_else(|| Class::of_status(status), |e| Class::of_code(e.code));
        let message = match (&typed, value["error"]["message"].as_str()) {
            (Some(e), _) => format!("{}: {} (HTTP {status})", e.code, e.message),
            (None, Some(m)) => format!("{m} (HTTP {status})"),
            (None, None) if body.trim().is_empty() => format!("HTTP {status}"),
            (None, None) => format!("HTTP {status}: {}", body.trim()),
        };
        let error = if value["error"].is_object() {
            value["error"].clone()
        } else {
            json!({ "message": body })
        };
        Self {
            class,
            message,
            api: Some((status, error)),
        }
    }

    /// No HTTP answer: the API could not be reached. The message names the server and the
    /// deepest cause ([`transport_cause`]), with a hint when nothing listens there.
    pub fn transport(url: &str, e: &reqwest::Error) -> Self {
        let hint = if is_tls(e) {
            "; if the server's certificate comes from a private CA, trust it with --ca-cert (or CM_CA_CERT, or the profile's ca_cert)"
        } else if e.is_connect() {
            "; is the stack running (`codex-manager up`), and is this the right profile (`codex-manager profile show`)?"
        } else {
            ""
        };
        Self::new(
            Class::Unreachable,
            format!("{}{hint}", transport_cause(url, e)),
        )
    }

    /// A failure already reported on stdout: only the exit code is left to give.
    pub fn quiet(class: Class) -> Self {
        Self::new(class, "")
    }

    /// What `--json` prints on stderr.
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "exitCode": self.class.code(),
            "class": self.class.name(),
            "message": self.message,
        });
        if let Some((status, error)) = &self.api {
            out["status"] = json!(status);
            out["error"] = error.clone();
        }
        out
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Whether the TLS handshake failed (the server's certificate, most often): trying again
/// will not change it.
pub fn is_tls(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<native_tls::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// `cannot reach <server>: <deepest cause>` (`Connection refused`, a DNS failure, a time-out).
pub fn transport_cause(url: &str, e: &reqwest::Error) -> String {
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if e.is_timeout() {
        cause = format!("no answer in time ({cause})");
    }
    let server = url.split("/api").next().unwrap_or(url);
    format!("cannot reach {server}: {cause}")
}

/// The class of any error: the first [`CliError`] in its chain, else [`Class::Failure`].
pub fn class_of(e: &anyhow::Error) -> Class {
    e.chain()
        .find_map(|c| c.downcast_ref::<CliError>())
        .map_or(Class::Failure, |c| c.class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_are_classed_by_code_then_status() {
        let e = CliError::from_response(
            404,
            r#"{"error":{"code":"not_found","message":"session x not found"}}"#,
        );
        assert_eq!(e.class, Class::NotFound);
        assert_eq!(e.message, "not_found: session x not found (HTTP 404)");
        let e = CliError::from_response(
            409,
            r#"{"error":{"code":"already_resolved","message":"m"}}"#,
        );
        assert_eq!(e.class, Class::Conflict);
        // 503 unavailable is the server's trouble, not the network's.
        let e = CliError::from_response(503, r#"{"error":{"code":"unavailable","message":"m"}}"#);
        assert_eq!(e.class, Class::Server);
        // A code we do not know: the status decides.
        let e = CliError::from_response(401, r#"{"error":{"code":"brand_new","message":"m"}}"#);
        assert_eq!((e.class, e.message.as_str()), (Class::Auth, "m (HTTP 401)"));
        let e = CliError::from_response(502, "Bad Gateway");
        assert_eq!(
            (e.class, e.message.as_str()),
            (Class::Server, "HTTP 502: Bad Gateway")
        );
        assert_eq!(Class::of_status(418), Class::Failure);
        assert_eq!(e.to_json()["exitCode"], 6);
    }

    #[test]
    fn the_class_is_found_through_context() {
        let e = anyhow::Error::new(CliError::usage("bad")).context("while doing it");
        assert_eq!(class_of(&e), Class::Usage);
        assert_eq!(class_of(&anyhow::anyhow!("plain")), Class::Failure);
    }
}
