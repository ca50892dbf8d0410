//! Projects: create, list with session counts, get, rename / working directory, delete (only
//! when empty), and the bulk operations that empty one: move all sessions, delete all sessions.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cm_schemas::BusError;
use cm_schemas::lifecycle::nullable;
use cm_schemas::project::{
    BulkResult, CreateProject, DeleteProjectSessions, ListProjects, MoveProjectSessions,
    ProjectInfo, ProjectList, ProjectRef, UpdateProject,
};
use cm_schemas::subjects::{self, prefix, verb};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::routes::sessions::body;
use crate::state::AppState;

fn cmd(v: &str) -> String {
    subjects::command(prefix::SESSION, v)
}

pub async fn create(
    State(state): State<AppState>,
    payload: Result<Json<CreateProject>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<ProjectInfo>)> {
    let req = body(payload)?;
    let project = state.command(&cmd(verb::PROJECT_CREATE), &req).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

pub async fn list(State(state): State<AppState>) -> ApiResult<Json<ProjectList>> {
    let req = ListProjects {};
    Ok(Json(state.command(&cmd(verb::PROJECT_LIST), &req).await?))
}

pub async fn get(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
) -> ApiResult<Json<ProjectInfo>> {
    let req = ProjectRef { project_id };
    Ok(Json(state.command(&cmd(verb::PROJECT_GET), &req).await?))
}

/// `PATCH /api/projects/{id}`: `{name?, cwd?}`; `cwd: null` clears the directory.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub cwd: Option<Option<String>>,
}

pub async fn update(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    payload: Result<Json<ProjectPatch>, JsonRejection>,
) -> ApiResult<Json<ProjectInfo>> {
    let patch = body(payload)?;
    let req = UpdateProject {
        project_id,
        name: patch.name,
        cwd: patch.cwd,
    };
    Ok(Json(state.command(&cmd(verb::PROJECT_UPDATE), &req).await?))
}

/// `204`; `409 conflict` while the project has sessions (move or delete them first).
pub async fn delete(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
) -> ApiResult<StatusCode> {
    let req = ProjectRef { project_id };
    let _: ProjectRef = state.command(&cmd(verb::PROJECT_DELETE), &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/projects/{id}/sessions/move`: `{toProjectId}`, where `null` unassigns. The field
/// is required so that an empty body cannot unassign a whole project by accident.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveBody {
    #[serde(default, deserialize_with = "nullable")]
    pub to_project_id: Option<Option<String>>,
}

pub async fn move_sessions(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    payload: Result<Json<MoveBody>, JsonRejection>,
) -> ApiResult<Json<BulkResult>> {
    let Some(to_project_id) = body(payload)?.to_project_id else {
        return Err(ApiError(BusError::validation(
            "toProjectId",
            "toProjectId is required (null moves the sessions out of any project)",
        )));
    };
    let req = MoveProjectSessions {
        project_id,
        to_project_id,
    };
    Ok(Json(
        state
            .command(&cmd(verb::PROJECT_MOVE_SESSIONS), &req)
            .await?,
    ))
}

pub async fn delete_sessions(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
) -> ApiResult<Json<BulkResult>> {
    let req = DeleteProjectSessions { project_id };
    Ok(Json(
        state
            .command(&cmd(verb::PROJECT_DELETE_SESSIONS), &req)
            .await?,
    ))
}
