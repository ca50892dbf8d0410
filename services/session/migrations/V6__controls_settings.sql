-- Controls and settings (features.md S5; docs/architecture.md, "Controls and settings").
-- control_defaults: the one row of global per-turn defaults and the keys they lock.
-- session_controls: the controls a session sets itself (only the keys it sets).
-- settings: free-form JSON by key; session_id = '' holds the global ones.
CREATE TABLE session.control_defaults (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    controls    jsonb NOT NULL DEFAULT '{}',
    locked      text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE session.session_controls (
    session_id  text PRIMARY KEY REFERENCES session.sessions (id) ON DELETE CASCADE,
    controls    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE session.settings (
    session_id  text NOT NULL,
    key         text NOT NULL,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, key)
);

-- A deleted session (tombstoned: deleted_at set, or its row removed) keeps no controls or
-- settings, whichever code path deletes it.
CREATE FUNCTION session.forget_session_controls() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM session.session_controls WHERE session_id = OLD.id;
    DELETE FROM session.settings WHERE session_id = OLD.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_tombstoned_forget_controls
    AFTER UPDATE OF deleted_at ON session.sessions
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
    EXECUTE FUNCTION session.forget_session_controls();

CREATE TRIGGER sessions_deleted_forget_controls
    AFTER DELETE ON session.sessions
    FOR EACH ROW EXECUTE FUNCTION session.forget_session_controls();
