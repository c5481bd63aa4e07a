-- Issue 12: template messages with receipts, followers from `wxgate followers sync`.
-- Times are unix milliseconds.

-- Template messages sent through /api/messages/template; deleted when their recipient is
-- forgotten. The message itself waits in the outbox (webhook '@template') until sent.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    openid          TEXT NOT NULL,
    template_id     TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    status          TEXT NOT NULL,
    msgid           INTEGER,
    error           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX messages_openid ON messages (openid);
CREATE INDEX messages_msgid ON messages (msgid);

-- TEMPLATESENDJOBFINISH outcomes by WeChat's msgid (no openid): a push that arrives before
-- its message's msgid is stored is not lost.
CREATE TABLE receipts (
    msgid       INTEGER PRIMARY KEY,
    status      TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX receipts_received_at ON receipts (received_at);

-- What user/info tells of a follower, how the gateway learned of it, when a sync saw it.
ALTER TABLE followers ADD COLUMN unionid TEXT;
ALTER TABLE followers ADD COLUMN subscribe_scene TEXT;
ALTER TABLE followers ADD COLUMN source TEXT NOT NULL DEFAULT 'push';
ALTER TABLE followers ADD COLUMN language TEXT;
ALTER TABLE followers ADD COLUMN remark TEXT;
ALTER TABLE followers ADD COLUMN tags TEXT;
ALTER TABLE followers ADD COLUMN synced_at INTEGER;

-- The cursor of an unfinished `wxgate followers sync` (one row at most).
CREATE TABLE follower_sync (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    started_at  INTEGER NOT NULL,
    next_openid TEXT,
    synced      INTEGER NOT NULL
);
