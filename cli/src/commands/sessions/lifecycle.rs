//! The session lifecycle commands: update (rename, move), delete, archive, unarchive, fork,
//! compact, rollback, resume, review, clean-terminals, and transcript entries.

use clap::Subcommand;
use cm_schemas::http::{EntryBody, ReviewBody, RollbackBody, SessionPatch};
use serde_json::json;

use super::show;
use crate::client::Query;
use crate::commands::{Ctx, body, change, json_arg, nullable};
use crate::ops::{self, Op};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum Lifecycle {
    /// Rename a session or move it to a project.
    Update {
        id: String,
        #[arg(long)]
        title: Option<String>,
        /// Move it to this project.
        #[arg(long, value_name = "PROJECT_ID", conflicts_with = "unassign")]
        project: Option<String>,
        /// Take it out of its project.
        #[arg(long)]
        unassign: bool,
    },
    /// Delete a session and its transcript for good (the id then answers "gone").
    Delete { id: String },
    /// Archive a session (left out of lists unless asked for).
    Archive { id: String },
    /// Bring an archived session back.
    Unarchive { id: String },
    /// Copy a session into a new one.
    Fork { id: String },
    /// Compact the thread's history (runs as a turn).
    Compact { id: String },
    /// Drop the last turns (local file changes are not reverted).
    Rollback {
        id: String,
        #[arg(long, default_value_t = 1)]
        turns: i64,
    },
    /// Load the thread into the runtime again.
    Resume { id: String },
    /// Start a review turn [default target: the uncommitted changes].
    Review {
        id: String,
        /// Review against this base branch.
        #[arg(long, group = "target")]
        base_branch: Option<String>,
        /// Review this commit.
        #[arg(long, group = "target")]
        commit: Option<String>,
        /// Review with these instructions.
        #[arg(long, group = "target")]
        instructions: Option<String>,
        /// The runtime's review target as JSON.
        #[arg(long = "target", group = "target", value_name = "JSON")]
        target_json: Option<String>,
    },
    /// Close the session's background terminals.
    CleanTerminals { id: String },
    /// Add or replace an entry of the transcript that no turn produced (a note, a message
    /// from elsewhere), under an id of your choosing.
    TranscriptEntry {
        id: String,
        message_id: String,
        #[arg(long)]
        text: String,
        /// user, assistant, system or note.
        #[arg(long, default_value = "note")]
        role: String,
        /// Tie it to this turn (rolling the turn back removes it).
        #[arg(long)]
        turn: Option<String>,
        /// Any JSON kept with the entry (`@file`, `-` for stdin).
        #[arg(long, value_name = "JSON")]
        data: Option<String>,
    },
}

/// A lifecycle operation that takes just the session id.
async fn simple(ctx: &Ctx, op: &Op, id: &str, what: &str) -> anyhow::Result<()> {
    let v = ctx.client.call(op, &[id], Query::new(), None).await?;
    ctx.out.show(&v, |v| {
        if v.get("status").is_some() && v.get("id").is_some() {
            println!("session {what}:");
            show::session(v);
        } else {
            println!("session {id} {what}");
        }
    });
    Ok(())
}

pub async fn run(ctx: &Ctx, cmd: Lifecycle) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        Lifecycle::Update {
            id,
            title,
            project,
            unassign,
        } => {
            let patch = SessionPatch {
                title,
                project_id: nullable(unassign, project),
            };
            let body = change(&patch, "--title, --project or --unassign")?;
            let v = c
                .call(&ops::UPDATE_SESSION, &[&id], Query::new(), Some(body))
                .await?;
            ctx.out.show(&v, show::session);
        }
        Lifecycle::Delete { id } => {
            c.call(&ops::DELETE_SESSION, &[&id], Query::new(), None)
                .await?;
            ctx.out
                .done(&json!({ "deleted": id }), &format!("session {id} deleted"));
        }
        Lifecycle::Rollback { id, turns } => {
            let body = body(&RollbackBody { turns })?;
            let v = c
                .call(&ops::ROLLBACK_SESSION, &[&id], Query::new(), Some(body))
                .await?;
            let removed: Vec<String> = output::slice(&v["removedTurnIds"])
                .iter()
                .map(output::cell)
                .collect();
            ctx.out
                .done(&v, &format!("removed turn(s): {}", removed.join(", ")));
        }
        Lifecycle::Review {
            id,
            base_branch,
            commit,
            instructions,
            target_json,
        } => {
            let target = match (base_branch, commit, instructions, target_json) {
                (Some(branch), ..) => Some(json!({ "type": "baseBranch", "branch": branch })),
                (_, Some(sha), ..) => Some(json!({ "type": "commit", "sha": sha })),
                (_, _, Some(text), _) => Some(json!({ "type": "custom", "instructions": text })),
                (_, _, _, Some(raw)) => Some(json_arg(&raw)?),
                _ => None,
            };
            // No target, no body: the route's default.
            let body = target
                .map(|t| body(&ReviewBody { target: Some(t) }))
                .transpose()?;
            let v = c
                .call(&ops::REVIEW_SESSION, &[&id], Query::new(), body)
                .await?;
            ctx.out.done(
                &v,
                &format!("review turn {} started", output::cell(&v["turnId"])),
            );
        }
        Lifecycle::Archive { id } => simple(ctx, &ops::ARCHIVE_SESSION, &id, "archived").await?,
        Lifecycle::Unarchive { id } => {
            simple(ctx, &ops::UNARCHIVE_SESSION, &id, "unarchived").await?;
        }
        Lifecycle::Resume { id } => simple(ctx, &ops::RESUME_SESSION, &id, "resumed").await?,
        Lifecycle::Fork { id } => simple(ctx, &ops::FORK_SESSION, &id, "forked").await?,
        Lifecycle::Compact { id } => simple(ctx, &ops::COMPACT_SESSION, &id, "compacting").await?,
        Lifecycle::TranscriptEntry {
            id,
            message_id,
            text,
            role,
            turn,
            data,
        } => {
            let entry = EntryBody {
                role,
                text,
                turn_id: turn,
                data: data.as_deref().map(json_arg).transpose()?,
            };
            let body = body(&entry)?;
            let params = [id.as_str(), message_id.as_str()];
            let v = c
                .call(
                    &ops::UPSERT_TRANSCRIPT_ENTRY,
                    &params,
                    Query::new(),
                    Some(body),
                )
                .await?;
            ctx.out.done(
                &v,
                &format!("entry {message_id} saved (seq {})", output::cell(&v["seq"])),
            );
        }
        Lifecycle::CleanTerminals { id } => {
            simple(ctx, &ops::CLEAN_TERMINALS, &id, "terminals cleaned").await?;
        }
    }
    Ok(())
}
