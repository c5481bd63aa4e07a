-- The replay guard across restarts and instances (contract §3): the signature triples of
-- accepted pushes with their body, for 10 minutes. Digests only (SHA-256 of
-- "timestamp\nnonce\nsignature" and of the body).
CREATE TABLE replay_guard (
    query   BYTEA PRIMARY KEY,
    body    BYTEA NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX replay_guard_seen_at ON replay_guard (seen_at);
