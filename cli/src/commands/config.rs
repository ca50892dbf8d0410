//! `config`: the runtime's configuration (codex `config.toml` and its layers).

use clap::Subcommand;
use serde_json::json;

use super::{Ctx, json_arg, merge};
use crate::client::Query;
use crate::ops::{self, Op};

pub const OPS: &[(&str, &Op)] = &[
    ("config read", &ops::READ_CONFIG),
    ("config set", &ops::WRITE_CONFIG_VALUE),
    ("config batch", &ops::WRITE_CONFIG_BATCH),
    ("config requirements", &ops::READ_CONFIG_REQUIREMENTS),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager config read --include-layers --json
  codex-manager config set model '\"gpt-5\"'
  codex-manager config set tools '{\"web_search\": true}' --merge upsert
  codex-manager config batch --data @edits.json
  codex-manager config requirements")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Read the effective configuration.
    Read {
        /// As seen from this directory (project layers).
        #[arg(long)]
        cwd: Option<String>,
        /// Each layer too.
        #[arg(long)]
        include_layers: bool,
    },
    /// Write one value (JSON) at a dotted key path.
    Set {
        key_path: String,
        /// The value as JSON (`@file`, `-` for stdin).
        value: String,
        /// replace or upsert (merge into a table).
        #[arg(long = "merge", value_parser = ["replace", "upsert"], default_value = "replace")]
        merge_strategy: String,
        /// Only if the configuration is still at this version.
        #[arg(long)]
        expected_version: Option<String>,
        /// The config file to write [default: the user's].
        #[arg(long)]
        file_path: Option<String>,
    },
    /// Write several values at once: the runtime's batch parameters as JSON.
    Batch {
        #[arg(long, value_name = "JSON")]
        data: String,
    },
    /// The requirements an administrator set.
    Requirements,
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    let v = match args.cmd {
        Cmd::Read {
            cwd,
            include_layers,
        } => {
            let query = Query::new()
                .opt("cwd", cwd)
                .flag("includeLayers", include_layers);
            c.call(&ops::READ_CONFIG, &[], query, None).await?
        }
        Cmd::Set {
            key_path,
            value,
            merge_strategy,
            expected_version,
            file_path,
        } => {
            let body = json!({
                "keyPath": key_path, "value": json_arg(&value)?, "mergeStrategy": merge_strategy,
                "expectedVersion": expected_version, "filePath": file_path,
            });
            let body = merge(None, body)?;
            c.call(&ops::WRITE_CONFIG_VALUE, &[], Query::new(), Some(body))
                .await?
        }
        Cmd::Batch { data } => {
            let body = json_arg(&data)?;
            c.call(&ops::WRITE_CONFIG_BATCH, &[], Query::new(), Some(body))
                .await?
        }
        Cmd::Requirements => {
            c.call(&ops::READ_CONFIG_REQUIREMENTS, &[], Query::new(), None)
                .await?
        }
    };
    ctx.out.any(&v);
    Ok(())
}
