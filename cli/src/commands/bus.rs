//! `bus credentials`: the NATS users' keys for a deployment that `up` does not run
//! (docker-compose, Kubernetes): one nkey seed per principal, the public keys, and the
//! nats-server `authorization` block. Existing keys are kept, so it is safe to run again.

use std::path::PathBuf;

use cm_bus::auth::{Credentials, Principal};

use crate::output::Output;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager bus credentials --dir ./nats-credentials
  kubectl -n codex-manager create secret generic cm-nats-credentials \\
      --from-file=./nats-credentials

See docs/bus.md, \"Security\", for what each principal may do.")]
pub struct Args {
    #[command(subcommand)]
    command: BusCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BusCommand {
    /// Generate the missing keys in DIR (0600) and rewrite principals.json and nats-auth.conf.
    Credentials {
        /// Where the keys go (created 0700).
        #[arg(long)]
        dir: PathBuf,
    },
}

pub fn run(out: Output, args: Args) -> anyhow::Result<()> {
    let BusCommand::Credentials { dir } = args.command;
    let creds = Credentials::ensure(&dir)?;
    let files: Vec<serde_json::Value> = Principal::ALL
        .into_iter()
        .map(|p| {
            serde_json::json!({
                "principal": p.name(),
                "publicKey": creds.keys().key_of(p),
                "seedFile": creds.seed_file(p),
            })
        })
        .collect();
    if out.json {
        println!(
            "{}",
            serde_json::json!({
                "principals": files,
                "principalsFile": creds.principals_file(),
                "serverConf": creds.server_conf(),
            })
        );
    } else {
        for f in &files {
            println!(
                "{:<15} {}  {}",
                f["principal"].as_str().unwrap_or_default(),
                f["publicKey"].as_str().unwrap_or_default(),
                f["seedFile"].as_str().unwrap_or_default()
            );
        }
        println!("server configuration: {}", creds.server_conf().display());
    }
    Ok(())
}
