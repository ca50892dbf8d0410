//! The table of system routes: what each calls in the runtime, where its params come from and
//! how the OpenAPI document describes it. One table feeds the router, `GET /api/capabilities`
//! and the document (`crate::openapi::system`), so the three cannot list different routes.

/// How a query parameter is typed in the runtime's params.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Str,
    Int,
    Bool,
    /// Repeatable: `?cwds=/a&cwds=/b` is `["/a", "/b"]`.
    List,
}

/// Where a route's params come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Params {
    /// The method takes none: `{}` is sent.
    None,
    /// Typed query parameters (a `GET`).
    Query(&'static [(&'static str, Kind)]),
    /// The JSON object in the body (a `POST`; an empty body is `{}`).
    Body,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Http {
    Get,
    Post,
}

/// One system route.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) http: Http,
    pub(crate) path: &'static str,
    pub(crate) method: &'static str,
    pub(crate) params: Params,
    pub(crate) doc: Doc,
}

/// How a system route appears in the OpenAPI document.
#[derive(Debug)]
pub(crate) struct Doc {
    pub(crate) operation_id: &'static str,
    pub(crate) tag: &'static str,
    pub(crate) summary: &'static str,
    /// The pinned app-server schema (`schemas/codex-app-server/`) of the params, if any.
    pub(crate) params: Option<&'static str>,
    /// The pinned app-server schema of the result.
    pub(crate) result: &'static str,
    /// A request body for `POST`s that take one.
    pub(crate) example: Option<&'static str>,
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
pub(crate) const ROUTES: &[Route] = &[
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
