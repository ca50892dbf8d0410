//! Pending requests: what the runtime asks of a person (approvals, answers) or of the client
//! (dynamic tool calls), held open until exactly one decision reaches it.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire_enum::wire_enum;

/// What kind of answer a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RequestKind {
    /// `item/commandExecution/requestApproval` (and legacy `execCommandApproval`).
    CommandApproval,
    /// `item/fileChange/requestApproval` (and legacy `applyPatchApproval`).
    FileChangeApproval,
    /// `item/permissions/requestApproval`.
    PermissionsApproval,
    /// `item/tool/requestUserInput`: questions for the user.
    UserInput,
    /// `mcpServer/elicitation/request`.
    McpElicitation,
    /// `item/tool/call`: a dynamic tool the client implements.
    ToolCall,
}

impl RequestKind {
    /// The kind of a server→client request method, `None` for methods we do not hold open.
    pub fn of_method(method: &str) -> Option<Self> {
        Some(match method {
            "item/commandExecution/requestApproval" | "execCommandApproval" => {
                Self::CommandApproval
            }
            "item/fileChange/requestApproval" | "applyPatchApproval" => Self::FileChangeApproval,
            "item/permissions/requestApproval" => Self::PermissionsApproval,
            "item/tool/requestUserInput" => Self::UserInput,
            "mcpServer/elicitation/request" => Self::McpElicitation,
            "item/tool/call" => Self::ToolCall,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CommandApproval => "commandApproval",
            Self::FileChangeApproval => "fileChangeApproval",
            Self::PermissionsApproval => "permissionsApproval",
            Self::UserInput => "userInput",
            Self::McpElicitation => "mcpElicitation",
            Self::ToolCall => "toolCall",
        }
    }

    /// The class a client filters by (`?kind=` of the request list).
    pub fn class(self) -> RequestClass {
        match self {
            Self::CommandApproval | Self::FileChangeApproval | Self::PermissionsApproval => {
                RequestClass::Approval
            }
            Self::UserInput | Self::McpElicitation => RequestClass::ToolInput,
            Self::ToolCall => RequestClass::ToolCall,
        }
    }

    /// Approvals take a plain decision (`accept`, `decline`...); the others a full response.
    pub fn takes_decision(self) -> bool {
        matches!(self, Self::CommandApproval | Self::FileChangeApproval)
    }
}

/// The three classes of pending requests a client tells apart: approvals (command, file change,
/// permissions), tool input (questions for the user, MCP elicitations) and dynamic tool calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RequestClass {
    Approval,
    ToolInput,
    ToolCall,
}

impl RequestClass {
    pub const ALL: [RequestClass; 3] = [Self::Approval, Self::ToolInput, Self::ToolCall];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approval => "approval",
            Self::ToolInput => "toolInput",
            Self::ToolCall => "toolCall",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The request kinds of this class, as stored.
    pub fn kinds(self) -> Vec<&'static str> {
        [
            RequestKind::CommandApproval,
            RequestKind::FileChangeApproval,
            RequestKind::PermissionsApproval,
            RequestKind::UserInput,
            RequestKind::McpElicitation,
            RequestKind::ToolCall,
        ]
        .into_iter()
        .filter(|k| k.class() == self)
        .map(RequestKind::as_str)
        .collect()
    }
}

/// A request as opened (the data of `request.opened`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PendingRequest {
    /// Stable id, assigned by the bridge; use it to decide.
    pub id: String,
    pub session_id: String,
    pub turn_id: Option<String>,
    pub item_id: Option<String>,
    pub kind: RequestKind,
    /// The runtime's method and params, as received.
    pub method: String,
    pub params: Value,
    /// For approvals: the decisions the runtime offers (when it lists them).
    pub available_decisions: Option<Vec<Value>>,
    pub opened_at: DateTime<Utc>,
}

/// How a request ended (the data of `request.resolved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RequestOutcome {
    /// A decision reached the runtime.
    Resolved,
    /// The turn ended or the runtime exited first; nothing was sent.
    Expired,
}

/// A stored request with its state (`pending`, `resolved`, `expired`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    #[serde(flatten)]
    pub request: PendingRequest,
    pub status: String,
    /// The response sent to the runtime.
    pub response: Option<Value>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// `cm.v1.session.request.list`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListRequests {
    /// One session's requests; absent: every session's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Only pending ones (default) or all.
    #[serde(default)]
    pub include_resolved: bool,
    /// Only requests of this class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RequestClass>,
}

wire_enum! {
    /// A plain answer to an approval, as app-server takes it.
    pub enum ApprovalDecision(closed) {
        Accept = "accept",
        AcceptForSession = "acceptForSession",
        Decline = "decline",
        Cancel = "cancel",
    }
}

/// `cm.v1.session.request.decide`: the first decision wins; the same one again answers
/// `already_resolved`, a different one `conflict`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecideRequest {
    #[serde(default)]
    pub session_id: String,
    #[serde(default)]
    pub request_id: String,
    /// For approvals.
    #[serde(default)]
    pub decision: Option<ApprovalDecision>,
    /// `turn` (default) or `session`: `accept` with scope `session` becomes `acceptForSession`.
    #[serde(default)]
    pub scope: Option<String>,
    /// For every other kind: the response body for the runtime (e.g. `{"answers": {...}}`).
    #[serde(default)]
    pub response: Option<Value>,
    /// Who decided (`api`, `cli`, `web`, an extension name); recorded and published.
    #[serde(default)]
    pub decided_by: Option<String>,
}

/// `cm.v1.runtime.request.respond`: deliver a response to the held JSON-RPC request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RespondRequest {
    pub request_id: String,
    pub response: Value,
    pub decided_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_is_typed_and_an_unknown_one_kept_verbatim() {
        let d: DecideRequest = serde_json::from_value(serde_json::json!({
            "decision": "acceptForSession"
        }))
        .unwrap();
        assert_eq!(d.decision, Some(ApprovalDecision::AcceptForSession));
        let d: DecideRequest =
            serde_json::from_value(serde_json::json!({ "decision": "maybeLater" })).unwrap();
        assert_eq!(
            serde_json::to_value(&d).unwrap()["decision"],
            serde_json::json!("maybeLater")
        );
        assert_eq!(d.decision.map(|d| d.is_known()), Some(false));
    }

    #[test]
    fn every_kind_has_one_class_and_classes_parse_their_names() {
        let all: Vec<&str> = RequestClass::ALL
            .into_iter()
            .flat_map(RequestClass::kinds)
            .collect();
        assert_eq!(all.len(), 6, "each kind in exactly one class: {all:?}");
        assert_eq!(
            RequestClass::Approval.kinds(),
            [
                "commandApproval",
                "fileChangeApproval",
                "permissionsApproval"
            ]
        );
        assert_eq!(
            RequestClass::ToolInput.kinds(),
            ["userInput", "mcpElicitation"]
        );
        assert_eq!(RequestClass::ToolCall.kinds(), ["toolCall"]);
        for c in RequestClass::ALL {
            assert_eq!(RequestClass::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).ok(), Some(c.as_str().into()));
        }
        assert_eq!(RequestClass::parse("approvals"), None);
    }
}
