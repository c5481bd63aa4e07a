-- The accounts the gateway has served, so that one taken out of the config is still listed
-- (status "removed") while its records are kept, until they are erased with
-- DELETE /api/accounts/{name}. Served accounts are noted at start and on each reload.
-- Accounts that only the records name (served before this table existed) are listed with
-- what is known of them: their name.
CREATE TABLE accounts (
    name      TEXT PRIMARY KEY,
    appid     TEXT,
    security  TEXT,
    push_path TEXT,
    source    TEXT NOT NULL DEFAULT 'config',
    noted_at  INTEGER NOT NULL
);
INSERT INTO accounts (name, noted_at)
    SELECT account, 0 FROM events
    UNION SELECT account, 0 FROM followers
    UNION SELECT account, 0 FROM qrcodes
    UNION SELECT account, 0 FROM messages
    UNION SELECT account, 0 FROM outbox;
