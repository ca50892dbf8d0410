//! `db roles`: each service's own Postgres role for a deployment that `up` does not run
//! (docker-compose, Kubernetes). Run with the administrator's `DATABASE_URL`; the passwords are
//! files in `--dir`, generated when missing and kept otherwise, so it is safe to run again.

use std::path::PathBuf;

use cm_pg::roles::{self, Passwords, ROLES};

use crate::output::Output;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  DATABASE_URL=postgres://admin@db/codex_manager codex-manager db roles --dir ./db-credentials
  kubectl -n codex-manager create secret generic codex-manager-db-passwords \\
      --from-file=./db-credentials

Then each service connects with its password file: CM_DATABASE_PASSWORD_FILE=<dir>/<role>.password
(see docs/deployment.md, \"Database roles\").")]
pub struct Args {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DbCommand {
    /// Create or repair the services' roles (cm_session, cm_queue), each owning only its schema.
    Roles {
        /// The passwords, one `<role>.password` file each (created 0700; missing ones generated).
        #[arg(long)]
        dir: PathBuf,
        /// The administrator's connection string, to the application database.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
        database_url: String,
    },
}

pub async fn run(out: Output, args: Args) -> anyhow::Result<()> {
    let DbCommand::Roles { dir, database_url } = args.command;
    let passwords = Passwords::ensure(&dir)?;
    roles::apply(&database_url, &passwords).await?;
    let rows: Vec<serde_json::Value> = ROLES
        .iter()
        .map(|r| {
            serde_json::json!({
                "service": r.service,
                "role": r.role,
                "schema": r.schema,
                "passwordFile": passwords.file_of(r),
            })
        })
        .collect();
    if out.json {
        println!("{}", serde_json::json!({ "roles": rows }));
    } else {
        for r in ROLES {
            println!(
                "{:<16} {:<11} schema {:<8} {}",
                r.service,
                r.role,
                r.schema,
                passwords.file_of(r).display()
            );
        }
    }
    Ok(())
}
