-- Idempotency records for `Idempotency-Key` on POST (see docs/architecture.md, "Idempotency").
-- One row per (scope, key): `scope` is the principal (a hash of the bearer token), so keys of
-- different principals never collide. A row is `in_progress` while its request runs (held by
-- `reservation` until `locked_until`), then `completed` with the response to replay.
CREATE TABLE session.idempotency (
    scope         text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    method        text NOT NULL,
    path          text NOT NULL,
    state         text NOT NULL CHECK (state IN ('in_progress', 'completed')),
    reservation   uuid NOT NULL,
    locked_until  timestamptz NOT NULL,
    status        smallint,
    content_type  text,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (scope, key),
    CHECK (state = 'in_progress' OR (status IS NOT NULL AND body IS NOT NULL))
);
CREATE INDEX idempotency_expires ON session.idempotency (expires_at);
