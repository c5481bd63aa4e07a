-- The replay guard across restarts (contract §3): the signature triples of accepted pushes
-- with their body, for 10 minutes. Digests only (SHA-256 of "timestamp\nnonce\nsignature" and
-- of the body). Keyed by time first so inserts append; the gateway looks triples up in memory
-- (seeded from here at start) — a single SQLite writer serves one process.
CREATE TABLE replay_guard (
    seen_at INTEGER NOT NULL,
    query   BLOB NOT NULL,
    body    BLOB NOT NULL,
    PRIMARY KEY (seen_at, query)
) WITHOUT ROWID;
