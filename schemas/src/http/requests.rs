//! Query and body of the pending-request routes (`/api/requests`,
//! `/api/sessions/{id}/requests/...`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListQuery {
    /// Also the resolved and expired ones.
    #[serde(default)]
    pub include_resolved: bool,
    /// `approval`, `toolInput` or `toolCall`.
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decision {
    /// For approvals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub decision: Option<crate::request::ApprovalDecision>,
    /// For approvals: `turn` (default) or `session`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub scope: Option<String>,
    /// For questions and tool calls: the result object the runtime expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub response: Option<Value>,
}
