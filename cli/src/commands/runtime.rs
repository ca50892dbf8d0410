//! `runtime`: experimental features, one-off commands, feedback.

use clap::Subcommand;
use serde_json::json;

use super::{Ctx, Page, merge};
use crate::client::Query;
use crate::exit::{Class, CliError};
use crate::ops::{self, Op};
use crate::output;

pub const OPS: &[(&str, &Op)] = &[
    ("runtime features", &ops::LIST_EXPERIMENTAL_FEATURES),
    ("runtime exec", &ops::EXEC_COMMAND),
    ("runtime feedback", &ops::UPLOAD_FEEDBACK),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager runtime features
  codex-manager runtime exec -- ls -la          # in the runtime's sandbox
  codex-manager runtime exec --cwd /srv/app --timeout-ms 5000 -- make test
  codex-manager runtime feedback bug --reason 'the diff view is empty' --include-logs")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Experimental features and whether they are on.
    Features {
        /// As seen from this session's thread.
        #[arg(long, value_name = "SESSION")]
        thread: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Run a command under the runtime's sandbox; exits with the command's exit code.
    Exec {
        #[arg(long)]
        cwd: Option<String>,
        #[arg(long)]
        timeout_ms: Option<u64>,
        /// More parameters as JSON (sandboxPolicy, env...).
        #[arg(long, value_name = "JSON")]
        data: Option<String>,
        /// The command and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Send feedback to the runtime's maintainers.
    Feedback {
        /// bug, good_result, bad_result...
        classification: String,
        #[arg(long)]
        reason: Option<String>,
        /// Attach the runtime's logs.
        #[arg(long)]
        include_logs: bool,
        /// About this session's thread.
        #[arg(long, value_name = "SESSION")]
        thread: Option<String>,
    },
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    match args.cmd {
        Cmd::Features { thread, page } => {
            let query = Query::new()
                .opt("threadId", thread)
                .page(page.limit, page.cursor);
            let v = c
                .call(&ops::LIST_EXPERIMENTAL_FEATURES, &[], query, None)
                .await?;
            ctx.out.show(&v, |v| {
                output::items(
                    output::slice(&v["data"]),
                    &[
                        ("name", "/name"),
                        ("stage", "/stage"),
                        ("enabled", "/enabled"),
                        ("default", "/defaultEnabled"),
                    ],
                    "(no features)",
                );
            });
        }
        Cmd::Exec {
            cwd,
            timeout_ms,
            data,
            command,
        } => {
            let body = merge(
                data.as_deref(),
                json!({ "command": command, "cwd": cwd, "timeoutMs": timeout_ms }),
            )?;
            let v = c
                .call(&ops::EXEC_COMMAND, &[], Query::new(), Some(body))
                .await?;
            let code = v["exitCode"].as_i64().unwrap_or_default();
            ctx.out.show(&v, |v| {
                print!("{}", v["stdout"].as_str().unwrap_or_default());
                eprint!("{}", v["stderr"].as_str().unwrap_or_default());
            });
            if code != 0 {
                return Err(CliError::new(
                    Class::Failure,
                    format!("the command exited with {code}"),
                )
                .into());
            }
        }
        Cmd::Feedback {
            classification,
            reason,
            include_logs,
            thread,
        } => {
            let body = json!({
                "classification": classification, "reason": reason,
                "includeLogs": include_logs, "threadId": thread,
            });
            let v = c
                .call(
                    &ops::UPLOAD_FEEDBACK,
                    &[],
                    Query::new(),
                    Some(merge(None, body)?),
                )
                .await?;
            ctx.out.any(&v);
        }
    }
    Ok(())
}
