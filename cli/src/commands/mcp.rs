//! `mcp`: the runtime's MCP servers.

use clap::Subcommand;

use super::{Ctx, Page, merge};
use crate::client::Query;
use crate::ops::{self, Op};
use crate::output;

pub const OPS: &[(&str, &Op)] = &[
    ("mcp list", &ops::LIST_MCP_SERVERS),
    ("mcp reload", &ops::RELOAD_MCP_SERVERS),
    ("mcp login", &ops::LOGIN_MCP_SERVER),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager mcp list
  codex-manager mcp reload            # after editing the config
  codex-manager mcp login github --data '{\"scopes\": [\"repo\"]}'")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// MCP servers with their status, tools and auth.
    List {
        /// Only this server.
        #[arg(long)]
        server: Option<String>,
        /// How much to say about each (the runtime's `detail`).
        #[arg(long)]
        detail: Option<String>,
        /// As seen from this session's thread.
        #[arg(long, value_name = "SESSION")]
        thread: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Reload the MCP servers from the configuration.
    Reload,
    /// Start an OAuth login for a server.
    Login {
        name: String,
        /// More login parameters as JSON (scopes, timeoutSecs...).
        #[arg(long, value_name = "JSON")]
        data: Option<String>,
    },
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    match args.cmd {
        Cmd::List {
            server,
            detail,
            thread,
            page,
        } => {
            let query = Query::new()
                .opt("serverName", server)
                .opt("detail", detail)
                .opt("threadId", thread)
                .page(page.limit, page.cursor);
            let v = c.call(&ops::LIST_MCP_SERVERS, &[], query, None).await?;
            ctx.out.show(&v, |v| {
                output::items(
                    output::slice(&v["data"]),
                    &[
                        ("name", "/name"),
                        ("status", "/status"),
                        ("auth", "/authStatus"),
                    ],
                    "(no MCP servers)",
                );
            });
        }
        Cmd::Reload => {
            let v = c
                .call(&ops::RELOAD_MCP_SERVERS, &[], Query::new(), None)
                .await?;
            ctx.out.done(&v, "MCP servers reloaded");
        }
        Cmd::Login { name, data } => {
            let body = merge(data.as_deref(), serde_json::json!({}))?;
            let v = c
                .call(&ops::LOGIN_MCP_SERVER, &[&name], Query::new(), Some(body))
                .await?;
            ctx.out.any(&v);
        }
    }
    Ok(())
}
