-- Several Official Accounts on one gateway (issue 11): every record belongs to one account,
-- by its config NAME (`[account]` alone is the account named 'default'). Existing rows become
-- the 'default' account's. What was unique per gateway is unique per account now: followers
-- (account, openid), QR codes (account, scene), scene and day counters, replay marks; the
-- dedupe window (in memory) and the outbox order are per account too. Tokens stay one per
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
    PRIMARY KEY (account, openid)
);
INSERT INTO followers_new (account, openid, subscribed, subscribed_at, scene, loc_latitude,
                           loc_longitude, loc_precision, loc_reported_at, last_seen_at)
    SELECT 'default', openid, subscribed, subscribed_at, scene, loc_latitude, loc_longitude,
           loc_precision, loc_reported_at, last_seen_at
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
