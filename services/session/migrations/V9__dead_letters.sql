-- Events the consumer could not apply after repeated attempts, or that never decoded: kept
-- here (the message as it came, byte for byte) so an operator can see and replay them, while
-- the consumer goes on with the events after them.
CREATE TABLE session.dead_letters (
    seq         bigint PRIMARY KEY,
    subject     text NOT NULL,
    event_id    text,
    kind        text,
    scope_id    text,
    attempts    bigint NOT NULL,
    error       text NOT NULL,
    payload     bytea NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
