//! `skills`: the skills the runtime found.

use clap::Subcommand;

use super::Ctx;
use crate::client::Query;
use crate::ops::{self, Op};
use crate::output;

pub const OPS: &[(&str, &Op)] = &[("skills list", &ops::LIST_SKILLS)];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager skills list
  codex-manager skills list --cwd /srv/app --cwd /srv/lib --force-reload")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// List skills.
    List {
        /// For these working directories (repeatable).
        #[arg(long)]
        cwd: Vec<String>,
        /// Scan again instead of using the cache.
        #[arg(long)]
        force_reload: bool,
    },
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let Cmd::List { cwd, force_reload } = args.cmd;
    let query = Query::new()
        .each("cwds", &cwd)
        .flag("forceReload", force_reload);
    let v = ctx.client.call(&ops::LIST_SKILLS, &[], query, None).await?;
    ctx.out.show(&v, |v| {
        for entry in output::slice(&v["data"]) {
            println!("{}:", output::cell(&entry["cwd"]));
            output::items(
                output::slice(&entry["skills"]),
                &[
                    ("name", "/name"),
                    ("scope", "/scope"),
                    ("enabled", "/enabled"),
                    ("description", "/interface/shortDescription"),
                ],
                "(no skills)",
            );
            for error in output::slice(&entry["errors"]) {
                println!("error: {}", output::cell(error));
            }
        }
    });
    Ok(())
}
