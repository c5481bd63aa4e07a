//! Planning a batch (`plan.rs`): segments, duplicates, merged follower and counter rows.
use std::collections::HashMap;

use super::fixtures::{at, push, text};
use crate::store::postgres::plan::{
    deliveries, first_of_keys, followers, resolve, segments, FollowerRow, Resolved, Segment, Tally,
};
use crate::store::postgres::writer::Op;
use crate::store::rows::{millis, utc_day};
use crate::store::{FollowerEffect, PushWrite};

fn keys(writes: &[&PushWrite]) -> Vec<String> {
    writes.iter().map(|w| w.dedupe_key.clone()).collect()
}

#[test]
fn forgets_split_the_batch_in_order() {
    let ops = vec![
        Op::Record(Box::new(text("oA", "k1", 0))),
        Op::Record(Box::new(text("oB", "k2", 0))),
        Op::Forget("default".into(), "oA".into()),
        Op::Record(Box::new(push("oB", "k3", 1, FollowerEffect::Forget))),
        Op::Record(Box::new(text("oA", "k1", 2))),
        Op::Depart {
            account: "default".into(),
            openid: "oC".into(),
            day: 3,
        },
    ];
    let segments = segments(&ops);
    assert_eq!(segments.len(), 5);
    assert!(matches!(&segments[0], Segment::Records(w) if keys(w) == ["k1", "k2"]));
    assert!(matches!(
        segments[1],
        Segment::Forget {
            account: "default",
            openid: "oA",
            write: None,
            departed: None
        }
    ));
    assert!(matches!(
        segments[2],
        Segment::Forget { openid: "oB", write: Some(w), .. } if w.dedupe_key == "k3"
    ));
    assert!(matches!(&segments[3], Segment::Records(w) if keys(w) == ["k1"]));
    assert!(matches!(
        segments[4],
        Segment::Forget {
            openid: "oC",
            write: None,
            departed: Some(3),
            ..
        }
    ));
}

#[test]
fn the_first_write_of_a_key_wins_and_later_ones_are_duplicates() {
    let (a, b, c) = (
        text("oA", "k1", 0),
        text("oB", "k1", 1),
        text("oC", "k2", 2),
    );
    let writes = [&a, &b, &c];
    assert_eq!(keys(&first_of_keys(&writes)), ["k1", "k2"]);
    // k1 was inserted (id 7); k2 was already stored (no id back)
    let inserted = HashMap::from([(("default".to_string(), "k1".to_string()), 7)]);
    let resolved: Vec<_> = resolve(&writes, &inserted)
        .into_iter()
        .map(|r| match r {
            Resolved::Stored(id, write) => (Some(id), write.openid.as_str()),
            Resolved::Duplicate(_, key) => (None, key),
        })
        .collect();
    assert_eq!(resolved, [(Some(7), "oA"), (None, "k1"), (None, "k2")]);
}

#[test]
fn follower_effects_merge_per_openid_in_batch_order() {
    let location = FollowerEffect::Location {
        latitude: 1.5,
        longitude: 2.5,
        precision: 3.0,
    };
    let subscribe = |scene: Option<&str>| FollowerEffect::Subscribe {
        scene: scene.map(str::to_string),
    };
    let writes = [
        push("oB", "1", 10, location),
        push("oA", "2", 11, subscribe(Some("s"))),
        push("oB", "3", 12, subscribe(None)),
        text("oA", "4", 13),
        push("oA", "5", 14, subscribe(None)),
        push("oC", "6", 15, FollowerEffect::Scan { scene: "s".into() }),
    ];
    let stored: Vec<&PushWrite> = writes.iter().collect();
    let ms = |secs| millis(at(secs));
    let base = |openid, last| FollowerRow {
        account: "default",
        openid,
        last_seen_at: ms(last),
        subscribed_at: None,
        scene: None,
        loc_latitude: None,
        loc_longitude: None,
        loc_precision: None,
        loc_reported_at: None,
    };
    let a = FollowerRow {
        subscribed_at: Some(ms(14)),
        ..base("oA", 14)
    };
    let b = FollowerRow {
        subscribed_at: Some(ms(12)),
        loc_latitude: Some(1.5),
        loc_longitude: Some(2.5),
        loc_precision: Some(3.0),
        loc_reported_at: Some(ms(10)),
        ..base("oB", 12)
    };
    assert_eq!(followers(&stored), vec![a, b, base("oC", 15)]);
}

#[test]
fn counters_sum_per_scene_and_day() {
    let subscribe = |scene: &str| FollowerEffect::Subscribe {
        scene: Some(scene.into()),
    };
    let scan = |scene: &str| FollowerEffect::Scan {
        scene: scene.into(),
    };
    let writes = [
        push("oA", "1", 0, subscribe("s")),
        push("oB", "2", 5, scan("s")),
        push("oC", "3", 6, subscribe("s")),
        push("oD", "4", 86_400, subscribe("s")),
        push("oE", "5", 7, FollowerEffect::Subscribe { scene: None }),
        text("oF", "6", 8),
    ];
    let mut tally = Tally::default();
    for write in &writes {
        tally.record(write);
    }
    let unsubscribe = push("oA", "7", 9, FollowerEffect::Forget);
    tally.unsubscribe(&unsubscribe, Some("s"));
    let day = utc_day(at(0));
    // a sync found oC gone the next day: an unsubscribe of "s", no event
    tally.departure("default", day + 1, Some("s"));
    let scenes: Vec<_> = tally.scenes.into_iter().collect();
    assert_eq!(
        scenes,
        vec![
            (("default".to_string(), "s".to_string(), day), (2, 1, 1)),
            (("default".to_string(), "s".to_string(), day + 1), (1, 0, 1))
        ]
    );
    let days: Vec<_> = tally.days.into_iter().collect();
    let default = || "default".to_string();
    assert_eq!(
        days,
        vec![
            ((default(), day), (6, 3, 1, 1)),
            ((default(), day + 1), (1, 1, 1, 0))
        ]
    );
}

#[test]
fn deliveries_carry_their_push_openid_and_time_in_order() {
    let mut a = text("oA", "k1", 5);
    let mut b = text("oB", "k2", 6);
    for (write, webhooks) in [(&mut a, ["x", "y"].as_slice()), (&mut b, ["x"].as_slice())] {
        write.deliveries = webhooks
            .iter()
            .map(|webhook| crate::store::NewDelivery {
                webhook: webhook.to_string(),
                payload: "{}".into(),
                event_id: write.dedupe_key.clone(),
            })
            .collect();
    }
    let rows: Vec<_> = deliveries(&[&a, &b])
        .iter()
        .map(|row| (row.webhook, row.openid, row.event_id, row.created_at))
        .collect();
    let ms = |secs| millis(at(secs));
    assert_eq!(
        rows,
        [
            ("x", "oA", "k1", ms(5)),
            ("y", "oA", "k1", ms(5)),
            ("x", "oB", "k2", ms(6))
        ]
    );
}
