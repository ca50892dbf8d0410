-- The queue worker's schema. Job kinds arrive in later versions; the record shape is fixed now
-- so that every job, whatever its kind, is queryable the same way.
CREATE SCHEMA IF NOT EXISTS queue;

CREATE TABLE queue.jobs (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL,
    state        text NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'completed', 'failed', 'canceled')),
    priority     text NOT NULL DEFAULT 'background' CHECK (priority IN ('interactive', 'background')),
    project_id   text,
    dedupe_key   text,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    result       jsonb,
    error        jsonb,
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 3,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_state ON queue.jobs (state, created_at);
CREATE UNIQUE INDEX jobs_dedupe ON queue.jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
