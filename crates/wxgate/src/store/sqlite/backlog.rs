//! The backlog: pushes appended to the log whose follower effect and `openid_events` row are
//! not applied yet. The writer applies it in large batches ("catch-up": each page of
//! `followers` and `openid_events` is written once per ~1,000 pushes instead of once
//! per commit), when it is idle, when the backlog is long, and before any read that needs
//! it. After a crash it is rebuilt from the events beyond `applied.event_id`.
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};

use rusqlite::{params, Connection};

use super::sql;

/// What a push does to its follower row (the `effect` column: 0 touch, 1 subscribe,
/// 2 scan, 3 location).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Effect {
    /// last seen only (also a scan)
    Touch,
    /// subscribed now, with this scene
    Subscribe(Option<String>),
    /// the last location
    Location(f64, f64, f64),
}

/// One appended push not applied yet.
#[derive(Debug)]
struct Pending {
    id: i64,
    account: String,
    openid: String,
    received_at: i64,
    effect: Effect,
    /// forgotten or purged meanwhile: nothing to apply
    gone: bool,
}

/// The pushes beyond `applied.event_id`, in id order.
#[derive(Debug, Default)]
pub(super) struct Backlog {
    pending: Vec<Pending>,
    /// hash of an (account, openid) → indexes into `pending` (no copy of the openid)
    by_openid: HashMap<u64, Vec<usize>>,
    hasher: RandomState,
}

impl Backlog {
    /// Adds an appended push of an account.
    pub(super) fn push(
        &mut self,
        id: i64,
        account: String,
        openid: String,
        received_at: i64,
        effect: Effect,
    ) {
        let hash = self.hasher.hash_one((account.as_str(), openid.as_str()));
        self.by_openid
            .entry(hash)
            .or_default()
            .push(self.pending.len());
        self.pending.push(Pending {
            id,
            account,
            openid,
            received_at,
            effect,
            gone: false,
        });
    }

    /// Number of pushes not applied yet.
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    /// True when everything is applied.
    pub(super) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The pending event ids of `openid` of `account` (to delete with a forget).
    pub(super) fn ids_of(&self, account: &str, openid: &str) -> Vec<i64> {
        self.indexes_of(account, openid)
            .map(|index| self.pending[index].id)
            .collect()
    }

    /// The scene of `openid`'s last pending subscribe: `Some(scene)` if one is pending
    /// (it replaces the stored scene when applied).
    pub(super) fn pending_scene(&self, account: &str, openid: &str) -> Option<Option<&str>> {
        self.indexes_of(account, openid)
            .filter_map(|index| match &self.pending[index].effect {
                Effect::Subscribe(scene) => Some(scene.as_deref()),
                _ => None,
            })
            .last()
    }

    /// Marks the pending events of `openid` of `account` gone (its forget's statements
    /// succeeded).
    pub(super) fn forget(&mut self, account: &str, openid: &str) {
        let indexes: Vec<usize> = self.indexes_of(account, openid).collect();
        for index in indexes {
            self.pending[index].gone = true;
        }
    }

    fn indexes_of<'a>(
        &'a self,
        account: &'a str,
        openid: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        let hash = self.hasher.hash_one((account, openid));
        self.by_openid
            .get(&hash)
            .into_iter()
            .flatten()
            .copied()
            .filter(move |&index| {
                let pending = &self.pending[index];
                pending.openid == openid && pending.account == account && !pending.gone
            })
    }

    /// Marks the pending events among `ids` gone (purged).
    pub(super) fn drop_ids(&mut self, ids: &[i64]) {
        for pending in &mut self.pending {
            if ids.binary_search(&pending.id).is_ok() {
                pending.gone = true;
            }
        }
    }

    /// Loads the events beyond `applied.event_id` (after a crash, or after a batch that did
    /// not commit).
    pub(super) fn load(conn: &Connection) -> rusqlite::Result<Backlog> {
        let mut backlog = Backlog::default();
        let mut stmt = conn.prepare(sql::SELECT_BACKLOG)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let effect = match row.get::<_, i64>(3)? {
                sql::EFFECT_SUBSCRIBE => Effect::Subscribe(row.get(4)?),
                sql::EFFECT_LOCATION => match (row.get(5)?, row.get(6)?, row.get(7)?) {
                    (Some(lat), Some(lng), Some(precision)) => {
                        Effect::Location(lat, lng, precision)
                    }
                    _ => Effect::Touch,
                },
                _ => Effect::Touch,
            };
            backlog.push(row.get(0)?, row.get(8)?, row.get(1)?, row.get(2)?, effect);
        }
        Ok(backlog)
    }

    /// Applies the backlog in the open transaction of `conn`: one `openid_events` row per
    /// event, one follower upsert per openid (its effects merged in order), the `applied`
    /// mark. The caller commits, then [`Backlog::clear`]s.
    pub(super) fn apply(&self, conn: &Connection) -> rusqlite::Result<()> {
        let Some(last) = self.pending.last() else {
            return Ok(());
        };
        let mut owners: Vec<(&str, &str, i64)> = Vec::with_capacity(self.pending.len());
        let mut followers: BTreeMap<(&str, &str), FollowerRow<'_>> = BTreeMap::new();
        for pending in self.pending.iter().filter(|p| !p.gone) {
            owners.push((&pending.account, &pending.openid, pending.id));
            let row = followers
                .entry((&pending.account, &pending.openid))
                .or_insert_with(|| FollowerRow::new(pending.received_at));
            row.merge(pending);
        }
        // Sorted: each B-tree page is visited once, in order.
        owners.sort_unstable();
        let mut insert = conn.prepare_cached(sql::INSERT_OWNER)?;
        for (account, openid, id) in owners {
            insert.execute(params![openid, id, account])?;
        }
        let mut upsert = conn.prepare_cached(sql::UPSERT_FOLLOWER)?;
        for ((account, openid), row) in followers {
            let (lat, lng, precision, at) = match row.location {
                Some((lat, lng, precision, at)) => {
                    (Some(lat), Some(lng), Some(precision), Some(at))
                }
                None => (None, None, None, None),
            };
            upsert.execute(params![
                openid,
                row.last_seen_at,
                row.subscribed_at,
                row.scene,
                lat,
                lng,
                precision,
                at,
                account
            ])?;
        }
        conn.prepare_cached(sql::SET_APPLIED)?
            .execute(params![last.id])?;
        Ok(())
    }

    /// Empties the backlog once [`Backlog::apply`] committed.
    pub(super) fn clear(&mut self) {
        self.pending.clear();
        self.by_openid.clear();
    }
}

/// One follower's merged upsert: the effects of its pending pushes, in order.
struct FollowerRow<'a> {
    last_seen_at: i64,
    /// received_at of its last subscribe (None = keep the stored subscription)
    subscribed_at: Option<i64>,
    scene: Option<&'a str>,
    /// the last location and when (None = keep the stored one)
    location: Option<(f64, f64, f64, i64)>,
}

impl<'a> FollowerRow<'a> {
    fn new(at: i64) -> Self {
        FollowerRow {
            last_seen_at: at,
            subscribed_at: None,
            scene: None,
            location: None,
        }
    }

    fn merge(&mut self, pending: &'a Pending) {
        let at = pending.received_at;
        self.last_seen_at = at;
        match &pending.effect {
            Effect::Subscribe(scene) => {
                self.subscribed_at = Some(at);
                self.scene = scene.as_deref();
            }
            Effect::Location(lat, lng, precision) => {
                self.location = Some((*lat, *lng, *precision, at));
            }
            Effect::Touch => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgetting_marks_only_that_openids_events_of_that_account() {
        let mut backlog = Backlog::default();
        backlog.push(1, "a".into(), "oA".into(), 0, Effect::Touch);
        backlog.push(2, "a".into(), "oB".into(), 0, Effect::Touch);
        backlog.push(3, "a".into(), "oA".into(), 0, Effect::Subscribe(None));
        backlog.push(4, "b".into(), "oA".into(), 0, Effect::Touch);
        assert_eq!(backlog.ids_of("a", "oA"), [1, 3]);
        backlog.forget("a", "oA");
        assert_eq!(backlog.ids_of("a", "oA"), Vec::<i64>::new(), "already gone");
        assert_eq!(backlog.ids_of("a", "oB"), [2]);
        assert_eq!(backlog.ids_of("b", "oA"), [4], "another account's follower");
        assert_eq!(backlog.ids_of("a", "oC"), Vec::<i64>::new());
        assert_eq!(backlog.len(), 4);
    }
}
