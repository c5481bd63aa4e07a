//! The SQL text of the statements both backends run as they are (PostgreSQL binds `$N` by
//! position, SQLite by name), integer unix-millisecond times, no dialect-specific syntax.
//! Multi-row and filtered statements are built per backend (`postgres/apply.rs` with
//! `sqlx::QueryBuilder`, `sqlite/`).
//!
//! An optional account filter is bound as `CAST($n AS TEXT) IS NULL OR account = $n`
//! (`any_account!`): NULL means every account.

/// The account filter of column `account` against parameter `$N` (NULL: every account).
macro_rules! any_account {
    ($column:literal, $n:literal) => {
        concat!(
            "(CAST($",
            $n,
            " AS TEXT) IS NULL OR ",
            $column,
            " = $",
            $n,
            ")"
        )
    };
}

/// The reply stored with a dedupe key of an account ($1 account, $2 key).
pub(super) const SELECT_REPLY: &str =
    "SELECT reply FROM events WHERE account = $1 AND dedupe_key = $2";

/// Prunes the tombstones of forgotten unsubscribes older than $1 (ms).
pub(super) const PRUNE_FORGOTTEN: &str = "DELETE FROM forgotten_keys WHERE forgotten_at < $1";

/// Keeps the tombstone of a forgotten unsubscribe ($1 account, $2 SHA-256 of its dedupe key,
/// $3 when); changes no row when it is there already (a resend).
pub(super) const INSERT_FORGOTTEN: &str = "INSERT INTO forgotten_keys (account, digest, \
    forgotten_at) VALUES ($1, $2, $3) ON CONFLICT (account, digest) DO NOTHING";

/// Whether a tombstone of $1 account and $2 digest newer than $3 (ms) is kept.
pub(super) const SELECT_FORGOTTEN: &str = "SELECT 1 FROM forgotten_keys \
    WHERE account = $1 AND digest = $2 AND forgotten_at >= $3";

/// Forget, part 1: every event of an openid of an account ($1 account, $2 openid).
pub(super) const DELETE_EVENTS_OF: &str = "DELETE FROM events WHERE account = $1 AND openid = $2";
/// Forget, part 2: the follower row (with its location) ($1 account, $2 openid).
pub(super) const DELETE_FOLLOWER: &str = "DELETE FROM followers WHERE account = $1 AND openid = $2";

const FOLLOWER_COLUMNS: &str = "account, openid, subscribed, subscribed_at, scene, \
    loc_latitude, loc_longitude, loc_precision, loc_reported_at, last_seen_at, unionid, \
    subscribe_scene, source, language, remark, tags";

/// The followers with openid $2 of account $1 (NULL: of every account), by account.
pub(super) fn select_follower() -> String {
    format!(
        "SELECT {FOLLOWER_COLUMNS} FROM followers WHERE openid = $2 AND {} ORDER BY account",
        any_account!("account", 1)
    )
}

const EVENT_COLUMNS: &str =
    "id, account, openid, msg_type, event, event_key, create_time, received_at, raw_xml, reply";

/// Every follower (the caller adds its filters, order and limit).
pub(super) fn select_all_followers() -> String {
    format!("SELECT {FOLLOWER_COLUMNS} FROM followers")
}

/// Every event, without its raw XML's fields (the caller adds filters, order and limit).
pub(super) fn select_all_events() -> String {
    format!("SELECT {EVENT_COLUMNS} FROM events")
}

/// Follower and event totals of account $1 (NULL: of every account).
pub(super) const SELECT_TOTALS: &str = concat!(
    "SELECT (SELECT COUNT(*) FROM followers WHERE subscribed = TRUE AND ",
    any_account!("account", 1),
    ") AS subscribed, (SELECT COUNT(*) FROM followers WHERE ",
    any_account!("account", 1),
    ") AS total, (SELECT COUNT(*) FROM events WHERE ",
    any_account!("account", 1),
    ") AS events"
);

/// Counter totals per (account, scene), of account $1 (NULL: every account).
const SCENE_TOTALS: &str = concat!(
    "SELECT account, scene, CAST(SUM(subscribes) AS BIGINT) AS subscribes, \
     CAST(SUM(scans) AS BIGINT) AS scans, CAST(SUM(unsubscribes) AS BIGINT) AS unsubscribes \
     FROM scene_counters WHERE ",
    any_account!("account", 1),
    " GROUP BY account, scene"
);

/// Per-scene totals of account $1 (NULL: every account) for every scene that has counters or
/// a QR code, ordered by (account, scene).
pub(super) fn select_scene_stats() -> String {
    format!(
        "SELECT s.account AS account, s.scene AS scene, q.label AS label, \
         COALESCE(c.subscribes, 0) AS subscribes, COALESCE(c.scans, 0) AS scans, \
         COALESCE(c.unsubscribes, 0) AS unsubscribes \
         FROM (SELECT account, scene FROM scene_counters WHERE {any} \
               UNION SELECT account, scene FROM qrcodes WHERE {any}) s \
         LEFT JOIN ({SCENE_TOTALS}) c ON c.account = s.account AND c.scene = s.scene \
         LEFT JOIN qrcodes q ON q.account = s.account AND q.scene = s.scene \
         ORDER BY s.account, s.scene",
        any = any_account!("account", 1)
    )
}

const QRCODE_COLUMNS: &str = "q.account AS account, q.scene AS scene, \
    q.action_name AS action_name, q.ticket AS ticket, q.url AS url, \
    q.expire_seconds AS expire_seconds, q.expires_at AS expires_at, q.label AS label, \
    q.created_at AS created_at";

/// QR codes of account $1 (NULL: every account) newest first, with their scene's totals.
pub(super) fn select_qrcodes() -> String {
    format!(
        "SELECT {QRCODE_COLUMNS}, COALESCE(c.subscribes, 0) AS subscribes, \
         COALESCE(c.scans, 0) AS scans, COALESCE(c.unsubscribes, 0) AS unsubscribes \
         FROM qrcodes q LEFT JOIN ({SCENE_TOTALS}) c \
         ON c.account = q.account AND c.scene = q.scene WHERE {any} \
         ORDER BY q.created_at DESC, q.account DESC, q.scene DESC",
        any = any_account!("q.account", 1)
    )
}

/// One QR code of account $1 by scene $2.
pub(super) fn select_qrcode() -> String {
    format!("SELECT {QRCODE_COLUMNS} FROM qrcodes q WHERE q.account = $1 AND q.scene = $2")
}

/// Records or replaces a QR code by (account, scene) ($9 account).
pub(super) const UPSERT_QRCODE: &str = "INSERT INTO qrcodes \
    (scene, action_name, ticket, url, expire_seconds, expires_at, label, created_at, account) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (account, scene) DO UPDATE SET \
    action_name = excluded.action_name, ticket = excluded.ticket, url = excluded.url, \
    expire_seconds = excluded.expire_seconds, expires_at = excluded.expires_at, \
    label = excluded.label, created_at = excluded.created_at";

/// The stored token of an appid (a lease-only row has none).
pub(super) const SELECT_TOKEN: &str = "SELECT access_token, expires_at FROM tokens \
    WHERE appid = $1 AND access_token IS NOT NULL AND expires_at IS NOT NULL";

/// Stores the token of an appid ($1 appid, $2 token, $3 expires_at), keeping its lease.
pub(super) const UPSERT_TOKEN: &str = "INSERT INTO tokens (appid, access_token, expires_at) \
    VALUES ($1, $2, $3) ON CONFLICT (appid) DO UPDATE SET \
    access_token = excluded.access_token, expires_at = excluded.expires_at";

/// Takes (or renews) the refresh lease when it is free, expired or already ours
/// ($1 appid, $2 holder, $3 lease_until, $4 now); returns a row when taken.
pub(super) const TAKE_LEASE: &str = "INSERT INTO tokens (appid, lease_holder, lease_until) \
    VALUES ($1, $2, $3) ON CONFLICT (appid) DO UPDATE SET \
    lease_holder = excluded.lease_holder, lease_until = excluded.lease_until \
    WHERE tokens.lease_until IS NULL OR tokens.lease_until <= $4 \
    OR tokens.lease_holder = excluded.lease_holder RETURNING appid";

/// Compare-and-expire: marks the token of $1 expired at $3 only if it is still $2 and
/// expires later than $3 (a newer token saved meanwhile is kept).
pub(super) const EXPIRE_TOKEN: &str = "UPDATE tokens SET expires_at = $3 \
    WHERE appid = $1 AND access_token = $2 AND expires_at > $3";

/// Gives the refresh lease of $1 back if $2 holds it.
pub(super) const RELEASE_LEASE: &str = "UPDATE tokens SET lease_holder = NULL, lease_until = NULL \
    WHERE appid = $1 AND lease_holder = $2";

/// Deletes up to $2 events received before $1 (in chunks, so the write lock is held briefly).
pub(super) const PURGE_EVENTS: &str = "DELETE FROM events WHERE id IN \
    (SELECT id FROM events WHERE received_at < $1 ORDER BY id LIMIT $2)";

/// The day counters of days $1..=$2 of account $3 (NULL: summed over every account):
/// (day, subscribes, unsubscribes, scans, events).
pub(super) const SELECT_DAYS: &str = concat!(
    "SELECT day, CAST(SUM(subscribes) AS BIGINT), CAST(SUM(unsubscribes) AS BIGINT), \
     CAST(SUM(scans) AS BIGINT), CAST(SUM(events) AS BIGINT) \
     FROM day_counters WHERE day >= $1 AND day <= $2 AND ",
    any_account!("account", 3),
    " GROUP BY day"
);

/// One scene's counters of days $2..=$3 of account $4 (NULL: summed over every account):
/// (day, subscribes, unsubscribes, scans, 0).
pub(super) const SELECT_SCENE_DAYS: &str = concat!(
    "SELECT day, CAST(SUM(subscribes) AS BIGINT), CAST(SUM(unsubscribes) AS BIGINT), \
     CAST(SUM(scans) AS BIGINT), CAST(0 AS BIGINT) FROM scene_counters \
     WHERE scene = $1 AND day >= $2 AND day <= $3 AND ",
    any_account!("account", 4),
    " GROUP BY day"
);
