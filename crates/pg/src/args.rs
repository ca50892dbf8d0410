//! The database flags every service that keeps records in Postgres takes.

use std::path::PathBuf;

use anyhow::Context;

use crate::roles;

/// Where the service's database is, and the login it uses.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Postgres connection string.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// Log in as this service's own role (`cm_session`, `cm_queue`: see `codex-manager db
    /// roles`) with the password in this file, whatever login the URL names.
    #[arg(long, env = "CM_DATABASE_PASSWORD_FILE", value_name = "FILE")]
    pub database_password_file: Option<PathBuf>,
}

impl DbArgs {
    /// The URL `service` connects with.
    pub fn url(&self, service: &str) -> anyhow::Result<String> {
        let Some(file) = &self.database_password_file else {
            return Ok(self.database_url.clone());
        };
        let role = roles::of(service)
            .with_context(|| format!("{service} has no database role of its own"))?;
        let password = std::fs::read_to_string(file)
            .with_context(|| format!("reading the database password {}", file.display()))?;
        roles::url_for(&self.database_url, role, password.trim())
    }
}
