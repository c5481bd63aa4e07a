-- Anonymous counters (contract §4): unsubscribes per scene (an unsubscribe counts against the
-- scene the user came from, before the user is forgotten), and totals per UTC day for
-- `GET /api/stats/daily` (day = days since the unix epoch). No openid; kept after forgets.
ALTER TABLE scene_counters ADD COLUMN unsubscribes INTEGER NOT NULL DEFAULT 0;

CREATE TABLE day_counters (
    day          INTEGER PRIMARY KEY,
    events       INTEGER NOT NULL DEFAULT 0,
    subscribes   INTEGER NOT NULL DEFAULT 0,
    unsubscribes INTEGER NOT NULL DEFAULT 0,
    scans        INTEGER NOT NULL DEFAULT 0
);
-- What the events still held tell the days before this migration.
INSERT INTO day_counters (day, events, subscribes, scans)
    SELECT received_at / 86400000, COUNT(*),
           SUM(CASE WHEN lower(event) = 'subscribe' THEN 1 ELSE 0 END),
           SUM(CASE WHEN lower(event) = 'scan' THEN 1 ELSE 0 END)
    FROM events GROUP BY received_at / 86400000;
