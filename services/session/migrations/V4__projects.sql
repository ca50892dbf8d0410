-- Projects group sessions and give new ones a working directory. Sessions gain their project,
-- an archived flag, and a tombstone: a deleted session keeps only its row (id, deleted_at), so
-- later commands on it answer `gone` and late events for it are not applied.
CREATE TABLE session.projects (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    cwd         text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- "Docs" and "docs" are the same project to a person choosing from a list.
CREATE UNIQUE INDEX projects_name ON session.projects (lower(name));

ALTER TABLE session.sessions
    ADD COLUMN project_id text REFERENCES session.projects (id) ON DELETE SET NULL,
    ADD COLUMN archived boolean NOT NULL DEFAULT false,
    ADD COLUMN deleted_at timestamptz,
    -- Stream sequence of the last lifecycle event (`session.updated`) the row reflects: the
    -- consumer skips older ones, so a lagging consumer never undoes a newer rename or move.
    ADD COLUMN state_seq bigint NOT NULL DEFAULT 0;
CREATE INDEX sessions_project ON session.sessions (project_id, created_at DESC, id DESC);
