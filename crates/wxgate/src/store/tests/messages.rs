//! Template messages in the store: queueing (idempotent, with its template job), sent / failed,
//! receipts before and after the msgid, forgetting.
use std::time::Duration;

use super::fixtures::{at, push, template_job};
use super::TestDb;
use crate::store::{FollowerEffect, NewMessage, TemplateJob};

fn message(openid: &str, key: Option<&str>, secs: i64) -> NewMessage {
    NewMessage {
        account: "default".into(),
        openid: openid.into(),
        template_id: "TPL".into(),
        idempotency_key: key.map(str::to_string),
        payload: format!(r#"{{"touser":"{openid}"}}"#),
        created_at: at(secs),
    }
}

async fn a_queued_message_is_a_template_job_and_its_key_is_taken_once(db: TestDb) {
    let first = db
        .store
        .queue_message(&message("o1", Some("k1"), 0))
        .await
        .unwrap();
    assert!(first.created);
    let again = db
        .store
        .queue_message(&message("o1", Some("k1"), 5))
        .await
        .unwrap();
    assert_eq!((again.id, again.created), (first.id, false));
    let other = db
        .store
        .queue_message(&message("o1", None, 6))
        .await
        .unwrap();
    let another = db
        .store
        .queue_message(&message("o1", None, 7))
        .await
        .unwrap();
    assert!(
        other.created && another.created && other.id != another.id,
        "no key: each new"
    );
    let row = db.store.message(first.id).await.unwrap().unwrap();
    assert_eq!(row.status, "queued");
    assert_eq!((row.msgid, row.error.as_deref()), (None, None));
    assert_eq!((row.created_at, row.updated_at), (at(0), at(0)));
    let claimed = db
        .store
        .claim_jobs(at(60), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "one at a time per openid: {claimed:?}");
    assert_eq!(
        template_job(&claimed[0]),
        &TemplateJob {
            message_id: first.id,
            payload: r#"{"touser":"o1"}"#.into()
        }
    );
    assert_eq!(db.store.message(first.id + 1000).await.unwrap(), None);
}
store_test!(a_queued_message_is_a_template_job_and_its_key_is_taken_once);

async fn sent_then_receipt_or_receipt_first_end_the_same(db: TestDb) {
    let a = db
        .store
        .queue_message(&message("o1", None, 0))
        .await
        .unwrap()
        .id;
    let b = db
        .store
        .queue_message(&message("o2", None, 0))
        .await
        .unwrap()
        .id;
    let c = db
        .store
        .queue_message(&message("o3", None, 0))
        .await
        .unwrap()
        .id;
    let rows = db
        .store
        .claim_jobs(at(1), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let row_of = |id: i64| {
        rows.iter()
            .find(|d| template_job(d).message_id == id)
            .unwrap()
            .id
    };

    db.store
        .message_sent(a, row_of(a), 1001, at(2))
        .await
        .unwrap();
    let sent = db.store.message(a).await.unwrap().unwrap();
    assert_eq!(
        (sent.status.as_str(), sent.msgid, sent.updated_at),
        ("sent", Some(1001), at(2))
    );
    let finished = db
        .store
        .message_receipt("default", 1001, "delivered", at(3))
        .await
        .unwrap();
    assert_eq!(finished, Some(a));
    let again = db
        .store
        .message_receipt("default", 1001, "delivered", at(4))
        .await
        .unwrap();
    assert_eq!(again, None, "a resent push changes nothing more");
    assert_eq!(
        db.store.message(a).await.unwrap().unwrap().status,
        "delivered"
    );

    // The push before the msgid is stored.
    assert_eq!(
        db.store
            .message_receipt("default", 1002, "blocked", at(3))
            .await
            .unwrap(),
        None
    );
    db.store
        .message_sent(b, row_of(b), 1002, at(4))
        .await
        .unwrap();
    assert_eq!(
        db.store.message(b).await.unwrap().unwrap().status,
        "blocked"
    );

    db.store
        .message_failed(c, row_of(c), "WeChat error 43004: require subscribe", at(2))
        .await
        .unwrap();
    let failed = db.store.message(c).await.unwrap().unwrap();
    assert_eq!(failed.status, "failed");
    assert_eq!(
        failed.error.as_deref(),
        Some("WeChat error 43004: require subscribe")
    );
    assert_eq!(
        db.store.pending_jobs().await.unwrap(),
        0,
        "every row settled"
    );
}
store_test!(sent_then_receipt_or_receipt_first_end_the_same);

async fn forgetting_deletes_the_users_messages_and_unsent_rows(db: TestDb) {
    let sent = db
        .store
        .queue_message(&message("o1", Some("k"), 0))
        .await
        .unwrap()
        .id;
    let row = db
        .store
        .claim_jobs(at(1), Duration::from_secs(60), 10)
        .await
        .unwrap()[0]
        .id;
    db.store.message_sent(sent, row, 7, at(2)).await.unwrap();
    let unsent = db
        .store
        .queue_message(&message("o1", None, 3))
        .await
        .unwrap()
        .id;
    let kept = db
        .store
        .queue_message(&message("o2", None, 3))
        .await
        .unwrap()
        .id;
    db.store.forget("default", "o1").await.unwrap();
    assert_eq!(db.store.message(sent).await.unwrap(), None);
    assert_eq!(db.store.message(unsent).await.unwrap(), None);
    assert!(db.store.message(kept).await.unwrap().is_some());
    assert_eq!(db.store.pending_jobs().await.unwrap(), 1, "o2's send stays");
    // An unsubscribe push forgets them too; the key is free again afterwards.
    db.store
        .queue_message(&message("o2", Some("k2"), 4))
        .await
        .unwrap();
    db.store
        .record(push("o2", "u1", 5, FollowerEffect::Forget))
        .await
        .unwrap();
    assert_eq!(db.store.message(kept).await.unwrap(), None);
    assert_eq!(db.store.pending_jobs().await.unwrap(), 0);
    let fresh = db
        .store
        .queue_message(&message("o1", Some("k"), 9))
        .await
        .unwrap();
    assert!(fresh.created, "the forgotten message's key is free");
}
store_test!(forgetting_deletes_the_users_messages_and_unsent_rows);
