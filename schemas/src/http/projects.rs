//! Bodies of the project routes (`/api/projects/{id}`...).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::lifecycle::nullable;

/// `PATCH /api/projects/{id}`: `{name?, cwd?}`; `cwd: null` clears the directory.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    /// 1 to 100 characters; unique.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub name: Option<String>,
    /// An absolute path; `null` clears it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(extend("default" = null))]
    pub cwd: Option<Option<String>>,
}

/// `POST /api/projects/{id}/sessions/move`: `{toProjectId}`, where `null` unassigns. The field
/// is required so that an empty body cannot unassign a whole project by accident.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveBody {
    /// The project to move to; `null` unassigns.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(extend("default" = null))]
    pub to_project_id: Option<Option<String>>,
}
