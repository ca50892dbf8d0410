-- System-owned sessions: `owner` names the system component that created the session over the
-- bus (`system:<name>`). They are hidden from default lists and only their owner changes them.
ALTER TABLE session.sessions ADD COLUMN owner text;
