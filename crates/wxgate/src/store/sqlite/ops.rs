//! The writes the writer thread applies: a push, a forget, and any other single write of the
//! store (outbox, tokens, QR codes, purges) as a closure.
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::oneshot;

use super::backlog::Effect;
use super::sql;
use super::writer::{State, WriteOp};
use crate::store::rows::{millis, utc_day};
use crate::store::{FollowerEffect, PushWrite, Recorded, StoreError};

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
        let Some(id) = state.window.get(&self.write.dedupe_key) else {
            return Ok(None);
        };
        stored_reply(conn, id, &self.write.dedupe_key).map(|reply| {
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
        ])?;
        let id = conn.last_insert_rowid();
        let counted = match &write.effect {
            FollowerEffect::Subscribe { scene: Some(scene) } => Some((scene, 1, 0)),
            FollowerEffect::Scan { scene } => Some((scene, 0, 1)),
            _ => None,
        };
        let day = utc_day(write.received_at);
        if let Some((scene, subscribes, scans)) = counted {
            conn.prepare_cached(sql::COUNT_SCENE)?
                .execute(params![scene, day, subscribes, scans, 0])?;
        }
        let subscribed = i64::from(matches!(write.effect, FollowerEffect::Subscribe { .. }));
        let scanned = i64::from(matches!(write.effect, FollowerEffect::Scan { .. }));
        conn.prepare_cached(sql::COUNT_DAY)?
            .execute(params![day, subscribed, 0, scanned])?;
        insert_deliveries(conn, write)?;
        insert_mark(conn, write)?;
        // Every statement succeeded: now the in-memory state.
        state.window.insert(&write.dedupe_key, id, received);
        let effect = match std::mem::replace(&mut write.effect, FollowerEffect::Touch) {
            FollowerEffect::Subscribe { scene } => Effect::Subscribe(scene),
            FollowerEffect::Location {
                latitude,
                longitude,
                precision,
            } => Effect::Location(latitude, longitude, precision),
            _ => Effect::Touch,
        };
        state
            .backlog
            .push(id, std::mem::take(&mut write.openid), received, effect);
        Ok(Recorded::Stored { id })
    }
}

impl WriteOp for Record {
    fn apply(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<()> {
        let recorded = if self.write.effect == FollowerEffect::Forget {
            count_unsubscribe(conn, state, &self.write)?;
            self.deleted = forget(conn, state, &self.write.openid)?;
            // The unsubscribe's own deliveries outlive the forget (contract §4).
            insert_deliveries(conn, &self.write)?;
            insert_mark(conn, &self.write)?;
            state.backlog.forget(&self.write.openid);
            Recorded::Forgotten
        } else if let Some(resent) = self.resent(conn, state)? {
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
}

/// Forgetting a user from the admin API.
pub(super) struct Forget {
    openid: String,
    deleted: bool,
    answer: oneshot::Sender<Result<(), StoreError>>,
}

impl Forget {
    /// The op and the receiver of its outcome.
    pub(super) fn new(openid: &str) -> (Self, oneshot::Receiver<Result<(), StoreError>>) {
        let (answer, outcome) = oneshot::channel();
        let op = Forget {
            openid: openid.to_string(),
            deleted: false,
            answer,
        };
        (op, outcome)
    }
}

impl WriteOp for Forget {
    fn apply(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<()> {
        self.deleted = forget(conn, state, &self.openid)?;
        state.backlog.forget(&self.openid);
        Ok(())
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let _ = self.answer.send(outcome);
    }

    fn scrubs(&self) -> bool {
        self.deleted
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

/// The reply stored with event `id` if it exists and has `key`: `Some(None)` = `success`.
pub(super) fn stored_reply(
    conn: &Connection,
    id: i64,
    key: &str,
) -> rusqlite::Result<Option<Option<String>>> {
    let mut stmt = conn.prepare_cached(sql::SELECT_KEY_REPLY)?;
    let mut rows = stmt.query(params![id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let stored: String = row.get(0)?;
    (stored == key).then(|| row.get(1)).transpose()
}

/// Counts an unsubscribe in its day and against the scene its user came from (the last
/// pending subscribe's, else the stored follower's), before the user is forgotten.
fn count_unsubscribe(conn: &Connection, state: &State, write: &PushWrite) -> rusqlite::Result<()> {
    let day = utc_day(write.received_at);
    let scene: Option<String> = match state.backlog.pending_scene(&write.openid) {
        Some(scene) => scene.map(str::to_string),
        None => conn
            .prepare_cached(sql::SELECT_SCENE_OF)?
            .query_row(params![write.openid], |row| row.get(0))
            .optional()?
            .flatten(),
    };
    if let Some(scene) = scene {
        conn.prepare_cached(sql::COUNT_SCENE)?
            .execute(params![scene, day, 0, 0, 1])?;
    }
    conn.prepare_cached(sql::COUNT_DAY)?
        .execute(params![day, 0, 1, 0])?;
    Ok(())
}

/// Deletes every row holding `openid` (its applied events through `openid_events`, its
/// pending ones by id, its follower row); counters and outbox rows stay. Whether anything
/// was deleted (then the files are scrubbed). The caller marks the backlog once every
/// statement of its write succeeded.
fn forget(conn: &Connection, state: &State, openid: &str) -> rusqlite::Result<bool> {
    let mut deleted = conn
        .prepare_cached(sql::DELETE_OWNED_EVENTS)?
        .execute(params![openid])?;
    deleted += conn
        .prepare_cached(sql::DELETE_OWNERS)?
        .execute(params![openid])?;
    deleted += conn
        .prepare_cached(sql::DELETE_FOLLOWER)?
        .execute(params![openid])?;
    let pending = state.backlog.ids_of(openid);
    let mut delete = conn.prepare_cached(sql::DELETE_EVENT)?;
    for id in &pending {
        deleted += delete.execute(params![id])?;
    }
    Ok(deleted > 0)
}

/// Keeps the replay mark of a push (for the guard after a restart).
fn insert_mark(conn: &Connection, write: &PushWrite) -> rusqlite::Result<()> {
    if let Some(mark) = &write.replay {
        conn.prepare_cached(sql::INSERT_MARK)?.execute(params![
            millis(mark.seen_at),
            &mark.query[..],
            &mark.body[..]
        ])?;
    }
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
            at
        ])?;
    }
    Ok(())
}
