//! `api request`: any route, for what has no command yet or for scripts that want the raw
//! answer. Auth, `X-CM-Actor`, `Idempotency-Key` and exit codes work as for every command.

use clap::Subcommand;
use serde_json::{Value, json};

use super::{Ctx, json_arg};
use crate::client::Query;
use crate::exit::CliError;
use crate::ops::Method;
use crate::output::{self, Output};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager api request GET /api/sessions --query limit=5
  codex-manager api request POST /api/sessions --data '{\"title\": \"raw\"}'
  codex-manager api request PATCH /api/settings/ui --data @patch.json
  codex-manager api request DELETE /api/sessions/<SESSION>

  codex-manager api operations                  # which command calls which operation

The answer is printed as JSON; for event streams use `codex-manager stream`.")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Send one request and print the answer.
    Request {
        /// GET, POST, PUT, PATCH or DELETE.
        method: String,
        /// The path, from `/api` on.
        path: String,
        /// The JSON body (`@file`, `-` for stdin).
        #[arg(long, value_name = "JSON")]
        data: Option<String>,
        /// A query parameter NAME=VALUE (repeatable).
        #[arg(long, value_name = "NAME=VALUE")]
        query: Vec<String>,
    },
    /// Which command calls which API operation (operationId, method, path).
    Operations,
}

/// `api operations` needs no server.
pub fn is_local(args: &Args) -> bool {
    matches!(args.cmd, Cmd::Operations)
}

/// The command ↔ operation table.
pub fn operations(out: Output) {
    let list: Vec<Value> = super::all_ops()
        .into_iter()
        .map(|(command, op)| {
            json!({
                "command": format!("codex-manager {command}"), "operationId": op.id,
                "method": op.method.as_str(), "path": op.path,
            })
        })
        .collect();
    let v = Value::Array(list);
    out.show(&v, |v| {
        output::items(
            output::slice(v),
            &[
                ("command", "/command"),
                ("operation", "/operationId"),
                ("method", "/method"),
                ("path", "/path"),
            ],
            "",
        );
    });
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let Cmd::Request {
        method,
        path,
        data,
        query,
    } = args.cmd
    else {
        operations(ctx.out);
        return Ok(());
    };
    let method = Method::parse(&method)
        .ok_or_else(|| CliError::usage(format!("unknown method {method:?}")))?;
    let mut q = Query::new();
    for pair in &query {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(CliError::usage(format!("--query {pair:?}: expected NAME=VALUE")).into());
        };
        q.0.push((name.to_owned(), value.to_owned()));
    }
    let body = data.as_deref().map(json_arg).transpose()?;
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    let reply = ctx.client.send(method, &path, &q, body.as_ref()).await?;
    if !reply.body.is_null() {
        output::print_json(&reply.body);
    } else if !ctx.out.json {
        eprintln!("HTTP {}", reply.status);
    }
    Ok(())
}
