-- A decision being delivered to the runtime: claimed first (in its own statement), so that no
-- row lock is held across the runtime round trip. A claim older than its lease (a decider that
-- died) may be taken over.
ALTER TABLE session.requests
    ADD COLUMN claim_response jsonb,
    ADD COLUMN claimed_by text,
    ADD COLUMN claimed_at timestamptz;
