-- The session service's schema: sessions (one per app-server thread), their turns and items,
-- and every applied event keyed by its JetStream stream sequence.
CREATE SCHEMA IF NOT EXISTS session;

CREATE TABLE session.sessions (
    id          text PRIMARY KEY,
    title       text,
    cwd         text NOT NULL DEFAULT '',
    model       text,
    status      text NOT NULL DEFAULT 'idle',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Highest stream sequence applied for this session: a snapshot reflects exactly this.
    last_seq    bigint NOT NULL DEFAULT 0
);
CREATE INDEX sessions_created ON session.sessions (created_at DESC, id DESC);

CREATE TABLE session.turns (
    session_id   text NOT NULL REFERENCES session.sessions (id) ON DELETE CASCADE,
    id           text NOT NULL,
    ordinal      bigserial,
    status       text NOT NULL,
    reason       text,
    error        jsonb,
    usage        jsonb,
    started_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (session_id, id)
);

CREATE TABLE session.items (
    session_id text NOT NULL,
    turn_id    text NOT NULL,
    id         text NOT NULL,
    ordinal    bigserial,
    item_type  text NOT NULL,
    status     text NOT NULL,
    text       text NOT NULL DEFAULT '',
    item       jsonb NOT NULL,
    PRIMARY KEY (session_id, turn_id, id),
    FOREIGN KEY (session_id, turn_id) REFERENCES session.turns (session_id, id) ON DELETE CASCADE
);

-- The queryable event history. The primary key makes applying an event idempotent.
CREATE TABLE session.events (
    seq        bigint PRIMARY KEY,
    event_id   uuid NOT NULL,
    scope      text NOT NULL,
    scope_id   text NOT NULL,
    kind       text NOT NULL,
    time       timestamptz NOT NULL,
    body       jsonb NOT NULL
);
CREATE INDEX events_scope ON session.events (scope, scope_id, seq);
