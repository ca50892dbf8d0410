//! Session commands (`cm.v1.session.*`).

use std::sync::Arc;

use cm_schemas::commands::runtime;
use cm_schemas::runtime::{ThreadStart, ThreadStarted, TurnStart, TurnStarted};
use cm_schemas::session::{
    CreateSession, GetSession, InterruptTurn, ListSessions, SessionInfo, SessionPage,
    SessionSnapshot, StartTurn, SteerTurn, TurnAccepted,
};
use cm_schemas::thread::{RuntimeResult, TurnInterrupt, TurnSteer};
use cm_schemas::{BusError, ErrorCode, Event, EventBody};

use crate::ctx::Ctx;
use crate::row::RowExt;
use crate::{db, lifecycle, projects, queries};

const MAX_TITLE: usize = 200;
const MAX_MESSAGE: usize = 256 * 1024;

pub async fn create(ctx: Arc<Ctx>, req: CreateSession) -> Result<SessionInfo, BusError> {
    if req
        .title
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TITLE)
    {
        return Err(BusError::validation(
            "title",
            format!("title is longer than {MAX_TITLE} characters"),
        ));
    }
    if req.cwd.as_ref().is_some_and(|cwd| !cwd.starts_with('/')) {
        return Err(BusError::validation("cwd", "cwd must be an absolute path"));
    }
    if let Some(owner) = &req.owner {
        lifecycle::valid_owner(owner)?;
    }
    // Fail before touching the runtime if the database is down.
    let client = ctx.pool.get().await.map_err(db::error)?;
    let mut req = req;
    if let Some(project) = &req.project_id {
        let project_cwd = projects::cwd_of(&**client, project).await?;
        req.cwd = req.cwd.or(project_cwd);
    }
    let started: ThreadStarted = ctx
        .bus
        .call::<runtime::ThreadStart>(
            &ThreadStart {
                cwd: req.cwd.clone(),
                model: req.model.clone(),
            },
            ctx.runtime_timeout,
        )
        .await?;
    let row = client
        .query_one(
            "INSERT INTO session.sessions (id, title, cwd, model, project_id, owner) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, cwd = EXCLUDED.cwd, model = EXCLUDED.model,
                project_id = EXCLUDED.project_id, owner = EXCLUDED.owner
             RETURNING created_at, updated_at, status",
            &[&started.thread_id, &req.title, &started.cwd, &started.model, &req.project_id, &req.owner],
        )
        .await
        .map_err(db::error)?;
    let session = SessionInfo {
        id: started.thread_id,
        title: req.title,
        cwd: started.cwd,
        model: started.model,
        created_at: row.col("created_at")?,
        updated_at: row.col("updated_at")?,
        status: row.col("status")?,
        project_id: req.project_id,
        archived: false,
        system_owned: req.owner.is_some(),
        owner: req.owner,
    };
    let event = Event::session(
        &session.id,
        EventBody::SessionCreated {
            session: session.clone(),
        },
    );
    ctx.bus
        .publish_event(&event)
        .await
        .map_err(|e| BusError::unavailable("nats", e.to_string()))?;
    tracing::info!(session.id = %session.id, "session created");
    Ok(session)
}

pub async fn list(ctx: Arc<Ctx>, req: ListSessions) -> Result<SessionPage, BusError> {
    let cursor = match req.cursor.as_deref() {
        Some(c) => Some(
            queries::decode_cursor(c)
                .ok_or_else(|| BusError::validation("cursor", "invalid cursor"))?,
        ),
        None => None,
    };
    if req.unassigned && req.project_id.is_some() {
        return Err(BusError::validation(
            "unassigned",
            "unassigned and projectId exclude each other",
        ));
    }
    let client = ctx.pool.get().await.map_err(db::error)?;
    queries::page(&**client, &req, cursor).await
}

pub async fn get(ctx: Arc<Ctx>, req: GetSession) -> Result<SessionSnapshot, BusError> {
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(db::error)?;
    let snapshot = queries::snapshot(&*tx, &req.session_id).await?;
    let Some(snapshot) = snapshot else {
        return Err(lifecycle::missing(&*tx, &req.session_id).await);
    };
    tx.commit().await.map_err(db::error)?;
    Ok(snapshot)
}

pub async fn start_turn(ctx: Arc<Ctx>, req: StartTurn) -> Result<TurnAccepted, BusError> {
    if req.text.trim().is_empty() {
        return Err(BusError::validation(
            "text",
            "message text must not be empty",
        ));
    }
    if req.text.len() > MAX_MESSAGE {
        return Err(BusError::validation(
            "text",
            format!("message is larger than {MAX_MESSAGE} bytes"),
        ));
    }
    let client = ctx.pool.get().await.map_err(db::error)?;
    lifecycle::usable(&**client, &req.session_id).await?;
    // Controls (S5): the session's effective controls fill what the message leaves out.
    let overrides =
        crate::controls::turn_overrides(&**client, &req.session_id, req.overrides).await?;
    // End of controls.
    drop(client);
    let started: TurnStarted = ctx
        .bus
        .call::<runtime::TurnStart>(
            &TurnStart {
                thread_id: req.session_id.clone(),
                text: req.text,
                overrides,
            },
            ctx.runtime_timeout,
        )
        .await?;
    // Record the turn now, so an interrupt right after this answer finds it active.
    let client = ctx.pool.get().await.map_err(db::error)?;
    client
        .execute(
            "INSERT INTO session.turns (session_id, id, status) VALUES ($1, $2, 'inProgress')
             ON CONFLICT (session_id, id) DO NOTHING",
            &[&req.session_id, &started.turn_id],
        )
        .await
        .map_err(db::error)?;
    Ok(TurnAccepted {
        session_id: req.session_id,
        turn_id: started.turn_id,
    })
}

/// The session's running turn, or `no_active_turn`.
async fn active_turn(ctx: &Ctx, session_id: &str) -> Result<String, BusError> {
    let client = ctx.pool.get().await.map_err(db::error)?;
    lifecycle::writable(&**client, session_id).await?;
    let row = client
        .query_opt(
            "SELECT id FROM session.turns WHERE session_id = $1 AND status = 'inProgress'
             ORDER BY ordinal DESC LIMIT 1",
            &[&session_id],
        )
        .await
        .map_err(db::error)?;
    row.map(|r| r.col_at::<String>(0))
        .transpose()?
        .ok_or_else(|| {
            BusError::new(ErrorCode::NoActiveTurn, "the session has no running turn")
                .with_details(serde_json::json!({ "sessionId": session_id }))
        })
}

pub async fn steer(ctx: Arc<Ctx>, req: SteerTurn) -> Result<TurnAccepted, BusError> {
    if req.text.trim().is_empty() {
        return Err(BusError::validation("text", "steer text must not be empty"));
    }
    let turn_id = active_turn(&ctx, &req.session_id).await?;
    let _: RuntimeResult = ctx
        .bus
        .call::<runtime::TurnSteer>(
            &TurnSteer {
                thread_id: req.session_id.clone(),
                turn_id: turn_id.clone(),
                text: req.text,
            },
            ctx.runtime_timeout,
        )
        .await?;
    Ok(TurnAccepted {
        session_id: req.session_id,
        turn_id,
    })
}

pub async fn interrupt(ctx: Arc<Ctx>, req: InterruptTurn) -> Result<TurnAccepted, BusError> {
    let turn_id = active_turn(&ctx, &req.session_id).await?;
    let _: RuntimeResult = ctx
        .bus
        .call::<runtime::TurnInterrupt>(
            &TurnInterrupt {
                thread_id: req.session_id.clone(),
                turn_id: turn_id.clone(),
            },
            ctx.runtime_timeout,
        )
        .await?;
    Ok(TurnAccepted {
        session_id: req.session_id,
        turn_id,
    })
}
