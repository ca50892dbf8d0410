//! One Postgres role per service, each confined to its own schema.
//!
//! The session service logs in as `cm_session` and owns schema `session`; the queue worker
//! logs in as `cm_queue` and owns schema `queue`. Neither may use the other's schema, nor
//! create anything in `public`: a bug or an injection in one service cannot read or change
//! another's tables. The set-up is one idempotent script, run by whoever holds the database's
//! administrator login: `codex-manager up` (through [`setup_sql`]), docker-compose's
//! `db-roles` service and the Kubernetes `cm-db-roles` Job (both through psql and the rendered
//! `deploy/postgres/roles.sql`, kept equal to [`psql_script`] by a test).
//!
//! Run against a database the services used before they had their own roles, it hands them
//! what they made: the schema, every table, view, type and function in it, and the migration
//! history (moved from `public` into the schema, where the role's `search_path` finds it).

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

/// How the script spells a role's password.
#[derive(Debug, Clone, Copy)]
pub enum Password<'a> {
    /// The password itself (hex or similar; quoted as a SQL literal).
    Literal(&'a str),
    /// A psql variable, `:'name'`, given with `psql -v name=...`.
    PsqlVariable(&'a str),
}

impl Password<'_> {
    fn sql(&self) -> String {
        match self {
            Password::Literal(pw) => format!("'{}'", pw.replace('\'', "''")),
            Password::PsqlVariable(name) => format!(":'{name}'"),
        }
    }
}

/// The statements that create or repair `r` with `password`, for a connection to the
/// application database as its administrator. Safe to run at every start.
pub fn setup_sql(r: &ServiceRole, password: Password<'_>) -> String {
    let ServiceRole {
        role,
        schema,
        history,
        ..
    } = r;
    let password = password.sql();
    format!(
        "\
-- {role}: owns schema {schema}, may use nothing else.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} LOGIN;
    END IF;
END $$;
ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {password};
ALTER ROLE {role} SET search_path = {schema};
CREATE SCHEMA IF NOT EXISTS {schema};
ALTER SCHEMA {schema} OWNER TO {role};
REVOKE ALL ON SCHEMA {schema} FROM PUBLIC;
DO $$
DECLARE
    obj record;
BEGIN
    -- CREATE: the migrations begin with `CREATE SCHEMA IF NOT EXISTS`, which asks for it even
    -- when the schema exists. It lets the role make new schemas, never use another's.
    EXECUTE format('GRANT CONNECT, TEMPORARY, CREATE ON DATABASE %I TO {role}', current_database());
    IF to_regclass('public.{history}') IS NOT NULL
        AND to_regclass('{schema}.{history}') IS NULL THEN
        ALTER TABLE public.{history} SET SCHEMA {schema};
    END IF;
    FOR obj IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '{schema}' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    LOOP
        EXECUTE format('ALTER TABLE {schema}.%I OWNER TO {role}', obj.relname);
    END LOOP;
    FOR obj IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '{schema}' AND c.relkind = 'S'
            AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
    LOOP
        EXECUTE format('ALTER SEQUENCE {schema}.%I OWNER TO {role}', obj.relname);
    END LOOP;
    FOR obj IN SELECT p.oid::regprocedure AS routine FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '{schema}'
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO {role}', obj.routine);
    END LOOP;
    FOR obj IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = '{schema}' AND t.typtype IN ('e', 'd', 'r')
    LOOP
        EXECUTE format('ALTER TYPE {schema}.%I OWNER TO {role}', obj.typname);
    END LOOP;
END $$;
"
    )
}

/// What every role shares: nobody but the administrator creates objects in `public` (the
/// default from Postgres 15 on, stated for older servers) or connects without a grant.
pub fn common_sql() -> String {
    "\
-- Nothing in public for anyone; connecting takes a grant.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$ BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
"
    .to_owned()
}

/// The whole set-up for psql, with each password in the variable `<role>_password`
/// (`psql -v ON_ERROR_STOP=1 -v cm_session_password=... -v cm_queue_password=... -f roles.sql`).
pub fn psql_script() -> String {
    let mut out = String::from(
        "-- Generated from crates/pg/src/roles.rs (cm_pg::roles::psql_script); a test keeps it equal.\n\
         -- Run as the database's administrator, connected to the application database:\n\
         --   psql -v ON_ERROR_STOP=1 -v cm_session_password=... -v cm_queue_password=... -f roles.sql\n\n",
    );
    out.push_str(&common_sql());
    for r in ROLES {
        out.push('\n');
        out.push_str(&setup_sql(
            r,
            Password::PsqlVariable(&format!("{}_password", r.role)),
        ));
    }
    out
}

/// Runs the set-up for every role through `client` (the administrator's connection to the
/// application database), with each role's password from `password_of`.
pub async fn ensure(
    client: &tokio_postgres::Client,
    password_of: impl Fn(&ServiceRole) -> String,
) -> Result<(), tokio_postgres::Error> {
    client.batch_execute(&common_sql()).await?;
    for r in ROLES {
        let password = password_of(r);
        client
            .batch_execute(&setup_sql(r, Password::Literal(&password)))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployed_scripts_are_the_rendered_one() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let want = psql_script();
        for file in ["deploy/postgres/roles.sql", "deploy/k8s/db-roles.sql"] {
            let path = format!("{root}/{file}");
            if std::env::var_os("UPDATE_ROLES_SQL").is_some() {
                std::fs::write(&path, &want).unwrap_or_else(|e| panic!("{path}: {e}"));
            }
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                have == want,
                "{file} differs from cm_pg::roles::psql_script(); regenerate with \
                 UPDATE_ROLES_SQL=1 cargo test -p cm-pg --lib roles"
            );
        }
    }

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
    fn a_literal_password_is_quoted() {
        assert_eq!(Password::Literal("a'b").sql(), "'a''b'");
        assert_eq!(Password::PsqlVariable("x").sql(), ":'x'");
    }
}
