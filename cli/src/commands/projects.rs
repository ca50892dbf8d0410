//! `projects`: named groups of sessions with a default working directory.

use clap::Subcommand;
use cm_schemas::http::{MoveBody, ProjectPatch};
use cm_schemas::project::CreateProject;
use serde_json::{Value, json};

use super::{Ctx, body, change, nullable};
use crate::client::Query;
use crate::ops::{self, Op};
use crate::output;

pub const OPS: &[(&str, &Op)] = &[
    ("projects create", &ops::CREATE_PROJECT),
    ("projects list", &ops::LIST_PROJECTS),
    ("projects get", &ops::GET_PROJECT),
    ("projects update", &ops::UPDATE_PROJECT),
    ("projects delete", &ops::DELETE_PROJECT),
    ("projects move-sessions", &ops::MOVE_PROJECT_SESSIONS),
    ("projects delete-sessions", &ops::DELETE_PROJECT_SESSIONS),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager projects create docs --cwd /srv/docs
  codex-manager projects list
  codex-manager projects update <ID> --name handbook --clear-cwd
  codex-manager projects move-sessions <ID> --to <OTHER_ID>     # or --unassign
  codex-manager projects delete-sessions <ID> && codex-manager projects delete <ID>")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create a project (names are unique, case-insensitively).
    Create {
        name: String,
        /// Working directory for its new sessions (an absolute path).
        #[arg(long)]
        cwd: Option<String>,
    },
    /// List projects with their session counts.
    List,
    /// Show one project.
    Get { id: String },
    /// Rename a project or change its working directory.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, conflicts_with = "clear_cwd")]
        cwd: Option<String>,
        /// Remove the working directory.
        #[arg(long)]
        clear_cwd: bool,
    },
    /// Delete an empty project (a project with sessions is a conflict).
    Delete { id: String },
    /// Move every session of a project to another project, or out of any.
    MoveSessions {
        id: String,
        /// The project to move them to.
        #[arg(
            long,
            required_unless_present = "unassign",
            conflicts_with = "unassign"
        )]
        to: Option<String>,
        /// Leave them without a project.
        #[arg(long)]
        unassign: bool,
    },
    /// Delete every session of a project, for good.
    DeleteSessions { id: String },
}

const COLUMNS: &[(&str, &str)] = &[
    ("id", "/id"),
    ("name", "/name"),
    ("cwd", "/cwd"),
    ("active", "/sessions/active"),
    ("archived", "/sessions/archived"),
    ("updated", "/updatedAt"),
];

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    match args.cmd {
        Cmd::Create { name, cwd } => {
            let body = body(&CreateProject { name, cwd })?;
            let v = c
                .call(&ops::CREATE_PROJECT, &[], Query::new(), Some(body))
                .await?;
            ctx.out.show(&v, show);
        }
        Cmd::List => {
            let v = c.call(&ops::LIST_PROJECTS, &[], Query::new(), None).await?;
            ctx.out.show(&v, |v| {
                output::items(output::slice(&v["projects"]), COLUMNS, "(no projects)");
            });
        }
        Cmd::Get { id } => {
            let v = c
                .call(&ops::GET_PROJECT, &[&id], Query::new(), None)
                .await?;
            ctx.out.show(&v, show);
        }
        Cmd::Update {
            id,
            name,
            cwd,
            clear_cwd,
        } => {
            let patch = ProjectPatch {
                name,
                cwd: nullable(clear_cwd, cwd),
            };
            let body = change(&patch, "--name, --cwd or --clear-cwd")?;
            let v = c
                .call(&ops::UPDATE_PROJECT, &[&id], Query::new(), Some(body))
                .await?;
            ctx.out.show(&v, show);
        }
        Cmd::Delete { id } => {
            c.call(&ops::DELETE_PROJECT, &[&id], Query::new(), None)
                .await?;
            ctx.out
                .done(&json!({ "deleted": id }), &format!("project {id} deleted"));
        }
        Cmd::MoveSessions {
            id,
            to,
            unassign: _,
        } => {
            // Always present: `null` (`--unassign`) moves them out of any project.
            let body = body(&MoveBody {
                to_project_id: Some(to),
            })?;
            let v = c
                .call(
                    &ops::MOVE_PROJECT_SESSIONS,
                    &[&id],
                    Query::new(),
                    Some(body),
                )
                .await?;
            let line = format!("{} session(s) moved", output::cell(&v["count"]));
            ctx.out.done(&v, &line);
        }
        Cmd::DeleteSessions { id } => {
            let v = c
                .call(&ops::DELETE_PROJECT_SESSIONS, &[&id], Query::new(), None)
                .await?;
            let line = format!("{} session(s) deleted", output::cell(&v["count"]));
            ctx.out.done(&v, &line);
        }
    }
    Ok(())
}

fn show(v: &Value) {
    output::kv(&[
        ("ID", output::cell(&v["id"])),
        ("Name", output::cell(&v["name"])),
        ("Cwd", output::cell(&v["cwd"])),
        (
            "Sessions",
            format!(
                "{} ({} active, {} archived)",
                output::cell(&v["sessions"]["total"]),
                output::cell(&v["sessions"]["active"]),
                output::cell(&v["sessions"]["archived"])
            ),
        ),
        ("Created", output::cell(&v["createdAt"])),
        ("Updated", output::cell(&v["updatedAt"])),
    ]);
}
