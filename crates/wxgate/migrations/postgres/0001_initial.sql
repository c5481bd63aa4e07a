-- wxgate storage, PostgreSQL. Times are unix milliseconds (BIGINT). Never edit an applied
-- migration: add a new file.

CREATE TABLE followers (
    openid          TEXT PRIMARY KEY NOT NULL,
    subscribed      BOOLEAN NOT NULL,
    subscribed_at   BIGINT,
    scene           TEXT,
    loc_latitude    DOUBLE PRECISION,
    loc_longitude   DOUBLE PRECISION,
    loc_precision   DOUBLE PRECISION,
    loc_reported_at BIGINT,
    last_seen_at    BIGINT
);

-- IDENTITY: ids are never reused, so `before` cursors and webhook event ids stay stable
-- after deletes.
CREATE TABLE events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key  TEXT NOT NULL UNIQUE,
    openid      TEXT NOT NULL,
    msg_type    TEXT NOT NULL,
    event       TEXT,
    event_key   TEXT,
    create_time BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    fields_json TEXT NOT NULL,
    raw_xml     TEXT NOT NULL,
    reply       TEXT
);
CREATE INDEX events_openid ON events (openid, id);
CREATE INDEX events_received_at ON events (received_at);

-- Anonymous per-scene counters per UTC day (day = days since the unix epoch). No openid.
CREATE TABLE scene_counters (
    scene      TEXT NOT NULL,
    day        BIGINT NOT NULL,
    subscribes BIGINT NOT NULL DEFAULT 0,
    scans      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scene, day)
);

CREATE TABLE qrcodes (
    scene          TEXT PRIMARY KEY NOT NULL,
    action_name    TEXT NOT NULL,
    ticket         TEXT NOT NULL,
    url            TEXT NOT NULL,
    expire_seconds BIGINT,
    expires_at     BIGINT,
    label          TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX qrcodes_created_at ON qrcodes (created_at);

-- One central access token per appid, plus the refresh lease shared by instances.
CREATE TABLE tokens (
    appid        TEXT PRIMARY KEY NOT NULL,
    access_token TEXT,
    expires_at   BIGINT,
    lease_holder TEXT,
    lease_until  BIGINT
);
