//! Projects: create, list with session counts, get, rename / working directory, delete (only
//! when empty), and the bulk operations that empty one: move all sessions, delete all sessions.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cm_schemas::BusError;
use cm_schemas::commands;
use cm_schemas::http::{ErrorBody, MoveBody, ProjectPatch};
use cm_schemas::project::{
    BulkResult, CreateProject, DeleteProjectSessions, ListProjects, MoveProjectSessions,
    ProjectInfo, ProjectList, ProjectRef, UpdateProject,
};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::body;
use crate::state::AppState;

fn project_example() -> Value {
    json!({
        "id": "0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d", "name": "billing", "cwd": "/srv/billing",
        "createdAt": "2026-11-25T09:30:00Z", "updatedAt": "2026-11-25T09:30:00Z",
        "sessions": { "total": 4, "active": 3, "archived": 1 }
    })
}

#[utoipa::path(post, path = "/api/projects", operation_id = "createProject", tag = "projects",
    summary = "Create a project",
    description = "Names are unique, compared case-insensitively (`409 conflict` otherwise). `cwd`, an absolute path, is where new sessions of the project start when they name no directory.",
    request_body(content = CreateProject, example = json!({"name": "billing", "cwd": "/srv/billing"})),
    responses((status = 201, description = "The new project", body = ProjectInfo, example = project_example),
        (status = 409, description = "A project of that name exists", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    payload: Result<Json<CreateProject>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<ProjectInfo>)> {
    let req = body(payload)?;
    let project = state.call::<commands::session::ProjectCreate>(&req).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

#[utoipa::path(get, path = "/api/projects", operation_id = "listProjects", tag = "projects",
    summary = "List projects with their session counts",
    responses((status = 200, description = "Every project, by name", body = ProjectList,
        example = json!({"projects": [project_example()]}))))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<ProjectList>> {
    let req = ListProjects {};
    Ok(Json(
        state.call::<commands::session::ProjectList>(&req).await?,
    ))
}

#[utoipa::path(get, path = "/api/projects/{id}", operation_id = "getProject", tag = "projects",
    summary = "Get a project",
    responses((status = 200, description = "The project", body = ProjectInfo, example = project_example)))]
pub async fn get(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
) -> ApiResult<Json<ProjectInfo>> {
    let req = ProjectRef { project_id };
    Ok(Json(
        state.call::<commands::session::ProjectGet>(&req).await?,
    ))
}

#[utoipa::path(patch, path = "/api/projects/{id}", operation_id = "updateProject", tag = "projects",
    summary = "Rename a project or change its working directory",
    description = "Absent fields stay; `cwd: null` clears the directory. Existing sessions keep their own.",
    request_body(content = ProjectPatch, example = json!({"name": "billing-v2", "cwd": null})),
    responses((status = 200, description = "The project as it is now", body = ProjectInfo, example = project_example),
        (status = 409, description = "Another project has that name", body = ErrorBody)))]
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
    Ok(Json(
        state.call::<commands::session::ProjectUpdate>(&req).await?,
    ))
}

/// `204`; `409 conflict` while the project has sessions (move or delete them first).
#[utoipa::path(delete, path = "/api/projects/{id}", operation_id = "deleteProject", tag = "projects",
    summary = "Delete an empty project",
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "The project still has sessions: move or delete them first", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
) -> ApiResult<StatusCode> {
    let req = ProjectRef { project_id };
    let _: ProjectRef = state.call::<commands::session::ProjectDelete>(&req).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/projects/{id}/sessions/move", operation_id = "moveProjectSessions", tag = "projects",
    summary = "Move every session of a project",
    description = "`toProjectId` is required; `null` moves the sessions out of any project.",
    request_body(content = MoveBody, example = json!({"toProjectId": "0193b0c2-7d1e-7c4a-9f3e-2b1d5c6a7e80"})),
    responses((status = 200, description = "How many sessions moved", body = BulkResult,
        example = json!({"count": 3}))))]
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
            .call::<commands::session::ProjectMoveSessions>(&req)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/projects/{id}/sessions/delete", operation_id = "deleteProjectSessions", tag = "projects",
    summary = "Hard-delete every session of a project",
    responses((status = 200, description = "How many sessions were deleted", body = BulkResult,
        example = json!({"count": 3}))))]
pub async fn delete_sessions(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
) -> ApiResult<Json<BulkResult>> {
    let req = DeleteProjectSessions { project_id };
    Ok(Json(
        state
            .call::<commands::session::ProjectDeleteSessions>(&req)
            .await?,
    ))
}
