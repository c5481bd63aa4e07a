//! The notify-webhook outbox: deliveries written with their push, kept after a forget,
//! handed out oldest first per (webhook, openid), leased, retried, dropped by age.
use std::time::Duration;

use super::fixtures::{at, push, refuse_inserts, text, webhook_job};
use super::TestDb;
use crate::store::{ClaimedJob, FollowerEffect, NewDelivery, PushWrite, Recorded};

const LEASE: Duration = Duration::from_secs(30);

/// `write` with one delivery per webhook in `webhooks` (payload names webhook and key).
fn notifying(mut write: PushWrite, webhooks: &[&str]) -> PushWrite {
    write.deliveries = webhooks
        .iter()
        .map(|webhook| NewDelivery {
            webhook: webhook.to_string(),
            payload: format!(r#"{{"webhook":"{webhook}","id":"{}"}}"#, write.dedupe_key),
            event_id: write.dedupe_key.clone(),
        })
        .collect();
    write
}

/// (webhook, event_id) of claimed deliveries, in order.
fn names(claimed: &[ClaimedJob]) -> Vec<(String, String)> {
    claimed
        .iter()
        .map(webhook_job)
        .map(|w| (w.webhook.clone(), w.event_id.clone()))
        .collect()
}

fn pair(webhook: &str, event_id: &str) -> (String, String) {
    (webhook.to_string(), event_id.to_string())
}

async fn deliveries_are_written_with_the_push_but_not_for_a_duplicate(db: TestDb) {
    let store = &db.store;
    let write = notifying(text("oA", "m1", 0), &["crm", "audit"]);
    store.record(write.clone()).await.unwrap();
    assert!(matches!(
        store.record(write).await.unwrap(),
        Recorded::Duplicate { .. }
    ));
    assert_eq!(store.pending_jobs().await.unwrap(), 2);
    let claimed = store.claim_jobs(at(10), LEASE, 10).await.unwrap();
    assert_eq!(names(&claimed), [pair("crm", "m1"), pair("audit", "m1")]);
    let crm = &claimed[0];
    assert_eq!(crm.openid, "oA");
    assert_eq!(webhook_job(crm).payload, r#"{"webhook":"crm","id":"m1"}"#);
    assert_eq!((crm.attempts, crm.created_at), (0, at(0)));
    assert!(claimed[0].id < claimed[1].id, "ids ascend in push order");
}
store_test!(deliveries_are_written_with_the_push_but_not_for_a_duplicate);

async fn deliveries_are_kept_after_a_forget_ending_with_the_unsubscribe(db: TestDb) {
    let store = &db.store;
    store
        .record(notifying(text("oA", "a1", 0), &["crm"]))
        .await
        .unwrap();
    store
        .record(notifying(text("oB", "b1", 1), &["crm"]))
        .await
        .unwrap();
    let unsubscribe = notifying(push("oA", "a2", 2, FollowerEffect::Forget), &["crm"]);
    assert_eq!(
        store.record(unsubscribe).await.unwrap(),
        Recorded::Forgotten
    );
    store
        .forget(crate::store::DEFAULT_ACCOUNT, "oB")
        .await
        .unwrap();
    assert_eq!(
        store
            .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
            .await
            .unwrap()
            .pop(),
        None
    );
    assert_eq!(store.pending_jobs().await.unwrap(), 3);
    let mut delivered = Vec::new();
    for _ in 0..3 {
        for delivery in store.claim_jobs(at(10), LEASE, 10).await.unwrap() {
            delivered.push(pair(&delivery.openid, &webhook_job(&delivery).event_id));
            store.job_done(delivery.id).await.unwrap();
        }
    }
    assert_eq!(
        delivered,
        [pair("oA", "a1"), pair("oB", "b1"), pair("oA", "a2")]
    );
    assert_eq!(store.pending_jobs().await.unwrap(), 0);
}
store_test!(deliveries_are_kept_after_a_forget_ending_with_the_unsubscribe);

async fn only_the_oldest_of_an_openid_is_claimed_until_it_is_done(db: TestDb) {
    let store = &db.store;
    for (openid, key, secs) in [("oA", "a1", 0), ("oA", "a2", 1), ("oB", "b1", 2)] {
        store
            .record(notifying(text(openid, key, secs), &["crm"]))
            .await
            .unwrap();
    }
    // another webhook of the same openid is its own queue
    store
        .record(notifying(text("oA", "a3", 3), &["audit"]))
        .await
        .unwrap();
    let claimed = store.claim_jobs(at(10), LEASE, 10).await.unwrap();
    assert_eq!(
        names(&claimed),
        [pair("crm", "a1"), pair("crm", "b1"), pair("audit", "a3")]
    );
    // a2 waits for a1 even once a1's lease ran out...
    let later = at(10 + 31);
    let again = store.claim_jobs(later, LEASE, 10).await.unwrap();
    assert_eq!(
        names(&again),
        [pair("crm", "a1"), pair("crm", "b1"), pair("audit", "a3")],
        "expired leases are handed out again"
    );
    // ...and is handed out once a1 is done
    store.job_done(again[0].id).await.unwrap();
    let next = store.claim_jobs(at(10 + 62), LEASE, 10).await.unwrap();
    assert_eq!(
        names(&next),
        [pair("crm", "a2"), pair("crm", "b1"), pair("audit", "a3")]
    );
    // limit: the oldest first
    store.job_done(next[0].id).await.unwrap();
    let one = store.claim_jobs(at(200), LEASE, 1).await.unwrap();
    assert_eq!(names(&one), [pair("crm", "b1")]);
}
store_test!(only_the_oldest_of_an_openid_is_claimed_until_it_is_done);

async fn a_claim_is_not_handed_out_again_within_its_lease(db: TestDb) {
    let store = &db.store;
    store
        .record(notifying(text("oA", "a1", 0), &["crm"]))
        .await
        .unwrap();
    assert_eq!(store.claim_jobs(at(10), LEASE, 10).await.unwrap().len(), 1);
    for secs in [10, 20, 39] {
        let claimed = store.claim_jobs(at(secs), LEASE, 10).await.unwrap();
        assert!(claimed.is_empty(), "at {secs}: {claimed:?}");
    }
    assert_eq!(store.claim_jobs(at(40), LEASE, 10).await.unwrap().len(), 1);
}
store_test!(a_claim_is_not_handed_out_again_within_its_lease);

async fn a_failed_delivery_is_due_again_later_with_one_more_attempt(db: TestDb) {
    let store = &db.store;
    store
        .record(notifying(text("oA", "a1", 0), &["crm"]))
        .await
        .unwrap();
    store
        .record(notifying(text("oA", "a2", 1), &["crm"]))
        .await
        .unwrap();
    let first = store.claim_jobs(at(10), LEASE, 10).await.unwrap();
    store.job_failed(first[0].id, at(100)).await.unwrap();
    // released but not due yet; a2 still waits behind it
    assert!(store
        .claim_jobs(at(50), LEASE, 10)
        .await
        .unwrap()
        .is_empty());
    let retry = store.claim_jobs(at(100), LEASE, 10).await.unwrap();
    assert_eq!(names(&retry), [pair("crm", "a1")]);
    assert_eq!(retry[0].attempts, 1);
    store.job_failed(retry[0].id, at(101)).await.unwrap();
    let retry = store.claim_jobs(at(101), LEASE, 10).await.unwrap();
    assert_eq!(retry[0].attempts, 2);
}
store_test!(a_failed_delivery_is_due_again_later_with_one_more_attempt);

async fn deliveries_past_max_age_are_dropped_per_webhook(db: TestDb) {
    let store = &db.store;
    for (key, secs) in [("a1", 0), ("a2", 100)] {
        store
            .record(notifying(text("oA", key, secs), &["crm", "audit"]))
            .await
            .unwrap();
    }
    assert_eq!(store.pending_jobs().await.unwrap(), 4);
    assert_eq!(store.drop_webhook_jobs("crm", at(100)).await.unwrap(), 1);
    assert_eq!(store.drop_webhook_jobs("nope", at(1000)).await.unwrap(), 0);
    assert_eq!(store.pending_jobs().await.unwrap(), 3);
    let claimed = store.claim_jobs(at(200), LEASE, 10).await.unwrap();
    assert_eq!(names(&claimed), [pair("audit", "a1"), pair("crm", "a2")]);
}
store_test!(deliveries_past_max_age_are_dropped_per_webhook);

async fn deliveries_survive_close_and_reopen(db: TestDb) {
    db.store
        .record(notifying(text("oA", "a1", 0), &["crm"]))
        .await
        .unwrap();
    db.store
        .record(notifying(text("oA", "a2", 1), &["crm"]))
        .await
        .unwrap();
    let claimed = db.store.claim_jobs(at(10), LEASE, 10).await.unwrap();
    db.store.job_failed(claimed[0].id, at(20)).await.unwrap();
    db.store.close().await;
    let reopened = crate::store::open(&db.url.parse().expect("a storage url"))
        .await
        .unwrap();
    assert_eq!(reopened.pending_jobs().await.unwrap(), 2);
    let claimed = reopened.claim_jobs(at(20), LEASE, 10).await.unwrap();
    assert_eq!(names(&claimed), [pair("crm", "a1")]);
    assert_eq!(claimed[0].attempts, 1);
    reopened.close().await;
}
store_test!(deliveries_survive_close_and_reopen);

async fn a_push_and_its_deliveries_are_written_together_or_not_at_all(db: TestDb) {
    refuse_inserts(&db.url, "outbox", "webhook", "bad").await;
    let writes = (0..30).map(|i| {
        let webhook = if i % 10 == 3 { "bad" } else { "crm" };
        let write = notifying(text(&format!("o{i}"), &format!("k{i}"), i), &[webhook]);
        db.store.record(write)
    });
    let outcomes = futures::future::join_all(writes).await;
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.is_err(), i % 10 == 3, "{i}: {outcome:?}");
    }
    assert_eq!(db.store.stats(None).await.unwrap().events, 27);
    assert_eq!(
        db.store
            .stored_reply(crate::store::DEFAULT_ACCOUNT, "k3")
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.store.pending_jobs().await.unwrap(), 27);
}
store_test!(a_push_and_its_deliveries_are_written_together_or_not_at_all);
