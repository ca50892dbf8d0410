//! One Postgres role per service, each confined to its own schema.
//!
//! The session service logs in as `cm_session` and owns schema `session`; the queue worker
//! logs in as `cm_queue` and owns schema `queue`. Neither may use the other's schema, nor
//! create anything in `public`: a bug or an injection in one service cannot read or change
//! another's tables. One idempotent set-up ([`apply`]) creates them, run by whoever holds the
//! database's administrator login: `codex-manager up` at every start, and
//! `codex-manager db roles` for docker-compose's `db-roles` service and the Kubernetes
//! `cm-db-roles` Job. Each role's password is a file ([`Passwords`]); a service given it
//! (`CM_DATABASE_PASSWORD_FILE`, see [`crate::DbArgs`]) logs in as its role.
//!
//! Run against a database the services used before they had their own roles, it hands them
//! what they made: the schema, every table, view, type and function in it, and the migration
//! history (moved from `public` into the schema, where the role's `search_path` finds it).

mod passwords;
mod sql;

pub use passwords::Passwords;
pub use sql::{common_sql, ensure, setup_sql};

/// A service's login and the schema it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceRole {
    /// The service, as `up` and the compose file name it.
    pub service: &'static str,
    /// The login role.
    pub role: &'static str,
    /// The only schema the role may use (it owns it).
    pub schema: &'static str,
    /// The service's refinery history table (unqualified; found through `search_path`).
    pub history: &'static str,
}

/// Every service that connects to Postgres.
pub const ROLES: &[ServiceRole] = &[
    ServiceRole {
        service: "cm-session",
        role: "cm_session",
        schema: "session",
        history: "cm_session_migrations",
    },
    ServiceRole {
        service: "cm-queue-worker",
        role: "cm_queue",
        schema: "queue",
        history: "cm_queue_migrations",
    },
];

/// The role of `service`, if it connects to Postgres.
pub fn of(service: &str) -> Option<&'static ServiceRole> {
    ROLES.iter().find(|r| r.service == service)
}

/// `admin_url` with `r`'s login in place of the administrator's: what the service connects
/// with. Host, port, database and parameters stay.
pub fn url_for(admin_url: &str, r: &ServiceRole, password: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(admin_url)
        .map_err(|e| anyhow::anyhow!("the database URL is not a URL: {e}"))?;
    let login = |url: &mut url::Url| -> Result<(), ()> {
        url.set_username(r.role)?;
        url.set_password(Some(password))
    };
    login(&mut url).map_err(|()| anyhow::anyhow!("the database URL has no host to log in to"))?;
    Ok(url.into())
}

/// Creates or repairs every role on the database `admin_url` points at (logged in as its
/// administrator), each with its password from `passwords`.
pub async fn apply(admin_url: &str, passwords: &Passwords) -> anyhow::Result<()> {
    let (client, conn) = crate::connect(admin_url).await?;
    let applied = ensure(&client, |r| passwords.of(r).to_owned()).await;
    drop(client);
    let _ = conn.await;
    applied.map_err(|e| {
        anyhow::anyhow!(
            "setting up the service roles: {}",
            crate::describe(&e.into())
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_url_keeps_all_but_the_login() {
        let url = url_for(
            "postgres://postgres:secret@127.0.0.1:5433/codex_manager?sslmode=require",
            &ROLES[0],
            "pw",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            url,
            "postgres://cm_session:pw@127.0.0.1:5433/codex_manager?sslmode=require"
        );
    }

    #[test]
    fn a_password_is_quoted_as_a_literal() {
        assert!(setup_sql(&ROLES[0], "a'b").contains("PASSWORD 'a''b'"));
    }
}
