-- Supplemental transcript entries (features.md S3, `transcript/upsert`): keyed by a message id
-- of the writer's choosing. `seq` is the stream sequence of the first `transcript.upserted` of
-- the id (the entry's place in the transcript), `last_seq` that of the latest (the consumer
-- skips an older one, so a lagging consumer never undoes a newer write).
CREATE TABLE session.transcript_entries (
    session_id  text NOT NULL REFERENCES session.sessions (id) ON DELETE CASCADE,
    message_id  text NOT NULL,
    role        text NOT NULL,
    text        text NOT NULL,
    turn_id     text,
    data        jsonb,
    seq         bigint NOT NULL,
    last_seq    bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, message_id)
);
CREATE INDEX transcript_entries_order ON session.transcript_entries (session_id, seq);

-- A turn's place in the stream (the sequence of its first applied event, `turn.started`), so a
-- client can merge turns and entries in order. Existing turns take it from the event history.
ALTER TABLE session.turns ADD COLUMN seq bigint;
UPDATE session.turns t SET seq = (
    SELECT min(e.seq) FROM session.events e
    WHERE e.scope = 'session' AND e.scope_id = t.session_id AND e.body -> 'data' ->> 'turnId' = t.id
);
