//! Every operation of the HTTP API the CLI calls, by its OpenAPI `operationId`, with its
//! method and path template. Commands name these constants, and each command group lists which
//! command calls which operation (`OPS` in each `commands::*` module); the parity test checks
//! both lists against `schemas/openapi.json`.

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

/// One operation of the API.
#[derive(Debug, PartialEq, Eq)]
pub struct Op {
    /// The OpenAPI `operationId`.
    pub id: &'static str,
    pub method: Method,
    /// The path template, `{name}` for each path parameter, in order.
    pub path: &'static str,
}

impl Op {
    /// The path with `params` filled in (percent-encoded), in the order of the template.
    pub fn path_with(&self, params: &[&str]) -> String {
        let mut out = String::new();
        let mut rest = self.path;
        let mut params = params.iter();
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .map_or(rest.len(), |e| start + e + 1);
            out.push_str(&encode_segment(params.next().copied().unwrap_or_default()));
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const fn op(id: &'static str, method: Method, path: &'static str) -> Op {
    Op { id, method, path }
}

use Method::{Delete, Get, Patch, Post, Put};

// System.
pub const GET_HEALTH: Op = op("getHealth", Get, "/api/health");
pub const GET_READY: Op = op("getReady", Get, "/api/ready");
pub const GET_OPENAPI: Op = op("getOpenApi", Get, "/api/openapi.json");
pub const GET_CAPABILITIES: Op = op("getCapabilities", Get, "/api/capabilities");
pub const LIST_SERVICES: Op = op("listServices", Get, "/api/services");

// Sessions and turns.
pub const CREATE_SESSION: Op = op("createSession", Post, "/api/sessions");
pub const LIST_SESSIONS: Op = op("listSessions", Get, "/api/sessions");
pub const GET_SESSION: Op = op("getSession", Get, "/api/sessions/{id}");
pub const SEND_MESSAGE: Op = op("sendMessage", Post, "/api/sessions/{id}/messages");
pub const STEER_TURN: Op = op("steerTurn", Post, "/api/sessions/{id}/steer");
pub const INTERRUPT_TURN: Op = op("interruptTurn", Post, "/api/sessions/{id}/interrupt");
pub const STREAM_SESSION_EVENTS: Op = op("streamSessionEvents", Get, "/api/sessions/{id}/events");
pub const STREAM_EVENTS: Op = op("streamEvents", Get, "/api/events");
pub const UPSERT_TRANSCRIPT_ENTRY: Op = op(
    "upsertTranscriptEntry",
    Put,
    "/api/sessions/{id}/transcript/{messageId}",
);

// Pending requests.
pub const LIST_REQUESTS: Op = op("listRequests", Get, "/api/sessions/{id}/requests");
pub const LIST_ALL_REQUESTS: Op = op("listAllRequests", Get, "/api/requests");
pub const DECIDE_REQUEST: Op = op(
    "decideRequest",
    Post,
    "/api/sessions/{id}/requests/{requestId}/decision",
);

// Projects.
pub const CREATE_PROJECT: Op = op("createProject", Post, "/api/projects");
pub const LIST_PROJECTS: Op = op("listProjects", Get, "/api/projects");
pub const GET_PROJECT: Op = op("getProject", Get, "/api/projects/{id}");
pub const UPDATE_PROJECT: Op = op("updateProject", Patch, "/api/projects/{id}");
pub const DELETE_PROJECT: Op = op("deleteProject", Delete, "/api/projects/{id}");
pub const MOVE_PROJECT_SESSIONS: Op = op(
    "moveProjectSessions",
    Post,
    "/api/projects/{id}/sessions/move",
);
pub const DELETE_PROJECT_SESSIONS: Op = op(
    "deleteProjectSessions",
    Post,
    "/api/projects/{id}/sessions/delete",
);

// Session lifecycle.
pub const UPDATE_SESSION: Op = op("updateSession", Patch, "/api/sessions/{id}");
pub const DELETE_SESSION: Op = op("deleteSession", Delete, "/api/sessions/{id}");
pub const ARCHIVE_SESSION: Op = op("archiveSession", Post, "/api/sessions/{id}/archive");
pub const UNARCHIVE_SESSION: Op = op("unarchiveSession", Post, "/api/sessions/{id}/unarchive");
pub const FORK_SESSION: Op = op("forkSession", Post, "/api/sessions/{id}/fork");
pub const COMPACT_SESSION: Op = op("compactSession", Post, "/api/sessions/{id}/compact");
pub const ROLLBACK_SESSION: Op = op("rollbackSession", Post, "/api/sessions/{id}/rollback");
pub const RESUME_SESSION: Op = op("resumeSession", Post, "/api/sessions/{id}/resume");
pub const REVIEW_SESSION: Op = op("reviewSession", Post, "/api/sessions/{id}/review");
pub const CLEAN_TERMINALS: Op = op("cleanTerminals", Post, "/api/sessions/{id}/terminals/clean");

// Controls.
pub const GET_CONTROL_DEFAULTS: Op = op("getControlDefaults", Get, "/api/controls/defaults");
pub const PUT_CONTROL_DEFAULTS: Op = op("putControlDefaults", Put, "/api/controls/defaults");
pub const GET_SESSION_CONTROLS: Op = op("getSessionControls", Get, "/api/sessions/{id}/controls");
pub const PUT_SESSION_CONTROLS: Op = op("putSessionControls", Put, "/api/sessions/{id}/controls");
pub const PATCH_SESSION_CONTROLS: Op =
    op("patchSessionControls", Patch, "/api/sessions/{id}/controls");

// Settings, global and per session.
pub const LIST_SETTINGS: Op = op("listSettings", Get, "/api/settings");
pub const GET_SETTING: Op = op("getSetting", Get, "/api/settings/{key}");
pub const PUT_SETTING: Op = op("putSetting", Put, "/api/settings/{key}");
pub const PATCH_SETTING: Op = op("patchSetting", Patch, "/api/settings/{key}");
pub const DELETE_SETTING: Op = op("deleteSetting", Delete, "/api/settings/{key}");
pub const LIST_SESSION_SETTINGS: Op = op("listSessionSettings", Get, "/api/sessions/{id}/settings");
pub const GET_SESSION_SETTING: Op = op(
    "getSessionSetting",
    Get,
    "/api/sessions/{id}/settings/{key}",
);
pub const PUT_SESSION_SETTING: Op = op(
    "putSessionSetting",
    Put,
    "/api/sessions/{id}/settings/{key}",
);
pub const PATCH_SESSION_SETTING: Op = op(
    "patchSessionSetting",
    Patch,
    "/api/sessions/{id}/settings/{key}",
);
pub const DELETE_SESSION_SETTING: Op = op(
    "deleteSessionSetting",
    Delete,
    "/api/sessions/{id}/settings/{key}",
);

// The runtime's operator surface.
pub const LIST_MODELS: Op = op("listModels", Get, "/api/models");
pub const GET_ACCOUNT: Op = op("getAccount", Get, "/api/account");
pub const GET_ACCOUNT_RATE_LIMITS: Op = op("getAccountRateLimits", Get, "/api/account/rate-limits");
pub const START_ACCOUNT_LOGIN: Op = op("startAccountLogin", Post, "/api/account/login");
pub const CANCEL_ACCOUNT_LOGIN: Op = op("cancelAccountLogin", Post, "/api/account/login/cancel");
pub const LOGOUT_ACCOUNT: Op = op("logoutAccount", Post, "/api/account/logout");
pub const READ_CONFIG: Op = op("readConfig", Get, "/api/config");
pub const WRITE_CONFIG_VALUE: Op = op("writeConfigValue", Post, "/api/config/value");
pub const WRITE_CONFIG_BATCH: Op = op("writeConfigBatch", Post, "/api/config/batch");
pub const READ_CONFIG_REQUIREMENTS: Op =
    op("readConfigRequirements", Get, "/api/config/requirements");
pub const LIST_MCP_SERVERS: Op = op("listMcpServers", Get, "/api/mcp/servers");
pub const RELOAD_MCP_SERVERS: Op = op("reloadMcpServers", Post, "/api/mcp/reload");
pub const LOGIN_MCP_SERVER: Op = op("loginMcpServer", Post, "/api/mcp/servers/{name}/login");
pub const LIST_SKILLS: Op = op("listSkills", Get, "/api/skills");
pub const LIST_APPS: Op = op("listApps", Get, "/api/apps");
pub const LIST_EXPERIMENTAL_FEATURES: Op = op(
    "listExperimentalFeatures",
    Get,
    "/api/experimental-features",
);
pub const EXEC_COMMAND: Op = op("execCommand", Post, "/api/command/exec");
pub const UPLOAD_FEEDBACK: Op = op("uploadFeedback", Post, "/api/feedback");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_filled_in_order_and_encoded() {
        assert_eq!(
            DECIDE_REQUEST.path_with(&["s 1", "r/2"]),
            "/api/sessions/s%201/requests/r%2F2/decision"
        );
        assert_eq!(LIST_SESSIONS.path_with(&[]), "/api/sessions");
        assert_eq!(Method::parse("patch"), Some(Method::Patch));
    }
}
