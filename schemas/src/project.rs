//! Projects (`cm.v1.session.project.*`): named groups of sessions with a default working
//! directory. A session belongs to at most one project; sessions without one are "unassigned".

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::lifecycle::nullable;

/// A project with the counts of its (not deleted) sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectInfo {
    pub id: String,
    /// Unique among projects, compared case-insensitively.
    pub name: String,
    /// Working directory that new sessions of this project start in when they name none.
    pub cwd: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sessions: SessionCounts,
}

/// The sessions a default list shows: `total = active + archived`, neither deleted nor
/// system-owned sessions counted; `systemOwned` counts the latter apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionCounts {
    pub total: u64,
    /// Sessions that are not archived.
    pub active: u64,
    pub archived: u64,
    /// Sessions owned by a system component (in none of the other counts).
    #[serde(default)]
    pub system_owned: u64,
}

/// `cm.v1.session.project.create`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateProject {
    /// 1 to 100 characters after trimming; unique (`conflict` otherwise).
    pub name: String,
    /// An absolute path.
    #[serde(default)]
    pub cwd: Option<String>,
}

/// `cm.v1.session.project.list`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListProjects {}

/// Projects by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectList {
    pub projects: Vec<ProjectInfo>,
}

/// `cm.v1.session.project.get` and `cm.v1.session.project.delete` (`conflict` while the
/// project has sessions: move or delete them first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRef {
    pub project_id: String,
}

/// `cm.v1.session.project.update`: rename and/or change the working directory. An absent field
/// stays as it is; `cwd: null` clears the directory. Existing sessions keep their own cwd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateProject {
    pub project_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub cwd: Option<Option<String>>,
}

/// `cm.v1.session.project.move_sessions`: move every session of the project to another
/// project, or to none (`toProjectId: null`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveProjectSessions {
    pub project_id: String,
    pub to_project_id: Option<String>,
}

/// `cm.v1.session.project.delete_sessions`: hard-delete every session of the project, one at a
/// time. On a failure it stops and answers that error with `details.deleted` (how many went
/// before); repeating the command continues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteProjectSessions {
    pub project_id: String,
}

/// How many sessions a bulk operation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    pub count: u64,
    /// System-owned sessions left alone because the caller is not a system component.
    #[serde(default)]
    pub skipped: u64,
}
