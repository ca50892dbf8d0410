//! `settings`: free-form JSON values by key, global or (with `--session`) per session.

use clap::Subcommand;
use serde_json::{Value, json};

use super::{Ctx, json_arg};
use crate::client::Query;
use crate::ops::{self, Op};
use crate::output::{self, cell};

pub const OPS: &[(&str, &Op)] = &[
    ("settings list", &ops::LIST_SETTINGS),
    ("settings list", &ops::LIST_SESSION_SETTINGS),
    ("settings get", &ops::GET_SETTING),
    ("settings get", &ops::GET_SESSION_SETTING),
    ("settings set", &ops::PUT_SETTING),
    ("settings set", &ops::PUT_SESSION_SETTING),
    ("settings patch", &ops::PATCH_SETTING),
    ("settings patch", &ops::PATCH_SESSION_SETTING),
    ("settings delete", &ops::DELETE_SETTING),
    ("settings delete", &ops::DELETE_SESSION_SETTING),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager settings set ui.theme '\"dark\"'
  codex-manager settings set ui.theme dark --string
  codex-manager settings set layout '{\"sidebar\": true}' --session <SESSION>
  codex-manager settings patch layout '{\"width\": 320}' --session <SESSION>
  codex-manager settings list
  codex-manager settings delete ui.theme")]
pub struct Args {
    /// The session's settings instead of the global ones.
    #[arg(long, global = true, value_name = "SESSION")]
    session: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// List the settings.
    List,
    /// Show one setting.
    Get { key: String },
    /// Store a value (JSON; `@file`, `-` for stdin).
    Set {
        key: String,
        value: String,
        /// Store VALUE as a JSON string, as written.
        #[arg(long)]
        string: bool,
    },
    /// Merge a JSON object into an object value (RFC 7396: `null` removes a member).
    Patch { key: String, patch: String },
    /// Remove a setting.
    Delete { key: String },
}

/// The global operation, or the session's with the session id first.
fn pick<'a>(
    session: &'a Option<String>,
    global: &'static Op,
    scoped: &'static Op,
) -> (&'static Op, Vec<&'a str>) {
    match session {
        Some(s) => (scoped, vec![s.as_str()]),
        None => (global, vec![]),
    }
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    let s = &args.session;
    match args.cmd {
        Cmd::List => {
            let (op, params) = pick(s, &ops::LIST_SETTINGS, &ops::LIST_SESSION_SETTINGS);
            let v = c.call(op, &params, Query::new(), None).await?;
            ctx.out.show(&v, |v| {
                let rows = output::slice(&v["settings"])
                    .iter()
                    .map(|s| vec![cell(&s["key"]), cell(&s["value"]), cell(&s["updatedAt"])])
                    .collect();
                output::table(&["key", "value", "updated"], rows, "(no settings)");
            });
        }
        Cmd::Get { key } => {
            let (op, mut params) = pick(s, &ops::GET_SETTING, &ops::GET_SESSION_SETTING);
            params.push(&key);
            let v = c.call(op, &params, Query::new(), None).await?;
            ctx.out.show(&v, value);
        }
        Cmd::Set {
            key,
            value: raw,
            string,
        } => {
            let body = if string { json!(raw) } else { json_arg(&raw)? };
            let (op, mut params) = pick(s, &ops::PUT_SETTING, &ops::PUT_SESSION_SETTING);
            params.push(&key);
            let v = c.call(op, &params, Query::new(), Some(body)).await?;
            ctx.out.show(&v, value);
        }
        Cmd::Patch { key, patch } => {
            let body = json_arg(&patch)?;
            let (op, mut params) = pick(s, &ops::PATCH_SETTING, &ops::PATCH_SESSION_SETTING);
            params.push(&key);
            let v = c.call(op, &params, Query::new(), Some(body)).await?;
            ctx.out.show(&v, value);
        }
        Cmd::Delete { key } => {
            let (op, mut params) = pick(s, &ops::DELETE_SETTING, &ops::DELETE_SESSION_SETTING);
            params.push(&key);
            c.call(op, &params, Query::new(), None).await?;
            ctx.out.done(
                &json!({ "deleted": key }),
                &format!("setting {key} deleted"),
            );
        }
    }
    Ok(())
}

/// A setting: its value as pretty JSON.
fn value(v: &Value) {
    output::print_json(&v["value"]);
}
