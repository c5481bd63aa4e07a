-- wxgate storage, SQLite. Times are unix milliseconds (INTEGER). Never edit an applied
-- migration: add a new file.

CREATE TABLE followers (
    openid          TEXT PRIMARY KEY NOT NULL,
    subscribed      BOOLEAN NOT NULL,
    subscribed_at   INTEGER,
    scene           TEXT,
    loc_latitude    REAL,
    loc_longitude   REAL,
    loc_precision   REAL,
    loc_reported_at INTEGER,
    last_seen_at    INTEGER
);

-- AUTOINCREMENT: ids are never reused, so `before` cursors and webhook event ids stay stable
-- after deletes.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key  TEXT NOT NULL UNIQUE,
    openid      TEXT NOT NULL,
    msg_type    TEXT NOT NULL,
    event       TEXT,
    event_key   TEXT,
    create_time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    fields_json TEXT NOT NULL,
    raw_xml     TEXT NOT NULL,
    reply       TEXT
);
CREATE INDEX events_openid ON events (openid, id);
CREATE INDEX events_received_at ON events (received_at);

-- Anonymous per-scene counters per UTC day (day = days since the unix epoch). No openid.
CREATE TABLE scene_counters (
    scene      TEXT NOT NULL,
    day        INTEGER NOT NULL,
    subscribes INTEGER NOT NULL DEFAULT 0,
    scans      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scene, day)
);

CREATE TABLE qrcodes (
    scene          TEXT PRIMARY KEY NOT NULL,
    action_name    TEXT NOT NULL,
    ticket         TEXT NOT NULL,
    url            TEXT NOT NULL,
    expire_seconds INTEGER,
    expires_at     INTEGER,
    label          TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX qrcodes_created_at ON qrcodes (created_at);

-- One central access token per appid, plus the refresh lease shared by instances.
CREATE TABLE tokens (
    appid        TEXT PRIMARY KEY NOT NULL,
    access_token TEXT,
    expires_at   INTEGER,
    lease_holder TEXT,
    lease_until  INTEGER
);
