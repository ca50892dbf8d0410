-- The job engine: Postgres is the queue. Workers claim due jobs with FOR UPDATE SKIP LOCKED,
-- hold them under a lease they renew, and every transition writes its event to the outbox in
-- the same transaction (a relay publishes them to CM_EVENTS), so state and events never
-- disagree.
ALTER TABLE queue.jobs
    DROP COLUMN error,
    ADD COLUMN version          integer NOT NULL DEFAULT 1,
    ADD COLUMN session_id       text,
    ADD COLUMN run_after        timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN timeout_ms       bigint NOT NULL DEFAULT 300000,
    ADD COLUMN lease_until      timestamptz,
    ADD COLUMN worker           text,
    ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false,
    ADD COLUMN error_class      text
               CHECK (error_class IN ('retryable', 'fatal', 'timeout', 'lost', 'invalid')),
    ADD COLUMN error_message    text,
    ADD COLUMN started_at       timestamptz,
    ADD COLUMN finished_at      timestamptz;

-- What a claim reads: due queued jobs, interactive first.
CREATE INDEX jobs_claim ON queue.jobs ((priority = 'interactive') DESC, run_after, created_at)
    WHERE state = 'queued';
-- What the reaper reads: running jobs whose lease ran out.
CREATE INDEX jobs_lease ON queue.jobs (lease_until) WHERE state = 'running';
-- Capacity per project counts the active jobs of one project.
CREATE INDEX jobs_active_project ON queue.jobs (project_id) WHERE state IN ('queued', 'running');

-- Events written with their transition, published by the relay in id order, deleted once
-- JetStream has acknowledged them. `event` is the whole cm_schemas::Event (its id is the
-- Nats-Msg-Id, so a re-publish after a crash is dropped by the stream's duplicate window).
CREATE TABLE queue.outbox (
    id         bigserial PRIMARY KEY,
    event      jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
