//! `sessions`: create, list, show, send (optionally waiting for the reply), steer, interrupt,
//! and the lifecycle (rename, move, archive, fork, compact, rollback, review, delete...).

mod lifecycle;
mod send;
mod show;

use clap::Subcommand;
use cm_schemas::http::Steer;
use cm_schemas::session::CreateSession;

use super::{Ctx, body};
use crate::client::Query;
use crate::ops::{self, Op};
use crate::output;

pub use lifecycle::Lifecycle;
pub use send::SendArgs;

pub const OPS: &[(&str, &Op)] = &[
    ("sessions create", &ops::CREATE_SESSION),
    ("sessions list", &ops::LIST_SESSIONS),
    ("sessions get", &ops::GET_SESSION),
    ("sessions send", &ops::SEND_MESSAGE),
    ("sessions send", &ops::STREAM_SESSION_EVENTS),
    ("sessions steer", &ops::STEER_TURN),
    ("sessions interrupt", &ops::INTERRUPT_TURN),
    ("sessions update", &ops::UPDATE_SESSION),
    ("sessions delete", &ops::DELETE_SESSION),
    ("sessions archive", &ops::ARCHIVE_SESSION),
    ("sessions unarchive", &ops::UNARCHIVE_SESSION),
    ("sessions fork", &ops::FORK_SESSION),
    ("sessions compact", &ops::COMPACT_SESSION),
    ("sessions rollback", &ops::ROLLBACK_SESSION),
    ("sessions resume", &ops::RESUME_SESSION),
    ("sessions review", &ops::REVIEW_SESSION),
    ("sessions clean-terminals", &ops::CLEAN_TERMINALS),
    ("sessions transcript-entry", &ops::UPSERT_TRANSCRIPT_ENTRY),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  S=$(codex-manager sessions create --title demo --json | jq -r .id)
  codex-manager sessions send $S 'Explain this repository' --wait
  codex-manager sessions send $S 'Now fix the tests' --wait --effort high --json
  codex-manager sessions list --project <PROJECT_ID> --archived all
  codex-manager sessions get $S               # the transcript
  codex-manager sessions interrupt $S
  codex-manager sessions archive $S && codex-manager sessions delete $S")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Start a session (a new thread of the runtime).
    Create {
        #[arg(long)]
        title: Option<String>,
        /// Working directory [default: the project's, else the runtime's].
        #[arg(long)]
        cwd: Option<String>,
        #[arg(long)]
        model: Option<String>,
        /// File it under this project.
        #[arg(long, value_name = "PROJECT_ID")]
        project: Option<String>,
    },
    /// List sessions, newest first.
    List {
        /// Only the sessions of this project.
        #[arg(long, value_name = "PROJECT_ID", conflicts_with = "unassigned")]
        project: Option<String>,
        /// Only the sessions without a project.
        #[arg(long)]
        unassigned: bool,
        /// Which sessions by archived flag.
        #[arg(long, value_parser = ["false", "true", "all"], default_value = "false")]
        archived: String,
        #[arg(long)]
        limit: Option<u32>,
        /// The `nextCursor` of a previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Show a session and its transcript.
    Get { id: String },
    /// Send a message (starts a turn); with --wait, print the reply as it streams.
    Send(SendArgs),
    /// Add input to the running turn.
    Steer { id: String, text: String },
    /// Stop the running turn (a conflict when the session is idle).
    Interrupt { id: String },
    #[command(flatten)]
    Lifecycle(Lifecycle),
}

pub const COLUMNS: &[(&str, &str)] = &[
    ("id", "/id"),
    ("title", "/title"),
    ("status", "/status"),
    ("project", "/projectId"),
    ("archived", "/archived"),
    ("updated", "/updatedAt"),
];

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    match args.cmd {
        Cmd::Create {
            title,
            cwd,
            model,
            project,
        } => {
            let body = body(&CreateSession {
                title,
                cwd,
                model,
                project_id: project,
                ..Default::default()
            })?;
            let v = c
                .call(&ops::CREATE_SESSION, &[], Query::new(), Some(body))
                .await?;
            ctx.out.show(&v, show::session);
        }
        Cmd::List {
            project,
            unassigned,
            archived,
            limit,
            cursor,
        } => {
            let query = Query::new()
                .opt("projectId", project)
                .flag("unassigned", unassigned)
                .opt("archived", Some(archived))
                .opt("limit", limit)
                .opt("cursor", cursor);
            let v = c.call(&ops::LIST_SESSIONS, &[], query, None).await?;
            ctx.out.show(&v, |v| {
                output::items(output::slice(&v["sessions"]), COLUMNS, "(no sessions)");
                if let Some(next) = v["nextCursor"].as_str() {
                    println!("\nmore: --cursor {next}");
                }
            });
        }
        Cmd::Get { id } => {
            let v = c
                .call(&ops::GET_SESSION, &[&id], Query::new(), None)
                .await?;
            ctx.out.show(&v, show::snapshot);
        }
        Cmd::Send(args) => send::run(ctx, args).await?,
        Cmd::Steer { id, text } => {
            let body = body(&Steer { text })?;
            let v = c
                .call(&ops::STEER_TURN, &[&id], Query::new(), Some(body))
                .await?;
            ctx.out
                .done(&v, &format!("steered turn {}", output::cell(&v["turnId"])));
        }
        Cmd::Interrupt { id } => {
            let v = c
                .call(&ops::INTERRUPT_TURN, &[&id], Query::new(), None)
                .await?;
            ctx.out.done(
                &v,
                &format!("interrupted turn {}", output::cell(&v["turnId"])),
            );
        }
        Cmd::Lifecycle(cmd) => lifecycle::run(ctx, cmd).await?,
    }
    Ok(())
}
