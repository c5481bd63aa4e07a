//! Reads: the queries of the admin API on a reader connection (or, in memory, the writer's),
//! and the pool of reader connections, used from `spawn_blocking`.
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::{connect, sql};
use crate::store::counters::{every_day, DayRow};
use crate::store::rows::{mark, EventDb, FollowerDb, QrCodeDb, TokenDb};
use crate::store::sql as shared;
use crate::store::{
    DayStats, EventQuery, EventRow, Follower, FollowerQuery, QrCode, QrCodeTotals, ReplayMark,
    SceneStats, Stats, StoreError, StoredToken,
};

/// Idle reader connections of a file database; a read takes one (or opens one) on a
/// blocking thread and gives it back.
pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// Readers kept open when idle.
const KEEP: usize = 4;

impl Readers {
    /// Readers of the database at `path`.
    pub(super) fn new(path: PathBuf) -> Arc<Self> {
        Arc::new(Readers {
            path,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Runs `read` on a reader connection, off the async threads.
    pub(super) async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let taken = readers.lock().pop();
            let conn = match taken {
                Some(conn) => conn,
                None => connect::reader(&readers.path)?,
            };
            let outcome = read(&conn);
            let mut idle = readers.lock();
            if idle.len() < KEEP {
                idle.push(conn);
            }
            outcome
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    /// Closes the idle connections.
    pub(super) fn close(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn follower_row(row: &Row<'_>) -> rusqlite::Result<FollowerDb> {
    Ok(FollowerDb {
        openid: row.get(0)?,
        subscribed: row.get(1)?,
        subscribed_at: row.get(2)?,
        scene: row.get(3)?,
        loc_latitude: row.get(4)?,
        loc_longitude: row.get(5)?,
        loc_precision: row.get(6)?,
        loc_reported_at: row.get(7)?,
        last_seen_at: row.get(8)?,
        unionid: row.get(9)?,
        subscribe_scene: row.get(10)?,
        source: row.get(11)?,
        language: row.get(12)?,
        remark: row.get(13)?,
        tags: row.get(14)?,
    })
}

/// One follower.
pub(super) fn follower(conn: &Connection, openid: &str) -> Result<Option<Follower>, StoreError> {
    let text = format!(
        "SELECT {} FROM followers WHERE openid = ?1",
        sql::FOLLOWER_COLUMNS
    );
    conn.prepare_cached(&text)?
        .query_row(params![openid], follower_row)
        .optional()?
        .map(Follower::try_from)
        .transpose()
}

/// A page of followers, by openid.
pub(super) fn followers(
    conn: &Connection,
    query: &FollowerQuery,
) -> Result<Vec<Follower>, StoreError> {
    let mut filter = Filter::default();
    if let Some(subscribed) = query.subscribed {
        filter.push("subscribed = ?", Value::Integer(i64::from(subscribed)));
    }
    if let Some(after) = &query.after {
        filter.push("openid > ?", Value::Text(after.clone()));
    }
    let select = format!("SELECT {} FROM followers", sql::FOLLOWER_COLUMNS);
    let (text, args) = filter.finish(&select, "ORDER BY openid", query.limit);
    let mut stmt = conn.prepare(&text)?;
    let rows = stmt.query_map(params_from_iter(args), follower_row)?;
    rows.map(|row| Follower::try_from(row?)).collect()
}

/// A page of events, newest first. By openid, through `openid_events` (the caller has the
/// backlog applied first).
pub(super) fn events(conn: &Connection, query: &EventQuery) -> Result<Vec<EventRow>, StoreError> {
    let mut filter = Filter::default();
    let (select, id) = match &query.openid {
        Some(openid) => {
            filter.push("o.openid = ?", Value::Text(openid.clone()));
            (
                format!(
                    "SELECT {} FROM openid_events o JOIN events e ON e.id = o.event_id",
                    sql::EVENT_COLUMNS
                ),
                "o.event_id",
            )
        }
        None => (
            format!("SELECT {} FROM events e", sql::EVENT_COLUMNS),
            "e.id",
        ),
    };
    if let Some(msg_type) = &query.msg_type {
        filter.push(
            "lower(e.msg_type) = lower(?)",
            Value::Text(msg_type.clone()),
        );
    }
    if let Some(event) = &query.event {
        filter.push("lower(e.event) = lower(?)", Value::Text(event.clone()));
    }
    if let Some(before) = query.before {
        filter.push(&format!("{id} < ?"), Value::Integer(before));
    }
    let (text, args) = filter.finish(&select, &format!("ORDER BY {id} DESC"), query.limit);
    let mut stmt = conn.prepare(&text)?;
    let rows = stmt.query_map(params_from_iter(args), |row| {
        Ok(EventDb {
            id: row.get(0)?,
            openid: row.get(1)?,
            msg_type: row.get(2)?,
            event: row.get(3)?,
            event_key: row.get(4)?,
            create_time: row.get(5)?,
            received_at: row.get(6)?,
            raw_xml: row.get(7)?,
            reply: row.get(8)?,
        })
    })?;
    rows.map(|row| EventRow::try_from(row?)).collect()
}

/// Totals (the caller has the backlog applied first).
pub(super) fn stats(conn: &Connection) -> Result<Stats, StoreError> {
    let (subscribed, total, events) = conn
        .prepare_cached(shared::SELECT_TOTALS)?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    let mut stmt = conn.prepare_cached(&shared::select_scene_stats())?;
    let scenes = stmt
        .query_map([], |row| {
            Ok(SceneStats {
                scene: row.get(0)?,
                label: row.get(1)?,
                subscribes: row.get(2)?,
                scans: row.get(3)?,
                unsubscribes: row.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Stats {
        subscribed,
        total,
        events,
        scenes,
    })
}

fn qr_row(row: &Row<'_>) -> rusqlite::Result<QrCodeDb> {
    Ok(QrCodeDb {
        scene: row.get(0)?,
        action_name: row.get(1)?,
        ticket: row.get(2)?,
        url: row.get(3)?,
        expire_seconds: row.get(4)?,
        expires_at: row.get(5)?,
        label: row.get(6)?,
        created_at: row.get(7)?,
    })
}

/// QR codes newest first, with their scene's counters.
pub(super) fn qrcodes(conn: &Connection) -> Result<Vec<QrCodeTotals>, StoreError> {
    let mut stmt = conn.prepare_cached(&shared::select_qrcodes())?;
    let rows = stmt.query_map([], |row| {
        Ok((qr_row(row)?, row.get(8)?, row.get(9)?, row.get(10)?))
    })?;
    rows.map(|row| {
        let (code, subscribes, scans, unsubscribes) = row?;
        Ok(QrCodeTotals {
            code: QrCode::try_from(code)?,
            subscribes,
            scans,
            unsubscribes,
        })
    })
    .collect()
}

/// One QR code.
pub(super) fn qrcode(conn: &Connection, scene: &str) -> Result<Option<QrCode>, StoreError> {
    conn.prepare_cached(&shared::select_qrcode())?
        .query_row(params![scene], qr_row)
        .optional()?
        .map(QrCode::try_from)
        .transpose()
}

/// The stored token of an appid.
pub(super) fn token(conn: &Connection, appid: &str) -> Result<Option<StoredToken>, StoreError> {
    conn.prepare_cached(shared::SELECT_TOKEN)?
        .query_row(params![appid], |row| {
            Ok(TokenDb {
                access_token: row.get(0)?,
                expires_at: row.get(1)?,
            })
        })
        .optional()?
        .map(StoredToken::try_from)
        .transpose()
}

/// `GET /api/stats/daily`: see `Store::daily`.
pub(super) fn daily(
    conn: &Connection,
    span: (i64, i64),
    scene: Option<&str>,
) -> Result<Vec<DayStats>, StoreError> {
    let rows = |text: &str, values: &[&dyn rusqlite::ToSql]| -> Result<Vec<DayRow>, StoreError> {
        let named = super::named(values);
        let refs = super::refs(&named);
        let mut stmt = conn.prepare_cached(text)?;
        let rows = stmt.query_map(refs.as_slice(), |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    let days = rows(shared::SELECT_DAYS, &[&span.0, &span.1])?;
    let narrowed = match scene {
        Some(scene) => Some(rows(
            shared::SELECT_SCENE_DAYS,
            &[&scene, &span.0, &span.1],
        )?),
        None => None,
    };
    Ok(every_day(span, &days, narrowed.as_deref()))
}

/// The replay marks since `since_ms`.
pub(super) fn replay_marks(
    conn: &Connection,
    since_ms: i64,
) -> Result<Vec<ReplayMark>, StoreError> {
    let mut stmt = conn.prepare_cached(sql::SELECT_MARKS)?;
    let rows = stmt.query_map(params![since_ms], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, Vec<u8>>(1)?,
            row.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (seen_at, query, body) = row?;
        mark(seen_at, &query, &body)
    })
    .collect()
}

/// Pending deliveries.
pub(super) fn pending_deliveries(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(shared::COUNT_DELIVERIES)?
        .query_row([], |row| row.get(0))?)
}

/// A WHERE clause from the filters given (`?` → `?N`), so only they are bound and the
/// indexes apply.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    args: Vec<Value>,
}

impl Filter {
    fn push(&mut self, template: &str, arg: Value) {
        self.args.push(arg);
        let placeholder = format!("?{}", self.args.len());
        self.clauses.push(template.replace('?', &placeholder));
    }

    fn finish(mut self, select: &str, order: &str, limit: u32) -> (String, Vec<Value>) {
        let mut text = select.to_string();
        if !self.clauses.is_empty() {
            text.push_str(" WHERE ");
            text.push_str(&self.clauses.join(" AND "));
        }
        self.args.push(Value::Integer(i64::from(limit)));
        text.push_str(&format!(" {order} LIMIT ?{}", self.args.len()));
        (text, self.args)
    }
}
