//! Reads: the queries of the admin API on a reader connection (or, in memory, the writer's),
//! and the pool of reader connections, used from `spawn_blocking`.
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::{connect, sql, SqliteStore};
use crate::store::counters::{every_day, DayRow};
use crate::store::rows::{mark, EventDb, FollowerDb, QrCodeDb, TokenDb};
use crate::store::sql as shared;
use crate::store::{
    AdminReads, DayStats, EventQuery, EventRow, Follower, FollowerQuery, QrCode, QrCodeTotals,
    ReplayMark, SceneStats, Stats, StoreError, StoredToken,
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
        account: row.get(0)?,
        openid: row.get(1)?,
        subscribed: row.get(2)?,
        subscribed_at: row.get(3)?,
        scene: row.get(4)?,
        loc_latitude: row.get(5)?,
        loc_longitude: row.get(6)?,
        loc_precision: row.get(7)?,
        loc_reported_at: row.get(8)?,
        last_seen_at: row.get(9)?,
        unionid: row.get(10)?,
        subscribe_scene: row.get(11)?,
        source: row.get(12)?,
        language: row.get(13)?,
        remark: row.get(14)?,
        tags: row.get(15)?,
    })
}

/// The followers with `openid`, of one account or of every account, by account.
pub(super) fn follower(
    conn: &Connection,
    account: Option<&str>,
    openid: &str,
) -> Result<Vec<Follower>, StoreError> {
    let mut filter = Filter::default();
    filter.push("openid = ?", Value::Text(openid.to_string()));
    if let Some(account) = account {
        filter.push("account = ?", Value::Text(account.to_string()));
    }
    let select = format!("SELECT {} FROM followers", sql::FOLLOWER_COLUMNS);
    let (text, args) = filter.finish(&select, "ORDER BY account", u32::MAX);
    let mut stmt = conn.prepare_cached(&text)?;
    let rows = stmt.query_map(params_from_iter(args), follower_row)?;
    rows.map(|row| Follower::try_from(row?)).collect()
}

/// A page of followers, by openid.
pub(super) fn followers(
    conn: &Connection,
    query: &FollowerQuery,
) -> Result<Vec<Follower>, StoreError> {
    let mut filter = Filter::default();
    if let Some(account) = &query.account {
        filter.push("account = ?", Value::Text(account.clone()));
    }
    if let Some(subscribed) = query.subscribed {
        filter.push("subscribed = ?", Value::Integer(i64::from(subscribed)));
    }
    if let Some((account, openid)) = &query.after {
        filter.push2(
            "(account, openid) > (?, ?)",
            Value::Text(account.clone()),
            Value::Text(openid.clone()),
        );
    }
    let select = format!("SELECT {} FROM followers", sql::FOLLOWER_COLUMNS);
    let (text, args) = filter.finish(&select, "ORDER BY account, openid", query.limit);
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
            if let Some(account) = &query.account {
                filter.push("o.account = ?", Value::Text(account.clone()));
            }
            (
                format!(
                    "SELECT {} FROM openid_events o JOIN events e ON e.id = o.event_id",
                    sql::EVENT_COLUMNS
                ),
                "o.event_id",
            )
        }
        None => {
            if let Some(account) = &query.account {
                filter.push("e.account = ?", Value::Text(account.clone()));
            }
            (
                format!("SELECT {} FROM events e", sql::EVENT_COLUMNS),
                "e.id",
            )
        }
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
            account: row.get(1)?,
            openid: row.get(2)?,
            msg_type: row.get(3)?,
            event: row.get(4)?,
            event_key: row.get(5)?,
            create_time: row.get(6)?,
            received_at: row.get(7)?,
            raw_xml: row.get(8)?,
            reply: row.get(9)?,
        })
    })?;
    rows.map(|row| EventRow::try_from(row?)).collect()
}

/// Totals of one account or of every account (the caller has the backlog applied first).
pub(super) fn stats(conn: &Connection, account: Option<&str>) -> Result<Stats, StoreError> {
    let values: [&dyn rusqlite::ToSql; 1] = [&account];
    let named = super::named(&values);
    let refs = super::refs(&named);
    let (subscribed, total, events) = conn
        .prepare_cached(shared::SELECT_TOTALS)?
        .query_row(refs.as_slice(), |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    let mut stmt = conn.prepare_cached(&shared::select_scene_stats())?;
    let scenes = stmt
        .query_map(refs.as_slice(), |row| {
            Ok(SceneStats {
                account: row.get(0)?,
                scene: row.get(1)?,
                label: row.get(2)?,
                subscribes: row.get(3)?,
                scans: row.get(4)?,
                unsubscribes: row.get(5)?,
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
        account: row.get(0)?,
        scene: row.get(1)?,
        action_name: row.get(2)?,
        ticket: row.get(3)?,
        url: row.get(4)?,
        expire_seconds: row.get(5)?,
        expires_at: row.get(6)?,
        label: row.get(7)?,
        created_at: row.get(8)?,
    })
}

/// QR codes of one account or of every account newest first, with their scene's counters.
pub(super) fn qrcodes(
    conn: &Connection,
    account: Option<&str>,
) -> Result<Vec<QrCodeTotals>, StoreError> {
    let values: [&dyn rusqlite::ToSql; 1] = [&account];
    let named = super::named(&values);
    let mut stmt = conn.prepare_cached(&shared::select_qrcodes())?;
    let rows = stmt.query_map(super::refs(&named).as_slice(), |row| {
        Ok((qr_row(row)?, row.get(9)?, row.get(10)?, row.get(11)?))
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

/// One QR code of an account.
pub(super) fn qrcode(
    conn: &Connection,
    account: &str,
    scene: &str,
) -> Result<Option<QrCode>, StoreError> {
    let values: [&dyn rusqlite::ToSql; 2] = [&account, &scene];
    let named = super::named(&values);
    conn.prepare_cached(&shared::select_qrcode())?
        .query_row(super::refs(&named).as_slice(), qr_row)
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

/// `GET /api/stats/daily`: see `AdminReads::daily`.
pub(super) fn daily(
    conn: &Connection,
    account: Option<&str>,
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
    let days = rows(shared::SELECT_DAYS, &[&span.0, &span.1, &account])?;
    let narrowed = match scene {
        Some(scene) => Some(rows(
            shared::SELECT_SCENE_DAYS,
            &[&scene, &span.0, &span.1, &account],
        )?),
        None => None,
    };
    Ok(every_day(span, &days, narrowed.as_deref()))
}

/// The replay marks of `account` since `since_ms`.
pub(super) fn replay_marks(
    conn: &Connection,
    account: &str,
    since_ms: i64,
) -> Result<Vec<ReplayMark>, StoreError> {
    let mut stmt = conn.prepare_cached(sql::SELECT_MARKS)?;
    let rows = stmt.query_map(params![since_ms, account], |row| {
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

/// Pending jobs (every kind).
pub(super) fn pending_jobs(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(crate::store::jobs::COUNT_JOBS)?
        .query_row([], |row| row.get(0))?)
}

#[async_trait]
impl AdminReads for SqliteStore {
    async fn follower(
        &self,
        account: Option<&str>,
        openid: &str,
    ) -> Result<Vec<Follower>, StoreError> {
        self.caught_up().await?;
        let (account, openid) = (account.map(str::to_string), openid.to_string());
        self.read(move |conn| follower(conn, account.as_deref(), &openid))
            .await
    }

    async fn followers(&self, query: &FollowerQuery) -> Result<Vec<Follower>, StoreError> {
        self.caught_up().await?;
        let query = query.clone();
        self.read(move |conn| followers(conn, &query)).await
    }

    async fn events(&self, query: &EventQuery) -> Result<Vec<EventRow>, StoreError> {
        if query.openid.is_some() {
            self.caught_up().await?;
        }
        let query = query.clone();
        self.read(move |conn| events(conn, &query)).await
    }

    async fn stats(&self, account: Option<&str>) -> Result<Stats, StoreError> {
        self.caught_up().await?;
        let account = account.map(str::to_string);
        self.read(move |conn| stats(conn, account.as_deref())).await
    }

    async fn daily(
        &self,
        account: Option<&str>,
        today: DateTime<Utc>,
        days: u32,
        scene: Option<&str>,
    ) -> Result<Vec<DayStats>, StoreError> {
        let span = crate::store::counters::span(today, days);
        let (account, scene) = (account.map(str::to_string), scene.map(str::to_string));
        self.read(move |conn| daily(conn, account.as_deref(), span, scene.as_deref()))
            .await
    }

    async fn qrcodes(&self, account: Option<&str>) -> Result<Vec<QrCodeTotals>, StoreError> {
        let account = account.map(str::to_string);
        self.read(move |conn| qrcodes(conn, account.as_deref()))
            .await
    }
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

    /// A clause with two `?`, bound to `first` and `second` in order.
    fn push2(&mut self, template: &str, first: Value, second: Value) {
        let (one, two) = (self.args.len() + 1, self.args.len() + 2);
        self.args.push(first);
        self.args.push(second);
        let mut parts = template.splitn(3, '?');
        let clause = format!(
            "{}?{one}{}?{two}{}",
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default()
        );
        self.clauses.push(clause);
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
