//! `apps`: the apps (connectors) available to the runtime.

use clap::Subcommand;

use super::{Ctx, Page};
use crate::client::Query;
use crate::ops::{self, Op};

pub const OPS: &[(&str, &Op)] = &[("apps list", &ops::LIST_APPS)];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager apps list
  codex-manager apps list --force-refetch --json")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// List apps.
    List {
        /// Ask the service again instead of using the cache.
        #[arg(long)]
        force_refetch: bool,
        /// As seen from this session's thread.
        #[arg(long, value_name = "SESSION")]
        thread: Option<String>,
        #[command(flatten)]
        page: Page,
    },
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let Cmd::List {
        force_refetch,
        thread,
        page,
    } = args.cmd;
    let query = Query::new()
        .flag("forceRefetch", force_refetch)
        .opt("threadId", thread)
        .page(page.limit, page.cursor);
    let v = ctx.client.call(&ops::LIST_APPS, &[], query, None).await?;
    ctx.out.any(&v);
    Ok(())
}
