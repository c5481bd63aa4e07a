//! The SQLite engine's SQL. Parameters are numbered `?N` (SQLite binds them by number, in
//! any order of appearance). The admin and outbox statements shared with PostgreSQL are in
//! `store/sql.rs` and bound by name here (`$N`).

/// `events.effect` of a subscribe.
pub(super) const EFFECT_SUBSCRIBE: i64 = 1;
/// `events.effect` of a SCAN.
pub(super) const EFFECT_SCAN: i64 = 2;
/// `events.effect` of a LOCATION report.
pub(super) const EFFECT_LOCATION: i64 = 3;
/// `events.effect` of any other push.
pub(super) const EFFECT_TOUCH: i64 = 0;

/// Appends a push.
pub(super) const INSERT_EVENT: &str = "INSERT INTO events (dedupe_key, openid, msg_type, \
    event, event_key, create_time, received_at, raw_xml, reply, effect, scene, loc_latitude, \
    loc_longitude, loc_precision, account) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

/// The account, key and reply of one event (a window hit is confirmed with it).
pub(super) const SELECT_KEY_REPLY: &str =
    "SELECT account, dedupe_key, reply FROM events WHERE id = ?1";

/// The newest events (?1 how many), to rebuild the dedupe window: id, account, key,
/// received_at.
pub(super) const SELECT_RECENT_KEYS: &str = "SELECT id, account, dedupe_key, received_at FROM \
    (SELECT id, account, dedupe_key, received_at FROM events ORDER BY id DESC LIMIT ?1) \
    ORDER BY id";

/// The events whose effects are not applied yet, in order.
pub(super) const SELECT_BACKLOG: &str = "SELECT id, openid, received_at, effect, scene, \
    loc_latitude, loc_longitude, loc_precision, account FROM events \
    WHERE id > (SELECT event_id FROM applied) ORDER BY id";

/// Adds to one scene counter of an account (?1 scene, ?2 day, ?3 subscribes, ?4 scans,
/// ?5 unsubscribes, ?6 account).
pub(super) const COUNT_SCENE: &str = "INSERT INTO scene_counters (scene, day, subscribes, \
    scans, unsubscribes, account) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
    ON CONFLICT (account, scene, day) DO UPDATE SET \
    subscribes = subscribes + excluded.subscribes, scans = scans + excluded.scans, \
    unsubscribes = unsubscribes + excluded.unsubscribes";

/// Adds to an account's day (?1 day, ?2 subscribes, ?3 unsubscribes, ?4 scans, ?5 account,
/// ?6 events: 1 for a push, 0 for an unsubscribe a sync found).
pub(super) const COUNT_DAY: &str = "INSERT INTO day_counters (day, events, subscribes, \
    unsubscribes, scans, account) VALUES (?1, ?6, ?2, ?3, ?4, ?5) \
    ON CONFLICT (account, day) DO UPDATE SET \
    events = events + excluded.events, subscribes = subscribes + excluded.subscribes, \
    unsubscribes = unsubscribes + excluded.unsubscribes, scans = scans + excluded.scans";

/// The scene a follower (?1 openid, ?2 account) came from, and whether it is subscribed.
pub(super) const SELECT_SCENE_OF: &str =
    "SELECT scene, subscribed FROM followers WHERE account = ?2 AND openid = ?1";

/// Queues a notify-webhook delivery (?1 webhook, ?2 openid, ?3 event_id, ?4 payload,
/// ?5 created_at = next_at, ?6 account).
pub(super) const INSERT_DELIVERY: &str = "INSERT INTO outbox (webhook, openid, event_id, \
    payload, created_at, next_at, account) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)";

/// Catch-up: one event of an openid (?1 openid, ?2 event id, ?3 account).
pub(super) const INSERT_OWNER: &str =
    "INSERT OR IGNORE INTO openid_events (account, openid, event_id) VALUES (?3, ?1, ?2)";

/// Catch-up: one follower's merged effects (?1 openid, ?2 last_seen_at, ?3 subscribed_at,
/// ?4 scene, ?5..?7 location, ?8 loc_reported_at, ?9 account): subscribed; the subscription
/// only where ?3 is given, the location only where ?8 is given.
pub(super) const UPSERT_FOLLOWER: &str = "INSERT INTO followers (openid, subscribed, \
    last_seen_at, subscribed_at, scene, loc_latitude, loc_longitude, loc_precision, \
    loc_reported_at, account) VALUES (?1, TRUE, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
    ON CONFLICT (account, openid) DO UPDATE SET subscribed = TRUE, last_seen_at = excluded.last_seen_at, \
    subscribed_at = COALESCE(excluded.subscribed_at, subscribed_at), \
    scene = CASE WHEN excluded.subscribed_at IS NULL THEN scene ELSE excluded.scene END, \
    loc_latitude = COALESCE(excluded.loc_latitude, loc_latitude), \
    loc_longitude = COALESCE(excluded.loc_longitude, loc_longitude), \
    loc_precision = COALESCE(excluded.loc_precision, loc_precision), \
    loc_reported_at = COALESCE(excluded.loc_reported_at, loc_reported_at)";

/// Catch-up: everything up to ?1 is applied (never lowered).
pub(super) const SET_APPLIED: &str = "UPDATE applied SET event_id = MAX(event_id, ?1)";

/// Forget: the applied events of ?1 of account ?2.
pub(super) const DELETE_OWNED_EVENTS: &str = "DELETE FROM events WHERE id IN \
    (SELECT event_id FROM openid_events WHERE account = ?2 AND openid = ?1)";
/// Forget: the openid index of ?1 of account ?2.
pub(super) const DELETE_OWNERS: &str =
    "DELETE FROM openid_events WHERE account = ?2 AND openid = ?1";
/// Forget / purge: one event by id.
pub(super) const DELETE_EVENT: &str = "DELETE FROM events WHERE id = ?1";
/// Purge: one openid index row (?1 openid, ?2 event id, ?3 account).
pub(super) const DELETE_OWNER: &str =
    "DELETE FROM openid_events WHERE account = ?3 AND openid = ?1 AND event_id = ?2";
/// Forget: the follower row of ?1 of account ?2.
pub(super) const DELETE_FOLLOWER: &str = "DELETE FROM followers WHERE account = ?2 AND openid = ?1";

/// Purge: the oldest events (?1 how many): id, openid, received_at, account.
pub(super) const SELECT_OLDEST: &str =
    "SELECT id, openid, received_at, account FROM events ORDER BY id LIMIT ?1";

/// Columns of a follower, in the order `read::follower` reads them.
pub(super) const FOLLOWER_COLUMNS: &str = "account, openid, subscribed, subscribed_at, scene, \
    loc_latitude, loc_longitude, loc_precision, loc_reported_at, last_seen_at, unionid, \
    subscribe_scene, source, language, remark, tags";

/// Columns of an event as listed, in the order `read::event` reads them (`e` = events).
pub(super) const EVENT_COLUMNS: &str = "e.id, e.account, e.openid, e.msg_type, e.event, \
    e.event_key, e.create_time, e.received_at, e.raw_xml, e.reply";

/// Remembers an accepted push's signature triple (?1 seen_at, ?2 query digest, ?3 body digest,
/// ?4 account).
pub(super) const INSERT_MARK: &str = "INSERT OR IGNORE INTO replay_guard \
    (seen_at, query, body, account) VALUES (?1, ?2, ?3, ?4)";

/// The replay marks of account ?2 since ?1.
pub(super) const SELECT_MARKS: &str = "SELECT seen_at, query, body FROM replay_guard \
    WHERE seen_at >= ?1 AND account = ?2 ORDER BY seen_at";

/// Forgets the replay marks older than ?1.
pub(super) const EXPIRE_MARKS: &str = "DELETE FROM replay_guard WHERE seen_at < ?1";

/// Deletes delivery ?1, returning its (account, openid).
pub(super) const DELETE_DELIVERY: &str =
    "DELETE FROM outbox WHERE id = ?1 RETURNING account, openid";

/// Deletes the deliveries of webhook ?1 created before ?2, returning their (account, openid).
pub(super) const DELETE_OLDER_DELIVERIES: &str = "DELETE FROM outbox \
    WHERE kind = 'webhook' AND webhook = ?1 AND created_at < ?2 RETURNING account, openid";

/// Whether openid ?1 of account ?2 has a follower row.
pub(super) const SELECT_FOLLOWER_EXISTS: &str =
    "SELECT 1 FROM followers WHERE account = ?2 AND openid = ?1";

/// Whether openid ?1 of account ?2 has a delivery pending (any webhook).
pub(super) const SELECT_DELIVERY_OF: &str =
    "SELECT 1 FROM outbox WHERE account = ?2 AND openid = ?1 LIMIT 1";
