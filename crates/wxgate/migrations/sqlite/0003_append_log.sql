-- The append log (docs/storage.md, "The SQLite engine"). A push is one appended `events` row:
-- no unique dedupe_key index (the writer's in-memory window recognises resends), no
-- fields_json (derived from raw_xml when read), no (openid, id) or received_at index — each
-- was a random B-tree page per push. What needs random pages (`followers`, the per-openid
-- index `openid_events`) is brought up to date behind the log in large batches; `applied`
-- says up to which event id. The follower effect of a push is kept in its row (effect,
-- scene, loc_*) so an interrupted catch-up is replayed from the log after a crash.

CREATE TABLE events_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key    TEXT NOT NULL,
    openid        TEXT NOT NULL,
    msg_type      TEXT NOT NULL,
    event         TEXT,
    event_key     TEXT,
    create_time   INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    raw_xml       TEXT NOT NULL,
    reply         TEXT,
    -- 0 touch, 1 subscribe, 2 scan, 3 location
    effect        INTEGER NOT NULL DEFAULT 0,
    scene         TEXT,
    loc_latitude  REAL,
    loc_longitude REAL,
    loc_precision REAL
);
INSERT INTO events_log (id, dedupe_key, openid, msg_type, event, event_key, create_time,
                        received_at, raw_xml, reply)
    SELECT id, dedupe_key, openid, msg_type, event, event_key, create_time, received_at,
           raw_xml, reply
    FROM events ORDER BY id;

CREATE TABLE openid_events (
    openid   TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (openid, event_id)
) WITHOUT ROWID;
INSERT INTO openid_events (openid, event_id) SELECT openid, id FROM events;

-- Ids are never reused: carry the old table's sequence over.
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_log', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events_log');
UPDATE sqlite_sequence
    SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))
    WHERE name = 'events_log';
DROP TABLE events;
ALTER TABLE events_log RENAME TO events;

-- Every event up to event_id has its follower effect and openid_events row applied.
CREATE TABLE applied (
    one      INTEGER PRIMARY KEY CHECK (one = 1),
    event_id INTEGER NOT NULL
);
INSERT INTO applied (one, event_id) SELECT 1, COALESCE(MAX(id), 0) FROM events;
