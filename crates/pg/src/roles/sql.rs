//! The SQL that creates or repairs the roles, run over the administrator's connection.

use super::{ROLES, ServiceRole};

/// The statements that create or repair `r` with `password`, for a connection to the
/// application database as its administrator. Safe to run at every start.
pub fn setup_sql(r: &ServiceRole, password: &str) -> String {
    let ServiceRole {
        role,
        schema,
        history,
        ..
    } = r;
    // A SQL literal: the password is ours (hex), but quoting costs nothing.
    let password = format!("'{}'", password.replace('\'', "''"));
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

/// Runs the set-up for every role through `client` (the administrator's connection to the
/// application database), with each role's password from `password_of`.
pub async fn ensure(
    client: &tokio_postgres::Client,
    password_of: impl Fn(&ServiceRole) -> String,
) -> Result<(), tokio_postgres::Error> {
    client.batch_execute(&common_sql()).await?;
    for r in ROLES {
        let password = password_of(r);
        client.batch_execute(&setup_sql(r, &password)).await?;
    }
    Ok(())
}
