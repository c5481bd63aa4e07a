-- Tombstones of forgotten unsubscribes (contract §3, §4): an unsubscribe is not kept as an
-- event (it would hold the openid), so its resends are recognised here instead, for 10
-- minutes (WeChat resends within seconds). Only SHA-256 of the dedupe key, never the key or
-- the openid in clear; pruned with the replay marks, and by every unsubscribe.
CREATE TABLE forgotten_keys (
    account      TEXT NOT NULL,
    digest       BLOB NOT NULL,
    forgotten_at INTEGER NOT NULL,
    PRIMARY KEY (account, digest)
) WITHOUT ROWID;
CREATE INDEX forgotten_keys_forgotten_at ON forgotten_keys (forgotten_at);
