//! Planning a group-committed batch, without the database: which writes go together into
//! multi-row statements, which are answered as duplicates, and the merged follower and
//! counter rows of the new ones (PostgreSQL refuses to upsert one row twice in a statement).
use std::collections::{BTreeMap, HashMap, HashSet};

use super::writer::Op;
use crate::store::rows::{millis, utc_day};
use crate::store::{FollowerEffect, PushWrite};

/// A run of a batch applied together, in batch order.
#[derive(Debug)]
pub(in crate::store) enum Segment<'a> {
    /// consecutive pushes that are not forgets
    Records(Vec<&'a PushWrite>),
    /// a forget of `openid` of `account`: an unsubscribe push (its deliveries are queued
    /// after the forget: they outlive it), a follower a sync found gone (`departed`), or the
    /// admin API (both None)
    Forget {
        /// the account
        account: &'a str,
        /// the openid forgotten
        openid: &'a str,
        /// the unsubscribe push, if it was one
        write: Option<&'a PushWrite>,
        /// the UTC day a sync found the follower gone, if it did (an unsubscribe to count)
        departed: Option<i64>,
    },
}

/// Splits `ops` at every forget: the writes before it, the forget, then the rest — so each
/// openid sees its writes and forgets in batch order.
pub(in crate::store) fn segments(ops: &[Op]) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut records = Vec::new();
    for op in ops {
        let forget = match op {
            Op::Record(write) if write.effect == FollowerEffect::Forget => Segment::Forget {
                account: &write.account,
                openid: &write.openid,
                write: Some(write),
                departed: None,
            },
            Op::Record(write) => {
                records.push(&**write);
                continue;
            }
            Op::Forget(account, openid) => Segment::Forget {
                account,
                openid,
                write: None,
                departed: None,
            },
            Op::Depart {
                account,
                openid,
                day,
            } => Segment::Forget {
                account,
                openid,
                write: None,
                departed: Some(*day),
            },
        };
        if !records.is_empty() {
            segments.push(Segment::Records(std::mem::take(&mut records)));
        }
        segments.push(forget);
    }
    if !records.is_empty() {
        segments.push(Segment::Records(records));
    }
    segments
}

/// An event's identity: (account, dedupe key).
pub(in crate::store) type EventKey = (String, String);

/// The writes whose (account, dedupe key) occurs in `writes` for the first time: the ones to
/// insert (a later write with the same key is a resend of it).
pub(in crate::store) fn first_of_keys<'a>(writes: &[&'a PushWrite]) -> Vec<&'a PushWrite> {
    let mut seen = HashSet::new();
    writes
        .iter()
        .copied()
        .filter(|write| seen.insert((write.account.as_str(), write.dedupe_key.as_str())))
        .collect()
}

/// What became of one write of a segment once its events were inserted.
#[derive(Debug)]
pub(in crate::store) enum Resolved<'a> {
    /// newly stored as event `id`: its effects apply
    Stored(i64, &'a PushWrite),
    /// a resend (of a stored push or of an earlier write of the segment): answered with the
    /// reply stored under this (account, key)
    Duplicate(&'a str, &'a str),
}

/// Resolves each write of `writes` (in order) from the ids `inserted` returned per
/// (account, key): the first write of a key that was inserted is stored; every other write is
/// a duplicate.
pub(in crate::store) fn resolve<'a>(
    writes: &[&'a PushWrite],
    inserted: &HashMap<EventKey, i64>,
) -> Vec<Resolved<'a>> {
    let mut seen = HashSet::new();
    writes
        .iter()
        .map(|write| {
            let (account, key) = (write.account.as_str(), write.dedupe_key.as_str());
            let id = inserted.get(&(account.to_string(), key.to_string()));
            match id {
                Some(&id) if seen.insert((account, key)) => Resolved::Stored(id, write),
                _ => Resolved::Duplicate(account, key),
            }
        })
        .collect()
}

/// One follower's merged upsert: the effects of its writes of a segment, applied in order.
/// `subscribed_at` and `loc_reported_at` are `None` when no write set them (the stored values
/// are kept).
#[derive(Debug, Clone, PartialEq)]
pub(in crate::store) struct FollowerRow<'a> {
    /// account
    pub(in crate::store) account: &'a str,
    /// openid
    pub(in crate::store) openid: &'a str,
    /// received_at of its last write (ms)
    pub(in crate::store) last_seen_at: i64,
    /// received_at of its last subscribe (ms)
    pub(in crate::store) subscribed_at: Option<i64>,
    /// scene of its last subscribe
    pub(in crate::store) scene: Option<&'a str>,
    /// last location: latitude
    pub(in crate::store) loc_latitude: Option<f64>,
    /// last location: longitude
    pub(in crate::store) loc_longitude: Option<f64>,
    /// last location: precision
    pub(in crate::store) loc_precision: Option<f64>,
    /// received_at of its last location (ms)
    pub(in crate::store) loc_reported_at: Option<i64>,
}

/// The follower upserts of the new writes `stored` (in batch order): one row per
/// (account, openid), ordered by it (a stable lock order between instances).
pub(in crate::store) fn followers<'a>(stored: &[&'a PushWrite]) -> Vec<FollowerRow<'a>> {
    let mut rows: BTreeMap<(&str, &str), FollowerRow<'a>> = BTreeMap::new();
    for write in stored {
        let at = millis(write.received_at);
        let row = rows
            .entry((write.account.as_str(), write.openid.as_str()))
            .or_insert_with(|| FollowerRow {
                account: &write.account,
                openid: &write.openid,
                last_seen_at: at,
                subscribed_at: None,
                scene: None,
                loc_latitude: None,
                loc_longitude: None,
                loc_precision: None,
                loc_reported_at: None,
            });
        row.last_seen_at = at;
        match &write.effect {
            FollowerEffect::Subscribe { scene } => {
                row.subscribed_at = Some(at);
                row.scene = scene.as_deref();
            }
            FollowerEffect::Location {
                latitude,
                longitude,
                precision,
            } => {
                row.loc_latitude = Some(*latitude);
                row.loc_longitude = Some(*longitude);
                row.loc_precision = Some(*precision);
                row.loc_reported_at = Some(at);
            }
            FollowerEffect::Scan { .. } | FollowerEffect::Touch | FollowerEffect::Forget => {}
        }
    }
    rows.into_values().collect()
}

/// The counter increments of a batch: (subscribes, scans, unsubscribes) per (account, scene,
/// day) and (events, subscribes, unsubscribes, scans) per (account, day), summed, applied once
/// at its end in key order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(in crate::store) struct Tally {
    /// per (account, scene, UTC day): subscribes, scans, unsubscribes
    pub(in crate::store) scenes: BTreeMap<(String, String, i64), (i64, i64, i64)>,
    /// per (account, UTC day): events, subscribes, unsubscribes, scans
    pub(in crate::store) days: BTreeMap<(String, i64), (i64, i64, i64, i64)>,
}

impl Tally {
    /// Counts a new push: in its day, and a subscribe with a scene / a scan in its scene.
    pub(in crate::store) fn record(&mut self, write: &PushWrite) {
        let day = utc_day(write.received_at);
        let account = write.account.as_str();
        match &write.effect {
            FollowerEffect::Subscribe { scene } => {
                if let Some(scene) = scene {
                    self.scene(account, scene, day, (1, 0, 0));
                }
                self.day(account, day, (1, 1, 0, 0));
            }
            FollowerEffect::Scan { scene } => {
                self.scene(account, scene, day, (0, 1, 0));
                self.day(account, day, (1, 0, 0, 1));
            }
            _ => self.day(account, day, (1, 0, 0, 0)),
        }
    }

    /// Counts an unsubscribe push in its day (an event too) and against `scene`, its user's.
    pub(in crate::store) fn unsubscribe(&mut self, write: &PushWrite, scene: Option<&str>) {
        self.unsubscribed(&write.account, utc_day(write.received_at), scene, 1);
    }

    /// Counts an unsubscribe a sync found on `day` (no event: nothing was received) and
    /// against `scene`, its user's.
    pub(in crate::store) fn departure(&mut self, account: &str, day: i64, scene: Option<&str>) {
        self.unsubscribed(account, day, scene, 0);
    }

    fn unsubscribed(&mut self, account: &str, day: i64, scene: Option<&str>, events: i64) {
        if let Some(scene) = scene {
            self.scene(account, scene, day, (0, 0, 1));
        }
        self.day(account, day, (events, 0, 1, 0));
    }

    fn scene(&mut self, account: &str, scene: &str, day: i64, add: (i64, i64, i64)) {
        let key = (account.to_string(), scene.to_string(), day);
        let sum = self.scenes.entry(key).or_default();
        *sum = (sum.0 + add.0, sum.1 + add.1, sum.2 + add.2);
    }

    fn day(&mut self, account: &str, day: i64, add: (i64, i64, i64, i64)) {
        let sum = self.days.entry((account.to_string(), day)).or_default();
        *sum = (sum.0 + add.0, sum.1 + add.1, sum.2 + add.2, sum.3 + add.3);
    }
}

/// One queued delivery: a `NewDelivery` with its push's openid and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::store) struct DeliveryRow<'a> {
    /// webhook name
    pub(in crate::store) webhook: &'a str,
    /// account of the push
    pub(in crate::store) account: &'a str,
    /// openid of the push
    pub(in crate::store) openid: &'a str,
    /// `X-Wxgate-Event-Id`
    pub(in crate::store) event_id: &'a str,
    /// JSON body
    pub(in crate::store) payload: &'a str,
    /// received_at of the push (ms): created, and first due
    pub(in crate::store) created_at: i64,
}

/// The deliveries of `writes`, in order.
pub(in crate::store) fn deliveries<'a>(writes: &[&'a PushWrite]) -> Vec<DeliveryRow<'a>> {
    writes
        .iter()
        .flat_map(|write| {
            write.deliveries.iter().map(|delivery| DeliveryRow {
                webhook: &delivery.webhook,
                account: &write.account,
                openid: &write.openid,
                event_id: &delivery.event_id,
                payload: &delivery.payload,
                created_at: millis(write.received_at),
            })
        })
        .collect()
}
