//! `models`: the models the runtime offers.

use clap::Subcommand;

use super::{Ctx, Page};
use crate::client::Query;
use crate::ops::{self, Op};
use crate::output;

pub const OPS: &[(&str, &Op)] = &[("models list", &ops::LIST_MODELS)];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager models list
  codex-manager models list --include-hidden --json | jq -r '.data[].id'")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// List models.
    List {
        /// Hidden models too.
        #[arg(long)]
        include_hidden: bool,
        /// Only this provider's models.
        #[arg(long)]
        provider: Option<String>,
        #[command(flatten)]
        page: Page,
    },
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let Cmd::List {
        include_hidden,
        provider,
        page,
    } = args.cmd;
    let query = Query::new()
        .flag("includeHidden", include_hidden)
        .opt("modelProvider", provider)
        .page(page.limit, page.cursor);
    let v = ctx.client.call(&ops::LIST_MODELS, &[], query, None).await?;
    ctx.out.show(&v, |v| {
        output::items(
            output::slice(&v["data"]),
            &[
                ("id", "/id"),
                ("name", "/displayName"),
                ("default", "/isDefault"),
                ("effort", "/defaultReasoningEffort"),
            ],
            "(no models)",
        );
    });
    Ok(())
}
