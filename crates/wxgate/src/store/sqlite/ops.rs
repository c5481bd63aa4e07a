//! The writes the writer thread applies: a push, a forget, and any other single write of the
//! store (outbox, tokens, QR codes, purges) as a closure.
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::oneshot;

use super::backlog::Effect;
use super::sql;
use super::tally::Counts;
use super::writer::{State, WriteOp};
use crate::store::rows::{millis, utc_day};
use crate::store::{FollowerEffect, GuardMark, PushWrite, Recorded, StoreError, StoredReply};

/// A processed push.
pub(super) struct Record {
    write: Box<PushWrite>,
    recorded: Option<Recorded>,
    deleted: bool,
    answer: oneshot::Sender<Result<Recorded, StoreError>>,
}

impl Record {
    /// The op and the receiver of its outcome.
    pub(super) fn new(write: PushWrite) -> (Self, oneshot::Receiver<Result<Recorded, StoreError>>) {
        let (answer, outcome) = oneshot::channel();
        let op = Record {
            write: Box::new(write),
            recorded: None,
            deleted: false,
            answer,
        };
        (op, outcome)
    }

    /// A resend of a push in the window: its stored reply, if the row is still there and
    /// really has this key (the window holds hashes).
    fn resent(&self, conn: &Connection, state: &State) -> rusqlite::Result<Option<Recorded>> {
        let Some(id) = state
            .window
            .get(&self.write.account, &self.write.dedupe_key)
        else {
            return Ok(None);
        };
        stored_reply(conn, id, &self.write.account, &self.write.dedupe_key).map(|reply| {
            reply.map(|reply| Recorded::Duplicate {
                reply: reply.into(),
            })
        })
    }

    fn append(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<Recorded> {
        let write = &mut *self.write;
        let received = millis(write.received_at);
        let (effect, scene, location) = match &write.effect {
            FollowerEffect::Subscribe { scene } => (sql::EFFECT_SUBSCRIBE, scene.as_deref(), None),
            FollowerEffect::Scan { scene } => (sql::EFFECT_SCAN, Some(scene.as_str()), None),
            FollowerEffect::Location {
                latitude,
                longitude,
                precision,
            } => (
                sql::EFFECT_LOCATION,
                None,
                Some((*latitude, *longitude, *precision)),
            ),
            FollowerEffect::Touch | FollowerEffect::Forget => (sql::EFFECT_TOUCH, None, None),
        };
        conn.prepare_cached(sql::INSERT_EVENT)?.execute(params![
            write.dedupe_key,
            write.openid,
            write.msg_type,
            write.event,
            write.event_key,
            write.create_time,
            received,
            write.raw_xml,
            write.reply,
            effect,
            scene,
            location.map(|l| l.0),
            location.map(|l| l.1),
            location.map(|l| l.2),
            write.account,
        ])?;
        let id = conn.last_insert_rowid();
        insert_deliveries(conn, write)?;
        insert_mark(conn, write)?;
        // Every statement succeeded: now the counters and the in-memory state.
        let day = utc_day(write.received_at);
        let mut counts = Counts::default();
        let (subscribes, scans) = match &write.effect {
            FollowerEffect::Subscribe { scene } => {
                if let Some(scene) = scene {
                    counts.scene(&write.account, scene, day, [1, 0, 0]);
                }
                (1, 0)
            }
            FollowerEffect::Scan { scene } => {
                counts.scene(&write.account, scene, day, [0, 1, 0]);
                (0, 1)
            }
            _ => (0, 0),
        };
        counts.day(&write.account, day, [1, subscribes, 0, scans]);
        state.tally.add(counts);
        state
            .window
            .insert(&write.account, &write.dedupe_key, id, received);
        let effect = match std::mem::replace(&mut write.effect, FollowerEffect::Touch) {
            FollowerEffect::Subscribe { scene } => Effect::Subscribe(scene),
            FollowerEffect::Location {
                latitude,
                longitude,
                precision,
            } => Effect::Location(latitude, longitude, precision),
            _ => Effect::Touch,
        };
        state.backlog.push(
            id,
            write.account.clone(),
            std::mem::take(&mut write.openid),
            received,
            effect,
        );
        Ok(Recorded::Stored { id })
    }
}

impl WriteOp for Record {
    fn apply(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<()> {
        let recorded = if self.write.effect == FollowerEffect::Forget {
            if !tombstone(conn, &self.write)? {
                // A resend of an unsubscribe forgotten within the window (earlier in this
                // batch too): processed once; its mark is kept.
                insert_mark(conn, &self.write)?;
                self.recorded = Some(Recorded::Duplicate {
                    reply: StoredReply::Success,
                });
                return Ok(());
            }
            let (account, openid) = (&self.write.account, &self.write.openid);
            let scene = known(conn, state, account, openid)?.and_then(|(_, scene)| scene);
            let unsubscribe = Unsubscribe {
                day: utc_day(self.write.received_at),
                scene: scene.as_deref(),
                pushed: true,
            };
            self.deleted = forget(conn, state, &self.write.account, &self.write.openid)?;
            // The unsubscribe's own deliveries outlive the forget (contract §4).
            insert_deliveries(conn, &self.write)?;
            insert_mark(conn, &self.write)?;
            state.tally.add(unsubscribe.counts(account));
            state
                .backlog
                .forget(&self.write.account, &self.write.openid);
            Recorded::Forgotten
        } else if let Some(resent) = self.resent(conn, state)? {
            // A resend may come with a new signature triple: its mark is kept too.
            insert_mark(conn, &self.write)?;
            resent
        } else {
            self.append(conn, state)?
        };
        self.recorded = Some(recorded);
        Ok(())
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let Record {
            recorded, answer, ..
        } = *self;
        // A caller that went away (timed out) no longer wants the answer.
        let _ = answer.send(outcome.and_then(|()| recorded.ok_or(StoreError::Closed)));
    }

    fn scrubs(&self) -> bool {
        self.deleted
    }

    fn sees_counters(&self) -> bool {
        false
    }
}

/// Forgetting a user: from the admin API, or a follower a sync found gone (`departed`).
pub(super) struct Forget {
    account: String,
    openid: String,
    /// when a sync found the follower gone from WeChat's list (an unsubscribe to count);
    /// None for the admin API
    departed: Option<DateTime<Utc>>,
    deleted: bool,
    answer: oneshot::Sender<Result<(), StoreError>>,
}

impl Forget {
    /// The op and the receiver of its outcome; `departed` counts an unsubscribe first.
    pub(super) fn new(
        account: &str,
        openid: &str,
        departed: Option<DateTime<Utc>>,
    ) -> (Self, oneshot::Receiver<Result<(), StoreError>>) {
        let (answer, outcome) = oneshot::channel();
        let op = Forget {
            account: account.to_string(),
            openid: openid.to_string(),
            departed,
            deleted: false,
            answer,
        };
        (op, outcome)
    }
}

impl WriteOp for Forget {
    fn apply(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<()> {
        // Only a follower still known as subscribed: forgotten already, it counted then.
        let departed = match self.departed {
            Some(at) => match known(conn, state, &self.account, &self.openid)? {
                Some((true, scene)) => Some((utc_day(at), scene)),
                _ => None,
            },
            None => None,
        };
        self.deleted = forget(conn, state, &self.account, &self.openid)?;
        if let Some((day, scene)) = &departed {
            let unsubscribe = Unsubscribe {
                day: *day,
                scene: scene.as_deref(),
                pushed: false,
            };
            state.tally.add(unsubscribe.counts(&self.account));
        }
        state.backlog.forget(&self.account, &self.openid);
        Ok(())
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let _ = self.answer.send(outcome);
    }

    fn scrubs(&self) -> bool {
        self.deleted
    }

    fn sees_counters(&self) -> bool {
        false
    }
}

/// Any other write: a closure run in the batch transaction, its value sent after the commit.
pub(super) struct Exec<T, F> {
    run: Option<F>,
    value: Option<T>,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Exec<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection, &mut State) -> rusqlite::Result<T> + Send + 'static,
{
    /// The op and the receiver of its outcome.
    pub(super) fn new(run: F) -> (Self, oneshot::Receiver<Result<T, StoreError>>) {
        let (answer, outcome) = oneshot::channel();
        let op = Exec {
            run: Some(run),
            value: None,
            answer,
        };
        (op, outcome)
    }
}

impl<T, F> WriteOp for Exec<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection, &mut State) -> rusqlite::Result<T> + Send + 'static,
{
    fn apply(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<()> {
        if let Some(run) = self.run.take() {
            self.value = Some(run(conn, state)?);
        }
        Ok(())
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let Exec { value, answer, .. } = *self;
        let _ = answer.send(outcome.and_then(|()| value.ok_or(StoreError::Closed)));
    }
}

/// The reply stored with event `id` if it exists and has `account` and `key`: `Some(None)` =
/// `success`.
pub(super) fn stored_reply(
    conn: &Connection,
    id: i64,
    account: &str,
    key: &str,
) -> rusqlite::Result<Option<Option<String>>> {
    let mut stmt = conn.prepare_cached(sql::SELECT_KEY_REPLY)?;
    let mut rows = stmt.query(params![id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let (stored_account, stored): (String, String) = (row.get(0)?, row.get(1)?);
    (stored_account == account && stored == key)
        .then(|| row.get(2))
        .transpose()
}

/// What is known of `openid` of `account` before it is forgotten: None when nothing (no
/// follower row, no pending push), else whether it is subscribed and the scene it came from
/// (the last pending subscribe's, else the stored follower's). A pending push makes it a
/// subscribed follower once applied.
fn known(
    conn: &Connection,
    state: &State,
    account: &str,
    openid: &str,
) -> rusqlite::Result<Option<(bool, Option<String>)>> {
    let stored: Option<(Option<String>, bool)> = conn
        .prepare_cached(sql::SELECT_SCENE_OF)?
        .query_row(params![openid, account], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let pending = !state.backlog.ids_of(account, openid).is_empty();
    let scene = match state.backlog.pending_scene(account, openid) {
        Some(scene) => scene.map(str::to_string),
        None => stored.as_ref().and_then(|(scene, _)| scene.clone()),
    };
    Ok(match stored {
        Some((_, subscribed)) => Some((subscribed || pending, scene)),
        None if pending => Some((true, scene)),
        None => None,
    })
}

/// An unsubscribe to count: a push, or one a sync found (`pushed` false: no event counted).
struct Unsubscribe<'a> {
    /// the UTC day it counts on
    day: i64,
    /// the scene its user came from
    scene: Option<&'a str>,
    /// whether it was a push (counted in the day's events too)
    pushed: bool,
}

impl<'a> Unsubscribe<'a> {
    /// Its counts for `account`: in its day, and against the scene its user came from.
    fn counts(&self, account: &'a str) -> Counts<'a> {
        let mut counts = Counts::default();
        if let Some(scene) = self.scene {
            counts.scene(account, scene, self.day, [0, 0, 1]);
        }
        counts.day(account, self.day, [i64::from(self.pushed), 0, 1, 0]);
        counts
    }
}

/// Deletes every row of `account` holding `openid` (its applied events through
/// `openid_events`, its pending ones by id, its follower row, its template messages and their
/// unsent outbox rows); counters and notify deliveries stay. Whether anything
/// was deleted (then the files are scrubbed). The caller marks the backlog once every
/// statement of its write succeeded.
fn forget(conn: &Connection, state: &State, account: &str, openid: &str) -> rusqlite::Result<bool> {
    let mut deleted = conn
        .prepare_cached(sql::DELETE_OWNED_EVENTS)?
        .execute(params![openid, account])?;
    deleted += conn
        .prepare_cached(sql::DELETE_OWNERS)?
        .execute(params![openid, account])?;
    deleted += conn
        .prepare_cached(sql::DELETE_FOLLOWER)?
        .execute(params![openid, account])?;
    deleted += super::execute(
        conn,
        crate::store::messages::DELETE_MESSAGES_OF,
        &[&account, &openid],
    )?;
    deleted += super::execute(
        conn,
        crate::store::jobs::DELETE_TEMPLATE_JOBS_OF,
        &[&account, &openid],
    )?;
    let pending = state.backlog.ids_of(account, openid);
    let mut delete = conn.prepare_cached(sql::DELETE_EVENT)?;
    for id in &pending {
        deleted += delete.execute(params![id])?;
    }
    Ok(deleted > 0)
}

/// Keeps the tombstone of an unsubscribe (SHA-256 of its dedupe key) after pruning the expired
/// ones: `false` when it is there already — a resend of an unsubscribe forgotten within the
/// window.
fn tombstone(conn: &Connection, write: &PushWrite) -> rusqlite::Result<bool> {
    let cutoff = crate::store::forgotten_cutoff();
    super::execute(conn, crate::store::sql::PRUNE_FORGOTTEN, &[&cutoff])?;
    let digest = crate::store::forgotten_digest(&write.dedupe_key);
    let inserted = super::execute(
        conn,
        crate::store::sql::INSERT_FORGOTTEN,
        &[&write.account, &&digest[..], &millis(write.received_at)],
    )?;
    Ok(inserted == 1)
}

/// Whether a tombstone of `account`'s `key` is kept (an unsubscribe forgotten within the
/// window).
pub(super) fn forgotten(conn: &Connection, account: &str, key: &str) -> rusqlite::Result<bool> {
    let digest = crate::store::forgotten_digest(key);
    let cutoff = crate::store::forgotten_cutoff();
    super::returns_row(
        conn,
        crate::store::sql::SELECT_FORGOTTEN,
        &[&account, &&digest[..], &cutoff],
    )
}

/// Keeps the replay mark of a push (for the guard after a restart).
fn insert_mark(conn: &Connection, write: &PushWrite) -> rusqlite::Result<()> {
    match &write.replay {
        Some(mark) => keep_mark(conn, mark),
        None => Ok(()),
    }
}

/// Keeps a replay mark under its guard's key (a mark kept already stays as it is).
pub(super) fn keep_mark(conn: &Connection, kept: &GuardMark) -> rusqlite::Result<()> {
    let mark = &kept.mark;
    conn.prepare_cached(sql::INSERT_MARK)?.execute(params![
        millis(mark.seen_at),
        &mark.query[..],
        &mark.body[..],
        kept.guard
    ])?;
    Ok(())
}

/// Queues the notify-webhook deliveries of a push, in order.
fn insert_deliveries(conn: &Connection, write: &PushWrite) -> rusqlite::Result<()> {
    if write.deliveries.is_empty() {
        return Ok(());
    }
    let mut insert = conn.prepare_cached(sql::INSERT_DELIVERY)?;
    let at = millis(write.received_at);
    for delivery in &write.deliveries {
        insert.execute(params![
            delivery.webhook,
            write.openid,
            delivery.event_id,
            delivery.payload,
            at,
            write.account
        ])?;
    }
    Ok(())
}
