-- Generated from crates/pg/src/roles.rs (cm_pg::roles::psql_script); a test keeps it equal.
-- Run as the database's administrator, connected to the application database:
--   psql -v ON_ERROR_STOP=1 -v cm_session_password=... -v cm_queue_password=... -f roles.sql

-- Nothing in public for anyone; connecting takes a grant.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$ BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;

-- cm_session: owns schema session, may use nothing else.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cm_session') THEN
        CREATE ROLE cm_session LOGIN;
    END IF;
END $$;
ALTER ROLE cm_session WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'cm_session_password';
ALTER ROLE cm_session SET search_path = session;
CREATE SCHEMA IF NOT EXISTS session;
ALTER SCHEMA session OWNER TO cm_session;
REVOKE ALL ON SCHEMA session FROM PUBLIC;
DO $$
DECLARE
    obj record;
BEGIN
    -- CREATE: the migrations begin with `CREATE SCHEMA IF NOT EXISTS`, which asks for it even
    -- when the schema exists. It lets the role make new schemas, never use another's.
    EXECUTE format('GRANT CONNECT, TEMPORARY, CREATE ON DATABASE %I TO cm_session', current_database());
    IF to_regclass('public.cm_session_migrations') IS NOT NULL
        AND to_regclass('session.cm_session_migrations') IS NULL THEN
        ALTER TABLE public.cm_session_migrations SET SCHEMA session;
    END IF;
    FOR obj IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'session' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    LOOP
        EXECUTE format('ALTER TABLE session.%I OWNER TO cm_session', obj.relname);
    END LOOP;
    FOR obj IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'session' AND c.relkind = 'S'
            AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
    LOOP
        EXECUTE format('ALTER SEQUENCE session.%I OWNER TO cm_session', obj.relname);
    END LOOP;
    FOR obj IN SELECT p.oid::regprocedure AS routine FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'session'
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO cm_session', obj.routine);
    END LOOP;
    FOR obj IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'session' AND t.typtype IN ('e', 'd', 'r')
    LOOP
        EXECUTE format('ALTER TYPE session.%I OWNER TO cm_session', obj.typname);
    END LOOP;
END $$;

-- cm_queue: owns schema queue, may use nothing else.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cm_queue') THEN
        CREATE ROLE cm_queue LOGIN;
    END IF;
END $$;
ALTER ROLE cm_queue WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'cm_queue_password';
ALTER ROLE cm_queue SET search_path = queue;
CREATE SCHEMA IF NOT EXISTS queue;
ALTER SCHEMA queue OWNER TO cm_queue;
REVOKE ALL ON SCHEMA queue FROM PUBLIC;
DO $$
DECLARE
    obj record;
BEGIN
    -- CREATE: the migrations begin with `CREATE SCHEMA IF NOT EXISTS`, which asks for it even
    -- when the schema exists. It lets the role make new schemas, never use another's.
    EXECUTE format('GRANT CONNECT, TEMPORARY, CREATE ON DATABASE %I TO cm_queue', current_database());
    IF to_regclass('public.cm_queue_migrations') IS NOT NULL
        AND to_regclass('queue.cm_queue_migrations') IS NULL THEN
        ALTER TABLE public.cm_queue_migrations SET SCHEMA queue;
    END IF;
    FOR obj IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'queue' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    LOOP
        EXECUTE format('ALTER TABLE queue.%I OWNER TO cm_queue', obj.relname);
    END LOOP;
    FOR obj IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'queue' AND c.relkind = 'S'
            AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
    LOOP
        EXECUTE format('ALTER SEQUENCE queue.%I OWNER TO cm_queue', obj.relname);
    END LOOP;
    FOR obj IN SELECT p.oid::regprocedure AS routine FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'queue'
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO cm_queue', obj.routine);
    END LOOP;
    FOR obj IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'queue' AND t.typtype IN ('e', 'd', 'r')
    LOOP
        EXECUTE format('ALTER TYPE queue.%I OWNER TO cm_queue', obj.typname);
    END LOOP;
END $$;
