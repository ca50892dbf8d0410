-- Pending requests (approvals, tool input, tool calls): opened by `request.opened`, settled by
-- the first decision or expired by `request.resolved`.
CREATE TABLE session.requests (
    id          text PRIMARY KEY,
    session_id  text NOT NULL REFERENCES session.sessions (id) ON DELETE CASCADE,
    turn_id     text,
    item_id     text,
    kind        text NOT NULL,
    method      text NOT NULL,
    params      jsonb NOT NULL,
    available_decisions jsonb,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'expired')),
    response    jsonb,
    decided_by  text,
    reason      text,
    opened_at   timestamptz NOT NULL,
    resolved_at timestamptz
);
CREATE INDEX requests_session ON session.requests (session_id, opened_at);
