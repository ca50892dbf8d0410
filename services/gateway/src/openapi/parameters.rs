//! Parameters as the gateway checks them: the schemas here restate `crate::params` and the
//! stream selectors, so that a client can tell a valid path or query from an invalid one without
//! sending it.

use serde_json::{Value, json};

use crate::routes::KINDS_PATTERN;

/// What the gateway accepts in `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub(super) const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

/// The schema of a path parameter: exactly what `crate::params::check_path_param` accepts.
pub(super) fn path_param_schema(name: &str) -> Value {
    match name {
        "key" => json!({ "type": "string", "pattern": crate::params::KEY_PATTERN }),
        "messageId" | "name" => json!({ "type": "string", "pattern": crate::params::NAME_PATTERN }),
        _ => json!({ "type": "string", "pattern": crate::params::ID_PATTERN }),
    }
}

/// Ranges the gateway enforces on shared query and header parameters, stated in the schema.
pub(super) fn constrain_param(path: &str, p: &mut Value) {
    let (name, place) = (p["name"].as_str().unwrap_or_default(), p["in"].as_str());
    if path == "/api/jobs" {
        match (name, place) {
            ("cursor", Some("query")) => {
                p["schema"] =
                    json!({ "type": "string", "pattern": crate::params::JOB_CURSOR_PATTERN });
                return;
            }
            ("kind", Some("query")) => {
                p["schema"] =
                    json!({ "type": "string", "pattern": crate::params::JOB_KIND_PATTERN });
                return;
            }
            ("state", Some("query")) => {
                p["schema"] = json!({ "$ref": "#/components/schemas/JobState" });
                return;
            }
            _ => {}
        }
    }
    match (name, place) {
        ("Last-Event-ID", Some("header")) => {
            p["schema"] = json!({ "type": "string", "pattern": crate::params::SEQ_PATTERN });
        }
        ("after", Some("query")) => {
            p["schema"] = json!({
                "type": "integer", "format": "int64", "minimum": 0,
                "maximum": crate::params::MAX_SEQ,
            });
        }
        ("sessionId" | "scopeId" | "projectId", Some("query")) => {
            p["schema"] = json!({ "type": "string", "pattern": crate::params::ID_PATTERN });
        }
        ("limit", Some("query")) => {
            p["schema"] = json!({
                "type": "integer", "format": "int32",
                "minimum": crate::params::MIN_LIMIT, "maximum": crate::params::MAX_LIMIT,
            });
        }
        ("cursor", Some("query")) => {
            p["schema"] = json!({ "type": "string", "pattern": crate::params::CURSOR_PATTERN });
        }
        ("archived" | "systemOwned", Some("query")) => {
            p["schema"] = json!({ "type": "string", "enum": ["false", "true", "all"] });
        }
        ("scope", Some("query")) => {
            p["schema"] = json!({
                "type": "string", "enum": ["session", "project", "job", "runtime", "extension"],
            });
        }
        ("kind", Some("query"))
            if p["description"]
                .as_str()
                .is_some_and(|d| d.contains("toolCall")) =>
        {
            p["schema"] =
                json!({ "type": "string", "enum": ["approval", "toolInput", "toolCall"] });
        }
        ("kind", Some("query")) => {
            p["schema"] = json!({ "type": "string", "pattern": KINDS_PATTERN });
        }
        _ => {}
    }
}

/// The `{name}` segments of a route template.
pub(super) fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

pub(super) fn describe_path_param(path: &str, name: &str) -> &'static str {
    match name {
        "id" if path.starts_with("/api/projects/") => "Project id",
        "id" if path.starts_with("/api/jobs/") => "Job id (a UUID; any other id names no job)",
        "id" => "Session id (the app-server thread id)",
        "request_id" | "requestId" => "Pending request id (from `request.opened` or the list)",
        "key" => "Setting key: letters, digits, `.`, `_` and `-`, at most 128",
        "messageId" | "message_id" => "Transcript entry id, chosen by the client",
        "name" => "MCP server name",
        _ => "Path parameter",
    }
}
