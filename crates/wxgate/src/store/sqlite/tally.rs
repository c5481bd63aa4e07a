//! The counters a batch adds to, summed in memory and written once at its end: every push adds
//! one to its account's day, so an upsert per push rewrote the same hot row (and journaled its
//! page under the push's savepoint) hundreds of times per commit. A write adds its counts only
//! once all of its statements succeeded, so a write rolled back to its savepoint counts
//! nothing; the batch writes the sums just before its COMMIT (a failure there fails the batch,
//! and the writer rebuilds its state, this tally with it).
use std::collections::BTreeMap;

use rusqlite::{params, Connection};

use super::sql;

/// What a batch adds to the counters, not yet written. Keyed by account first, so that
/// adding to a row already there allocates nothing.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// per account, per UTC day: events, subscribes, unsubscribes, scans
    days: BTreeMap<String, BTreeMap<i64, [i64; 4]>>,
    /// per account, per scene, per UTC day: subscribes, scans, unsubscribes
    scenes: BTreeMap<String, BTreeMap<String, BTreeMap<i64, [i64; 3]>>>,
}

/// One write's counts, gathered while its statements run and added to the batch's [`Tally`]
/// once they all succeeded.
#[derive(Debug, Default)]
pub(super) struct Counts<'a> {
    /// (account, UTC day, [events, subscribes, unsubscribes, scans])
    day: Option<(&'a str, i64, [i64; 4])>,
    /// (account, scene, UTC day, [subscribes, scans, unsubscribes])
    scene: Option<(&'a str, &'a str, i64, [i64; 3])>,
}

impl<'a> Counts<'a> {
    /// Adds to `account`'s `day`: events, subscribes, unsubscribes, scans.
    pub(super) fn day(&mut self, account: &'a str, day: i64, add: [i64; 4]) {
        self.day = Some((account, day, add));
    }

    /// Adds to `scene` of `account` on `day`: subscribes, scans, unsubscribes.
    pub(super) fn scene(&mut self, account: &'a str, scene: &'a str, day: i64, add: [i64; 3]) {
        self.scene = Some((account, scene, day, add));
    }
}

/// The entry of `key` in `map`, allocating the owned key only when it is new.
fn entry<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

fn add<const N: usize>(sum: &mut [i64; N], add: [i64; N]) {
    for (s, a) in sum.iter_mut().zip(add) {
        *s += a;
    }
}

impl Tally {
    /// Adds one write's counts (all of its statements succeeded).
    pub(super) fn add(&mut self, counts: Counts<'_>) {
        if let Some((account, day, counts)) = counts.day {
            add(
                entry(&mut self.days, account).entry(day).or_default(),
                counts,
            );
        }
        if let Some((account, scene, day, counts)) = counts.scene {
            let scenes = entry(&mut self.scenes, account);
            add(entry(scenes, scene).entry(day).or_default(), counts);
        }
    }

    /// Writes the sums (one upsert per row, in key order) and empties the tally.
    pub(super) fn write(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        if !self.days.is_empty() {
            let mut upsert = conn.prepare_cached(sql::COUNT_DAY)?;
            for (account, days) in &self.days {
                for (day, [events, subscribes, unsubscribes, scans]) in days {
                    upsert.execute(params![
                        day,
                        subscribes,
                        unsubscribes,
                        scans,
                        account,
                        events
                    ])?;
                }
            }
        }
        if !self.scenes.is_empty() {
            let mut upsert = conn.prepare_cached(sql::COUNT_SCENE)?;
            for (account, scenes) in &self.scenes {
                for (scene, days) in scenes {
                    for (day, [subscribes, scans, unsubscribes]) in days {
                        upsert.execute(params![
                            scene,
                            day,
                            subscribes,
                            scans,
                            unsubscribes,
                            account
                        ])?;
                    }
                }
            }
        }
        self.days.clear();
        self.scenes.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_rows(conn: &Connection) -> Vec<(String, i64, i64, i64, i64, i64)> {
        let mut stmt = conn
            .prepare(
                "SELECT account, day, events, subscribes, unsubscribes, scans FROM day_counters \
                 ORDER BY account, day",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn a_batch_writes_one_row_per_key_summed_onto_what_is_stored() {
        let mut conn = super::super::connect::memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let mut tally = Tally::default();
        for _ in 0..3 {
            let mut counts = Counts::default();
            counts.day("a", 7, [1, 1, 0, 0]);
            counts.scene("a", "123", 7, [1, 0, 0]);
            tally.add(counts);
        }
        let mut other = Counts::default();
        other.day("b", 7, [0, 0, 1, 0]);
        tally.add(other);
        tally.write(&conn).unwrap();
        let mut again = Counts::default();
        again.day("a", 7, [1, 0, 0, 1]);
        tally.add(again);
        tally.write(&conn).unwrap();
        assert_eq!(
            day_rows(&conn),
            [("a".into(), 7, 4, 3, 0, 1), ("b".into(), 7, 0, 0, 1, 0)]
        );
        let scene: (i64, i64, i64) = conn
            .query_row(
                "SELECT subscribes, scans, unsubscribes FROM scene_counters \
                 WHERE account = 'a' AND scene = '123' AND day = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(scene, (3, 0, 0));
    }
}
