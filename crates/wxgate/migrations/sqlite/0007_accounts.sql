-- Several Official Accounts on one gateway (issue 11): every record belongs to one account,
-- by its config NAME (`[account]` alone is the account named 'default'). Existing rows become
-- the 'default' account's. What was unique per gateway is unique per account now: followers
-- (account, openid), QR codes (account, scene), scene and day counters, replay marks,
-- template messages' idempotency keys and receipts, the follower-sync cursor; the dedupe
-- window (in memory) and the outbox order are per account too. Tokens stay one per
-- appid (two accounts cannot share an appid).

CREATE TABLE followers_new (
    account         TEXT NOT NULL,
    openid          TEXT NOT NULL,
    subscribed      BOOLEAN NOT NULL,
    subscribed_at   INTEGER,
    scene           TEXT,
    loc_latitude    REAL,
    loc_longitude   REAL,
    loc_precision   REAL,
    loc_reported_at INTEGER,
    last_seen_at    INTEGER,
    unionid         TEXT,
    subscribe_scene TEXT,
    source          TEXT NOT NULL DEFAULT 'push',
    language        TEXT,
    remark          TEXT,
    tags            TEXT,
    synced_at       INTEGER,
    PRIMARY KEY (account, openid)
);
INSERT INTO followers_new (account, openid, subscribed, subscribed_at, scene, loc_latitude,
                           loc_longitude, loc_precision, loc_reported_at, last_seen_at,
                           unionid, subscribe_scene, source, language, remark, tags, synced_at)
    SELECT 'default', openid, subscribed, subscribed_at, scene, loc_latitude, loc_longitude,
           loc_precision, loc_reported_at, last_seen_at, unionid, subscribe_scene, source,
           language, remark, tags, synced_at
    FROM followers;
DROP TABLE followers;
ALTER TABLE followers_new RENAME TO followers;

ALTER TABLE events ADD COLUMN account TEXT NOT NULL DEFAULT 'default';

CREATE TABLE openid_events_new (
    account  TEXT NOT NULL,
    openid   TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (account, openid, event_id)
) WITHOUT ROWID;
INSERT INTO openid_events_new (account, openid, event_id)
    SELECT 'default', openid, event_id FROM openid_events;
DROP TABLE openid_events;
ALTER TABLE openid_events_new RENAME TO openid_events;

CREATE TABLE scene_counters_new (
    account      TEXT NOT NULL,
    scene        TEXT NOT NULL,
    day          INTEGER NOT NULL,
    subscribes   INTEGER NOT NULL DEFAULT 0,
    scans        INTEGER NOT NULL DEFAULT 0,
    unsubscribes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, scene, day)
);
INSERT INTO scene_counters_new (account, scene, day, subscribes, scans, unsubscribes)
    SELECT 'default', scene, day, subscribes, scans, unsubscribes FROM scene_counters;
DROP TABLE scene_counters;
ALTER TABLE scene_counters_new RENAME TO scene_counters;

CREATE TABLE day_counters_new (
    account      TEXT NOT NULL,
    day          INTEGER NOT NULL,
    events       INTEGER NOT NULL DEFAULT 0,
    subscribes   INTEGER NOT NULL DEFAULT 0,
    unsubscribes INTEGER NOT NULL DEFAULT 0,
    scans        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, day)
);
INSERT INTO day_counters_new (account, day, events, subscribes, unsubscribes, scans)
    SELECT 'default', day, events, subscribes, unsubscribes, scans FROM day_counters;
DROP TABLE day_counters;
ALTER TABLE day_counters_new RENAME TO day_counters;

CREATE TABLE qrcodes_new (
    account        TEXT NOT NULL,
    scene          TEXT NOT NULL,
    action_name    TEXT NOT NULL,
    ticket         TEXT NOT NULL,
    url            TEXT NOT NULL,
    expire_seconds INTEGER,
    expires_at     INTEGER,
    label          TEXT,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (account, scene)
);
INSERT INTO qrcodes_new (account, scene, action_name, ticket, url, expire_seconds, expires_at,
                         label, created_at)
    SELECT 'default', scene, action_name, ticket, url, expire_seconds, expires_at, label,
           created_at
    FROM qrcodes;
DROP TABLE qrcodes;
ALTER TABLE qrcodes_new RENAME TO qrcodes;
CREATE INDEX qrcodes_created_at ON qrcodes (created_at);

CREATE TABLE replay_guard_new (
    seen_at INTEGER NOT NULL,
    account TEXT NOT NULL,
    query   BLOB NOT NULL,
    body    BLOB NOT NULL,
    PRIMARY KEY (seen_at, account, query)
) WITHOUT ROWID;
INSERT INTO replay_guard_new (seen_at, account, query, body)
    SELECT seen_at, 'default', query, body FROM replay_guard;
DROP TABLE replay_guard;
ALTER TABLE replay_guard_new RENAME TO replay_guard;

ALTER TABLE outbox ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
DROP INDEX outbox_webhook_openid;
-- "Is there an older pending delivery of this (webhook, account, openid)?"
CREATE INDEX outbox_webhook_openid ON outbox (webhook, account, openid, id);

CREATE TABLE messages_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account         TEXT NOT NULL,
    openid          TEXT NOT NULL,
    template_id     TEXT NOT NULL,
    idempotency_key TEXT,
    status          TEXT NOT NULL,
    msgid           INTEGER,
    error           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (account, idempotency_key)
);
INSERT INTO messages_new (id, account, openid, template_id, idempotency_key, status, msgid,
                          error, created_at, updated_at)
    SELECT id, 'default', openid, template_id, idempotency_key, status, msgid, error,
           created_at, updated_at
    FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_openid ON messages (account, openid);
CREATE INDEX messages_msgid ON messages (account, msgid);

CREATE TABLE receipts_new (
    account     TEXT NOT NULL,
    msgid       INTEGER NOT NULL,
    status      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (account, msgid)
);
INSERT INTO receipts_new (account, msgid, status, received_at)
    SELECT 'default', msgid, status, received_at FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_new RENAME TO receipts;
CREATE INDEX receipts_received_at ON receipts (received_at);

-- The cursor of an unfinished `wxgate followers sync`, one row per account at most.
CREATE TABLE follower_sync_new (
    account     TEXT PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    next_openid TEXT,
    synced      INTEGER NOT NULL
);
INSERT INTO follower_sync_new (account, started_at, next_openid, synced)
    SELECT 'default', started_at, next_openid, synced FROM follower_sync;
DROP TABLE follower_sync;
ALTER TABLE follower_sync_new RENAME TO follower_sync;
