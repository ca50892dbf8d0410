//! The few SQL round trips the launchers need: connect, `SELECT 1`, create a database.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use tokio_postgres::NoTls;

/// How long one connect or administrative statement may take.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects to `url` without TLS and drives the connection on a spawned task.
pub async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = timeout(tokio_postgres::connect(url, NoTls))
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "postgres connection ended");
        }
    });
    Ok(client)
}

/// Runs `CREATE DATABASE name` through a connection to `admin_url`. `name` is quoted as an
/// identifier.
pub async fn create_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let client = connect(admin_url).await?;
    timeout(client.batch_execute(&format!("CREATE DATABASE {}", quote_ident(name))))
        .await
        .with_context(|| format!("creating database {name}"))
}

/// Creates database `name` unless it exists; returns whether it was created.
pub async fn create_database_if_missing(admin_url: &str, name: &str) -> anyhow::Result<bool> {
    let client = connect(admin_url).await?;
    let exists =
        timeout(client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]))
            .await
            .with_context(|| format!("looking up database {name}"))?
            .is_some();
    if exists {
        return Ok(false);
    }
    timeout(client.batch_execute(&format!("CREATE DATABASE {}", quote_ident(name))))
        .await
        .with_context(|| format!("creating database {name}"))?;
    Ok(true)
}

/// Succeeds when the server at `url` answers `SELECT 1`.
pub(super) async fn select_one(url: String) -> anyhow::Result<()> {
    let client = connect(&url).await?;
    timeout(client.simple_query("SELECT 1")).await?;
    Ok(())
}

/// Bounds a single connect or statement by [`STATEMENT_TIMEOUT`].
pub async fn timeout<T, E>(fut: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(STATEMENT_TIMEOUT, fut).await {
        Ok(result) => Ok(result?),
        Err(_) => anyhow::bail!("no answer within {STATEMENT_TIMEOUT:?}"),
    }
}

/// `name` as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `url` with the password (between `:` and `@` of the authority) replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_only_the_password() {
        assert_eq!(
            redact("postgres://u:secret@h:5/db?x=1"),
            "postgres://u:***@h:5/db?x=1"
        );
        assert_eq!(redact("postgres://u@h:5/db"), "postgres://u@h:5/db");
        assert_eq!(redact("host=h"), "host=h");
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
