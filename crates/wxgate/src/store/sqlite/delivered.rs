//! Deleting outbox rows (delivered, dropped, or past their webhook's `max_age`). A forgotten
//! user's pending deliveries outlive the forget (their openid is in them); when the last of
//! them goes and nothing else of the user is left, the op asks the writer to scrub the files
//! (checkpoint the WAL into the secure-deleted database and truncate it) before it answers, so
//! the openid's bytes leave `wxgate.db` and `-wal` while the gateway runs.
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::oneshot;

use super::sql;
use super::writer::{State, WriteOp};
use crate::store::StoreError;

/// Which rows go.
enum Rows {
    /// one delivery, by id
    One(i64),
    /// the deliveries of a webhook created before a time (unix ms)
    Older { webhook: String, cutoff: i64 },
}

/// Deletes outbox rows; answers how many went.
pub(super) struct Delivered {
    rows: Rows,
    deleted: u64,
    /// a user whose last trace went with these rows was forgotten
    scrub: bool,
    answer: oneshot::Sender<Result<u64, StoreError>>,
}

impl Delivered {
    /// Deletes delivery `id`.
    pub(super) fn one(id: i64) -> (Self, oneshot::Receiver<Result<u64, StoreError>>) {
        Self::new(Rows::One(id))
    }

    /// Deletes the deliveries of `webhook` created before `cutoff` (unix ms).
    pub(super) fn older(
        webhook: &str,
        cutoff: i64,
    ) -> (Self, oneshot::Receiver<Result<u64, StoreError>>) {
        Self::new(Rows::Older {
            webhook: webhook.to_string(),
            cutoff,
        })
    }

    fn new(rows: Rows) -> (Self, oneshot::Receiver<Result<u64, StoreError>>) {
        let (answer, outcome) = oneshot::channel();
        let op = Delivered {
            rows,
            deleted: 0,
            scrub: false,
            answer,
        };
        (op, outcome)
    }
}

impl WriteOp for Delivered {
    fn apply(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<()> {
        let owners: Vec<(String, String)> = match &self.rows {
            Rows::One(id) => conn
                .prepare_cached(sql::DELETE_DELIVERY)?
                .query_map(params![id], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?,
            Rows::Older { webhook, cutoff } => conn
                .prepare_cached(sql::DELETE_OLDER_DELIVERIES)?
                .query_map(params![webhook, cutoff], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?,
        };
        self.deleted = owners.len() as u64;
        let mut owners = owners;
        owners.sort_unstable();
        owners.dedup();
        for (account, openid) in &owners {
            if forgotten(conn, state, account, openid)? {
                self.scrub = true;
                break;
            }
        }
        Ok(())
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let _ = self.answer.send(outcome.map(|()| self.deleted));
    }

    fn scrubs(&self) -> bool {
        self.scrub
    }
}

/// Whether nothing of `openid` of `account` is left: no follower row, no push waiting to be
/// applied, no other delivery. (A known follower is the common case, and the cheapest check.)
fn forgotten(
    conn: &Connection,
    state: &State,
    account: &str,
    openid: &str,
) -> rusqlite::Result<bool> {
    let follower = conn
        .prepare_cached(sql::SELECT_FOLLOWER_EXISTS)?
        .query_row(params![openid, account], |_| Ok(()))
        .optional()?;
    if follower.is_some() || !state.backlog.ids_of(account, openid).is_empty() {
        return Ok(false);
    }
    let pending = conn
        .prepare_cached(sql::SELECT_DELIVERY_OF)?
        .query_row(params![openid, account], |_| Ok(()))
        .optional()?;
    Ok(pending.is_none())
}
