//! Projects (`cm.v1.session.project.*`): create, list with session counts, get, rename or
//! change the working directory, delete (only when empty), and the two bulk operations that
//! empty a project: move all its sessions elsewhere, or delete them all.
//!
//! Every change publishes a `project.*` event (scope `project`) while the row is still locked,
//! so the stream orders changes of one project as Postgres committed them.

use std::sync::Arc;

use cm_schemas::project::{
    BulkResult, CreateProject, DeleteProjectSessions, ListProjects, MoveProjectSessions,
    ProjectInfo, ProjectList, ProjectRef, SessionCounts, UpdateProject,
};
use cm_schemas::{BusError, ErrorCode, Event, EventBody, Scope};
use serde_json::{Value, json};
use tokio_postgres::error::SqlState;
use tokio_postgres::{GenericClient, Row};

use crate::ctx::Ctx;
use crate::row::RowExt;
use crate::{db, lifecycle, queries};

const MAX_NAME: usize = 100;
const MAX_PATH: usize = 4096;

/// One project with its counts, or all of them (`id` = None), ordered by name.
const SELECT: &str = "SELECT p.id, p.name, p.cwd, p.created_at, p.updated_at,
        count(s.id) FILTER (WHERE s.owner IS NULL) AS total,
        count(s.id) FILTER (WHERE s.owner IS NULL AND NOT s.archived) AS active,
        count(s.id) FILTER (WHERE s.owner IS NULL AND s.archived) AS archived,
        count(s.id) FILTER (WHERE s.owner IS NOT NULL) AS system_owned
    FROM session.projects p
    LEFT JOIN session.sessions s ON s.project_id = p.id AND s.deleted_at IS NULL
    WHERE ($1::text IS NULL OR p.id = $1)
    GROUP BY p.id
    ORDER BY lower(p.name), p.id";

fn project_from(row: &Row) -> Result<ProjectInfo, BusError> {
    let count = |col: &str| row.col::<i64>(col).map(|n| n.max(0) as u64);
    Ok(ProjectInfo {
        id: row.col("id")?,
        name: row.col("name")?,
        cwd: row.col("cwd")?,
        created_at: row.col("created_at")?,
        updated_at: row.col("updated_at")?,
        sessions: SessionCounts {
            total: count("total")?,
            active: count("active")?,
            archived: count("archived")?,
            system_owned: count("system_owned")?,
        },
    })
}

async fn fetch(db: &impl GenericClient, id: &str) -> Result<ProjectInfo, BusError> {
    let row = db
        .query_opt(SELECT, &[&Some(id)])
        .await
        .map_err(db::error)?;
    row.map(|r| project_from(&r))
        .ok_or_else(|| BusError::not_found("project", id))?
}

/// Trimmed, 1 to [`MAX_NAME`] characters, no control characters.
fn valid_name(name: &str) -> Result<String, BusError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(BusError::validation("name", "name must not be empty"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(BusError::validation(
            "name",
            format!("name is longer than {MAX_NAME} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(BusError::validation(
            "name",
            "name must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// An absolute path the runtime can start a thread in.
pub(crate) fn valid_cwd(cwd: &str) -> Result<(), BusError> {
    if !cwd.starts_with('/') {
        return Err(BusError::validation("cwd", "cwd must be an absolute path"));
    }
    if cwd.len() > MAX_PATH || cwd.chars().any(char::is_control) {
        return Err(BusError::validation(
            "cwd",
            format!("cwd must be a path of at most {MAX_PATH} bytes without control characters"),
        ));
    }
    Ok(())
}

/// A unique-name violation is the caller's `conflict`; anything else goes through `db::error`.
fn write_error(e: tokio_postgres::Error, name: &str) -> BusError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return BusError::new(
            ErrorCode::Conflict,
            format!("a project named {name:?} already exists"),
        )
        .with_details(json!({ "field": "name" }));
    }
    db::error(e)
}

async fn publish(ctx: &Ctx, id: &str, body: EventBody) -> Result<u64, BusError> {
    ctx.bus
        .publish_event(&Event::new(Scope::Project, id, body))
        .await
        .map_err(|e| BusError::unavailable("nats", e.to_string()))
}

pub async fn create(ctx: Arc<Ctx>, req: CreateProject) -> Result<ProjectInfo, BusError> {
    let name = valid_name(&req.name)?;
    if let Some(cwd) = &req.cwd {
        valid_cwd(cwd)?;
    }
    let id = uuid::Uuid::now_v7().to_string();
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    tx.execute(
        "INSERT INTO session.projects (id, name, cwd) VALUES ($1, $2, $3)",
        &[&id, &name, &req.cwd],
    )
    .await
    .map_err(|e| write_error(e, &name))?;
    let project = fetch(&*tx, &id).await?;
    let body = EventBody::ProjectUpdated {
        project: project.clone(),
    };
    publish(&ctx, &id, body).await?;
    tx.commit().await.map_err(db::error)?;
    tracing::info!(project.id = %id, "project created");
    Ok(project)
}

pub async fn list(ctx: Arc<Ctx>, _req: ListProjects) -> Result<ProjectList, BusError> {
    let client = ctx.pool.get().await.map_err(db::error)?;
    let rows = client
        .query(SELECT, &[&None::<String>])
        .await
        .map_err(db::error)?;
    Ok(ProjectList {
        projects: rows.iter().map(project_from).collect::<Result<_, _>>()?,
    })
}

pub async fn get(ctx: Arc<Ctx>, req: ProjectRef) -> Result<ProjectInfo, BusError> {
    let client = ctx.pool.get().await.map_err(db::error)?;
    fetch(&**client, &req.project_id).await
}

pub async fn update(ctx: Arc<Ctx>, req: UpdateProject) -> Result<ProjectInfo, BusError> {
    let name = req.name.as_deref().map(valid_name).transpose()?;
    if let Some(Some(cwd)) = &req.cwd {
        valid_cwd(cwd)?;
    }
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    let updated = tx
        .execute(
            "UPDATE session.projects SET name = COALESCE($2, name),
                cwd = CASE WHEN $3 THEN $4 ELSE cwd END, updated_at = now()
             WHERE id = $1",
            &[
                &req.project_id,
                &name,
                &req.cwd.is_some(),
                &req.cwd.clone().flatten(),
            ],
        )
        .await
        .map_err(|e| write_error(e, name.as_deref().unwrap_or_default()))?;
    if updated == 0 {
        return Err(BusError::not_found("project", &req.project_id));
    }
    let project = fetch(&*tx, &req.project_id).await?;
    let body = EventBody::ProjectUpdated {
        project: project.clone(),
    };
    publish(&ctx, &req.project_id, body).await?;
    tx.commit().await.map_err(db::error)?;
    Ok(project)
}

/// Deletes an empty project; `conflict` (with `details.sessions`) while it has sessions.
pub async fn delete(ctx: Arc<Ctx>, req: ProjectRef) -> Result<ProjectRef, BusError> {
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    lock(&*tx, &req.project_id).await?;
    // Sessions filed under the project while we decide take a key-share lock on it, which this
    // row lock excludes, so the count cannot go stale before the delete.
    let sessions: i64 = tx
        .query_one(
            "SELECT count(*) FROM session.sessions WHERE project_id = $1 AND deleted_at IS NULL",
            &[&req.project_id],
        )
        .await
        .map_err(db::error)?
        .col_at(0)?;
    if sessions > 0 {
        let system_owned: i64 = tx
            .query_one(
                "SELECT count(*) FROM session.sessions
                 WHERE project_id = $1 AND deleted_at IS NULL AND owner IS NOT NULL",
                &[&req.project_id],
            )
            .await
            .map_err(db::error)?
            .col_at(0)?;
        return Err(BusError::new(
            ErrorCode::Conflict,
            format!("the project has {sessions} session(s): move or delete them first"),
        )
        .with_details(json!({ "sessions": sessions, "systemOwned": system_owned })));
    }
    tx.execute(
        "DELETE FROM session.projects WHERE id = $1",
        &[&req.project_id],
    )
    .await
    .map_err(db::error)?;
    let body = EventBody::ProjectDeleted {
        project_id: req.project_id.clone(),
    };
    publish(&ctx, &req.project_id, body).await?;
    tx.commit().await.map_err(db::error)?;
    tracing::info!(project.id = %req.project_id, "project deleted");
    Ok(req)
}

/// Locks the project row against changes and deletion until the transaction ends.
async fn lock(db: &impl GenericClient, id: &str) -> Result<(), BusError> {
    db.query_opt(
        "SELECT 1 FROM session.projects WHERE id = $1 FOR UPDATE",
        &[&id],
    )
    .await
    .map_err(db::error)?
    .map(|_| ())
    .ok_or_else(|| BusError::not_found("project", id))
}

/// The project's working directory, for a session created in it without its own.
pub(crate) async fn cwd_of(db: &impl GenericClient, id: &str) -> Result<Option<String>, BusError> {
    db.query_opt("SELECT cwd FROM session.projects WHERE id = $1", &[&id])
        .await
        .map_err(db::error)?
        .map(|r| r.col_at::<Option<String>>(0))
        .ok_or_else(|| BusError::not_found("project", id))?
}

pub async fn move_sessions(
    ctx: Arc<Ctx>,
    req: MoveProjectSessions,
) -> Result<BulkResult, BusError> {
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client.transaction().await.map_err(db::error)?;
    queries::hold_project(&*tx, &req.project_id).await?;
    if let Some(to) = &req.to_project_id {
        queries::hold_project(&*tx, to).await?;
    }
    if req.to_project_id.as_deref() == Some(req.project_id.as_str()) {
        return Ok(BulkResult {
            count: 0,
            skipped: 0,
        });
    }
    let system = lifecycle::system_actor();
    let rows = tx
        .query(
            &format!(
                "UPDATE session.sessions SET project_id = $2, updated_at = now()
                 WHERE project_id = $1 AND deleted_at IS NULL AND (owner IS NULL OR $3)
                 RETURNING {}",
                queries::SESSION_COLUMNS
            ),
            &[&req.project_id, &req.to_project_id, &system],
        )
        .await
        .map_err(db::error)?;
    // Each moved session tells its own stream, under its row lock, like a single move does.
    for row in &rows {
        let session = queries::session_from(row)?;
        lifecycle::publish_updated(&ctx, &*tx, session).await?;
    }
    let skipped = skipped(&*tx, &req.project_id).await?;
    tx.commit().await.map_err(db::error)?;
    tracing::info!(project.id = %req.project_id, moved = rows.len(), "project sessions moved");
    Ok(BulkResult {
        count: rows.len() as u64,
        skipped,
    })
}

/// Deletes the project's sessions newest first (a fork before the session it came from), each
/// as `cm.v1.session.delete` would. Stops at the first failure: the error says how many went.
pub async fn delete_sessions(
    ctx: Arc<Ctx>,
    req: DeleteProjectSessions,
) -> Result<BulkResult, BusError> {
    let client = ctx.pool.get().await.map_err(db::error)?;
    queries::hold_project(&**client, &req.project_id).await?;
    let system = lifecycle::system_actor();
    let ids: Vec<String> = client
        .query(
            "SELECT id FROM session.sessions WHERE project_id = $1 AND deleted_at IS NULL
                AND (owner IS NULL OR $2)
             ORDER BY created_at DESC, id DESC",
            &[&req.project_id, &system],
        )
        .await
        .map_err(db::error)?
        .iter()
        .map(|r| r.col_at(0))
        .collect::<Result<_, _>>()?;
    let skipped = skipped(&**client, &req.project_id).await?;
    drop(client);
    let mut count = 0u64;
    for id in &ids {
        match lifecycle::delete_session(&ctx, id).await {
            Ok(()) => count += 1,
            // Deleted meanwhile by someone else: the goal is reached either way.
            Err(e) if e.code == ErrorCode::Gone => {}
            Err(mut e) => {
                let mut details = match e.details.take() {
                    Value::Object(map) => map,
                    _ => Default::default(),
                };
                details.insert("deleted".into(), json!(count));
                details.insert("sessionId".into(), json!(id));
                return Err(e.with_details(Value::Object(details)));
            }
        }
    }
    tracing::info!(project.id = %req.project_id, deleted = count, "project sessions deleted");
    Ok(BulkResult { count, skipped })
}

/// How many system-owned sessions a bulk operation leaves alone: those of the project, unless
/// the caller is a system component (then it acts on them too).
async fn skipped(db: &impl GenericClient, project: &str) -> Result<u64, BusError> {
    if lifecycle::system_actor() {
        return Ok(0);
    }
    let n: i64 = db
        .query_one(
            "SELECT count(*) FROM session.sessions
             WHERE project_id = $1 AND deleted_at IS NULL AND owner IS NOT NULL",
            &[&project],
        )
        .await
        .map_err(db::error)?
        .col_at(0)?;
    Ok(n.max(0) as u64)
}
