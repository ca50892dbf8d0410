-- What the insights views need per turn: the agent's latest plan and the aggregated diff.
ALTER TABLE session.turns ADD COLUMN plan jsonb, ADD COLUMN diff text;
