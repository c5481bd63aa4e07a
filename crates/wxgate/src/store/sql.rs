//! The SQL text, shared by SQLite and PostgreSQL: `$N` placeholders (both accept them),
//! integer unix-millisecond times, no dialect-specific syntax.
use super::{EventQuery, FollowerQuery};

/// Most bind parameters in one multi-row statement: well under SQLite's 32766 and
/// PostgreSQL's 65535.
const MAX_BINDS: usize = 10_000;

/// Rows per multi-row statement whose rows bind `columns` parameters each.
pub(super) const fn rows_per_statement(columns: usize) -> usize {
    MAX_BINDS / columns
}

/// How a backend spells the bind parameters of the generated multi-row statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placeholders {
    /// `$1, $2, …` (PostgreSQL)
    Numbered,
}

/// `rows` copies of `row` (a parenthesised tuple with `?` for each parameter), comma
/// separated, the `?`s numbered `$1, $2, …` in order when `style` is `Numbered`.
fn values(style: Placeholders, rows: usize, row: &str) -> String {
    let mut sql = String::with_capacity(rows * (row.len() + 16));
    let mut next = 0;
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        for c in row.chars() {
            if c == '?' && style == Placeholders::Numbered {
                next += 1;
                sql.push('$');
                sql.push_str(&next.to_string());
            } else {
                sql.push(c);
            }
        }
    }
    sql
}

/// Parameters per row of [`insert_events`].
pub(super) const EVENT_BINDS: usize = 9;

/// Claims the dedupe keys of `rows` events by inserting them (dedupe_key, openid, msg_type,
/// event, event_key, create_time, received_at, raw_xml, reply per row); returns
/// `(id, dedupe_key)` of each inserted one — none for a key already stored.
pub(super) fn insert_events(style: Placeholders, rows: usize) -> String {
    format!(
        "INSERT INTO events (dedupe_key, openid, msg_type, event, event_key, create_time, \
         received_at, raw_xml, reply) VALUES {} \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key",
        values(style, rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
    )
}

/// `(dedupe_key, reply)` of the stored events among `keys` dedupe keys.
pub(super) fn select_replies(style: Placeholders, keys: usize) -> String {
    format!(
        "SELECT dedupe_key, reply FROM events WHERE dedupe_key IN ({})",
        values(style, keys, "?")
    )
}

/// Parameters per row of [`upsert_followers`].
pub(super) const FOLLOWER_BINDS: usize = 8;

/// Upserts `rows` followers, one row per openid (openid, last_seen_at, subscribed_at, scene,
/// loc_latitude, loc_longitude, loc_precision, loc_reported_at): subscribed, last seen; the
/// subscription (subscribed_at, scene) only where subscribed_at is given, the location only
/// where loc_reported_at is given — the stored values are kept otherwise.
pub(super) fn upsert_followers(style: Placeholders, rows: usize) -> String {
    let keep_unless = |column: &str, given: &str| {
        format!(
            "{column} = CASE WHEN excluded.{given} IS NULL THEN followers.{column} \
             ELSE excluded.{column} END"
        )
    };
    format!(
        "INSERT INTO followers (openid, subscribed, last_seen_at, subscribed_at, scene, \
         loc_latitude, loc_longitude, loc_precision, loc_reported_at) VALUES {} \
         ON CONFLICT (openid) DO UPDATE SET subscribed = TRUE, \
         last_seen_at = excluded.last_seen_at, {}, {}, {}, {}, {}, {}",
        values(style, rows, "(?, TRUE, ?, ?, ?, ?, ?, ?, ?)"),
        keep_unless("subscribed_at", "subscribed_at"),
        keep_unless("scene", "subscribed_at"),
        keep_unless("loc_latitude", "loc_reported_at"),
        keep_unless("loc_longitude", "loc_reported_at"),
        keep_unless("loc_precision", "loc_reported_at"),
        keep_unless("loc_reported_at", "loc_reported_at"),
    )
}

/// Parameters per row of [`count_scenes`].
pub(super) const COUNTER_BINDS: usize = 4;

/// Adds to `rows` scene counters, one row per (scene, day) (scene, day, subscribes, scans).
pub(super) fn count_scenes(style: Placeholders, rows: usize) -> String {
    format!(
        "INSERT INTO scene_counters (scene, day, subscribes, scans) VALUES {} \
         ON CONFLICT (scene, day) DO UPDATE SET \
         subscribes = scene_counters.subscribes + excluded.subscribes, \
         scans = scene_counters.scans + excluded.scans",
        values(style, rows, "(?, ?, ?, ?)")
    )
}

/// Parameters per row of [`insert_deliveries`].
pub(super) const DELIVERY_BINDS: usize = 6;

/// Queues `rows` notify-webhook deliveries (webhook, openid, event_id, payload, created_at,
/// next_at), in order: ids ascend in the order of the pushes.
pub(super) fn insert_deliveries(style: Placeholders, rows: usize) -> String {
    format!(
        "INSERT INTO outbox (webhook, openid, event_id, payload, created_at, next_at) VALUES {}",
        values(style, rows, "(?, ?, ?, ?, ?, ?)")
    )
}

/// Claims due deliveries ($1 now, $2 claimed until, $3 limit): per (webhook, openid) only the
/// oldest pending one, if it is due and unclaimed. The outer `claimed_until` check makes a
/// concurrent claimer (PostgreSQL re-checks it on the locked row) skip a row just claimed.
pub(super) const CLAIM_DELIVERIES: &str = "UPDATE outbox SET claimed_until = $2 \
    WHERE claimed_until <= $1 AND id IN (SELECT o.id FROM outbox o \
    WHERE o.next_at <= $1 AND o.claimed_until <= $1 AND NOT EXISTS (SELECT 1 FROM outbox p \
    WHERE p.webhook = o.webhook AND p.openid = o.openid AND p.id < o.id) \
    ORDER BY o.id LIMIT $3) \
    RETURNING id, webhook, openid, event_id, payload, attempts, created_at";

/// A delivery succeeded ($1 id).
pub(super) const DELIVERY_DONE: &str = "DELETE FROM outbox WHERE id = $1";

/// A delivery failed ($1 id, $2 next_at): one more attempt, unclaimed, due at $2.
pub(super) const DELIVERY_FAILED: &str = "UPDATE outbox \
    SET attempts = attempts + 1, claimed_until = 0, next_at = $2 WHERE id = $1";

/// Drops the deliveries of webhook $1 created before $2.
pub(super) const DROP_DELIVERIES: &str =
    "DELETE FROM outbox WHERE webhook = $1 AND created_at < $2";

/// Pending deliveries.
pub(super) const COUNT_DELIVERIES: &str = "SELECT COUNT(*) FROM outbox";

/// The reply stored with a dedupe key.
pub(super) const SELECT_REPLY: &str = "SELECT reply FROM events WHERE dedupe_key = $1";

/// Forget, part 1: every event of an openid.
pub(super) const DELETE_EVENTS_OF: &str = "DELETE FROM events WHERE openid = $1";
/// Forget, part 2: the follower row (with its location).
pub(super) const DELETE_FOLLOWER: &str = "DELETE FROM followers WHERE openid = $1";

const FOLLOWER_COLUMNS: &str = "openid, subscribed, subscribed_at, scene, loc_latitude, \
    loc_longitude, loc_precision, loc_reported_at, last_seen_at";

/// One follower by openid.
pub(super) fn select_follower() -> String {
    format!("SELECT {FOLLOWER_COLUMNS} FROM followers WHERE openid = $1")
}

const EVENT_COLUMNS: &str =
    "id, openid, msg_type, event, event_key, create_time, received_at, raw_xml, reply";

/// A bind value of a dynamically built query.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Arg {
    /// text
    Text(String),
    /// integer
    Int(i64),
    /// boolean
    Bool(bool),
}

/// Builds a WHERE clause with numbered placeholders from the filters given.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    /// Adds `template` with `?` replaced by the next placeholder.
    fn push(&mut self, template: &str, arg: Arg) {
        self.args.push(arg);
        let placeholder = format!("${}", self.args.len());
        self.clauses.push(template.replace('?', &placeholder));
    }

    fn finish(mut self, select: &str, order_limit: &str, limit: u32) -> (String, Vec<Arg>) {
        let mut sql = select.to_string();
        if !self.clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.clauses.join(" AND "));
        }
        self.args.push(Arg::Int(i64::from(limit)));
        sql.push_str(&format!(" {order_limit} LIMIT ${}", self.args.len()));
        (sql, self.args)
    }
}

/// A page of followers, by openid ascending; only the filters given appear, so indexes apply.
pub(super) fn select_followers(query: &FollowerQuery) -> (String, Vec<Arg>) {
    let mut filter = Filter::default();
    if let Some(subscribed) = query.subscribed {
        filter.push("subscribed = ?", Arg::Bool(subscribed));
    }
    if let Some(after) = &query.after {
        filter.push("openid > ?", Arg::Text(after.clone()));
    }
    let select = format!("SELECT {FOLLOWER_COLUMNS} FROM followers");
    filter.finish(&select, "ORDER BY openid", query.limit)
}

/// A page of events, newest (highest id) first.
pub(super) fn select_events(query: &EventQuery) -> (String, Vec<Arg>) {
    let mut filter = Filter::default();
    if let Some(openid) = &query.openid {
        filter.push("openid = ?", Arg::Text(openid.clone()));
    }
    if let Some(msg_type) = &query.msg_type {
        filter.push("lower(msg_type) = lower(?)", Arg::Text(msg_type.clone()));
    }
    if let Some(event) = &query.event {
        filter.push("lower(event) = lower(?)", Arg::Text(event.clone()));
    }
    if let Some(before) = query.before {
        filter.push("id < ?", Arg::Int(before));
    }
    let select = format!("SELECT {EVENT_COLUMNS} FROM events");
    filter.finish(&select, "ORDER BY id DESC", query.limit)
}

/// Follower and event totals.
pub(super) const SELECT_TOTALS: &str = "SELECT \
    (SELECT COUNT(*) FROM followers WHERE subscribed = TRUE) AS subscribed, \
    (SELECT COUNT(*) FROM followers) AS total, \
    (SELECT COUNT(*) FROM events) AS events";

/// Counter totals per scene.
const SCENE_TOTALS: &str = "SELECT scene, CAST(SUM(subscribes) AS BIGINT) AS subscribes, \
    CAST(SUM(scans) AS BIGINT) AS scans FROM scene_counters GROUP BY scene";

/// Per-scene totals for every scene that has counters or a QR code, ordered by scene.
pub(super) fn select_scene_stats() -> String {
    format!(
        "SELECT s.scene AS scene, q.label AS label, \
         COALESCE(c.subscribes, 0) AS subscribes, COALESCE(c.scans, 0) AS scans \
         FROM (SELECT scene FROM scene_counters UNION SELECT scene FROM qrcodes) s \
         LEFT JOIN ({SCENE_TOTALS}) c ON c.scene = s.scene \
         LEFT JOIN qrcodes q ON q.scene = s.scene ORDER BY s.scene"
    )
}

const QRCODE_COLUMNS: &str = "q.scene AS scene, q.action_name AS action_name, q.ticket AS ticket, \
    q.url AS url, q.expire_seconds AS expire_seconds, q.expires_at AS expires_at, \
    q.label AS label, q.created_at AS created_at";

/// QR codes newest first, with their scene's totals.
pub(super) fn select_qrcodes() -> String {
    format!(
        "SELECT {QRCODE_COLUMNS}, COALESCE(c.subscribes, 0) AS subscribes, \
         COALESCE(c.scans, 0) AS scans FROM qrcodes q LEFT JOIN ({SCENE_TOTALS}) c \
         ON c.scene = q.scene ORDER BY q.created_at DESC, q.scene DESC"
    )
}

/// One QR code by scene.
pub(super) fn select_qrcode() -> String {
    format!("SELECT {QRCODE_COLUMNS} FROM qrcodes q WHERE q.scene = $1")
}

/// Records or replaces a QR code by scene.
pub(super) const UPSERT_QRCODE: &str = "INSERT INTO qrcodes \
    (scene, action_name, ticket, url, expire_seconds, expires_at, label, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (scene) DO UPDATE SET \
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_given_filters_are_bound_in_order() {
        let query = EventQuery {
            openid: None,
            msg_type: Some("Text".into()),
            event: None,
            limit: 10,
            before: Some(7),
        };
        let (sql, args) = select_events(&query);
        assert!(sql
            .ends_with("WHERE lower(msg_type) = lower($1) AND id < $2 ORDER BY id DESC LIMIT $3"));
        assert_eq!(
            args,
            vec![Arg::Text("Text".into()), Arg::Int(7), Arg::Int(10)]
        );
    }

    #[test]
    fn multi_row_statements_number_their_placeholders_in_order() {
        assert_eq!(
            count_scenes(Placeholders::Numbered, 2)
                .split(" ON CONFLICT")
                .next(),
            Some(
                "INSERT INTO scene_counters (scene, day, subscribes, scans) \
                 VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)"
            )
        );
        assert!(upsert_followers(Placeholders::Numbered, 2)
            .contains("($9, TRUE, $10, $11, $12, $13, $14, $15, $16) ON"));
        assert!(select_replies(Placeholders::Numbered, 3).ends_with("IN ($1, $2, $3)"));
        assert!(insert_events(Placeholders::Numbered, 1)
            .contains("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON"));
    }

    #[test]
    fn unfiltered_followers_have_no_where() {
        let (sql, args) = select_followers(&FollowerQuery {
            limit: 5,
            ..Default::default()
        });
        assert!(!sql.contains("WHERE"));
        assert!(sql.ends_with("ORDER BY openid LIMIT $1"));
        assert_eq!(args, vec![Arg::Int(5)]);
    }
}
