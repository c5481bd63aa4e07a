//! The accounts port: accounts noted and listed, and an account erased from every table — its
//! rows only, the other account's untouched; a push under its name later is new again.
use std::collections::BTreeMap;

use super::fixtures::{push, text};
use super::TestDb;
use crate::store::accounts::{ACCOUNT_TABLES, SQLITE_ACCOUNT_TABLES};
use crate::store::web::{PendingSignIn, SignInResult};
use crate::store::{FollowerEffect, KnownAccount, NewDelivery, PushWrite, Recorded, StoredToken};

fn to(account: &str, mut write: PushWrite) -> PushWrite {
    write.account = account.to_string();
    write
}

fn note(name: &str, appid: &str) -> KnownAccount {
    KnownAccount {
        name: name.into(),
        appid: Some(appid.into()),
        security: Some("plain".into()),
        push_path: Some(format!("/wechat/{name}")),
        source: crate::store::SOURCE_CONFIG.into(),
    }
}

/// Rows per table holding `account` (`accounts` by its name), read straight from the database;
/// also every table that has an `account` column, to check the port knows them all.
async fn rows(db: &TestDb, account: &str) -> (BTreeMap<String, i64>, Vec<String>) {
    use sqlx::{Connection, Row};
    let mut counts = BTreeMap::new();
    let mut with_column = Vec::new();
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for table in tables {
            let has = conn
                .prepare(&format!(
                    "SELECT 1 FROM pragma_table_info('{table}') WHERE name = 'account'"
                ))
                .unwrap()
                .exists([])
                .unwrap();
            if has {
                with_column.push(table);
            }
        }
        for table in &with_column {
            let n: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM {table} WHERE account = ?1"),
                    [account],
                    |r| r.get(0),
                )
                .unwrap();
            counts.insert(table.clone(), n);
        }
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM accounts WHERE name = ?1",
                [account],
                |r| r.get(0),
            )
            .unwrap();
        counts.insert("accounts".into(), n);
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let tables = sqlx::query(
            "SELECT table_name::text FROM information_schema.columns \
             WHERE column_name = 'account' AND table_schema = 'public'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for row in tables {
            with_column.push(row.get::<String, _>(0));
        }
        for table in &with_column {
            let n: i64 =
                sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE account = $1"))
                    .bind(account)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            counts.insert(table.clone(), n);
        }
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE name = $1")
            .bind(account)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        counts.insert("accounts".into(), n);
    }
    with_column.sort();
    (counts, with_column)
}

async fn an_account_is_erased_from_every_table_and_only_it(db: TestDb) {
    let store = &db.store;
    store
        .note_accounts(&[note("one", "wx1"), note("two", "wx2")])
        .await
        .unwrap();
    for account in ["one", "two"] {
        let mut subscribe = to(
            account,
            push(
                "oA",
                "k1",
                0,
                FollowerEffect::Subscribe {
                    scene: Some("5".into()),
                },
            ),
        );
        subscribe.replay = Some(crate::store::GuardMark {
            guard: account.to_string(),
            mark: crate::push::replay::mark("1", "n", account, b"body"),
        });
        subscribe.deliveries = vec![NewDelivery {
            webhook: "crm".into(),
            payload: "{}".into(),
            event_id: "k1".into(),
        }];
        store.record(subscribe).await.unwrap();
        store
            .record(to(account, text("oA", "k2", 1)))
            .await
            .unwrap();
    }
    // The web pages' rows: sign-ins and their tickets by account, jsapi_tickets by appid.
    let later = chrono::Utc::now() + chrono::Duration::minutes(10);
    for (i, (account, appid)) in [("one", "wx1"), ("two", "wx2")].into_iter().enumerate() {
        let pending = PendingSignIn {
            account: account.into(),
            redirect: "https://example.com/".into(),
            scope: "snsapi_base".into(),
            expires_at: later,
        };
        store.save_sign_in(&[i as u8; 32], &pending).await.unwrap();
        let result = SignInResult {
            account: account.into(),
            appid: appid.into(),
            openid: "oA".into(),
            unionid: None,
            scope: "snsapi_base".into(),
            is_snapshotuser: false,
            userinfo: None,
            expires_at: later,
        };
        let ticket = [i as u8 + 10; 32];
        store.save_sign_in_result(&ticket, &result).await.unwrap();
        let jsapi = StoredToken {
            access_token: "ticket".into(),
            expires_at: later,
        };
        store.save_jsapi_ticket(appid, &jsapi).await.unwrap();
    }
    let names: Vec<String> = store
        .known_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["one", "two"]);
    let (before, tables) = rows(&db, "two").await;
    let sqlite = db.url.starts_with("sqlite://");
    let more = if sqlite { SQLITE_ACCOUNT_TABLES } else { &[] };
    let mut expected: Vec<String> = ACCOUNT_TABLES
        .iter()
        .chain(more)
        .map(|t| t.to_string())
        .collect();
    expected.sort();
    assert_eq!(
        tables, expected,
        "every table with an account column is erased"
    );
    // (Followers follow the log on SQLite: not in the file yet, maybe.)
    assert!(
        before["events"] > 0
            && before["accounts"] == 1
            && before["sign_ins"] == 1
            && before["sign_in_tickets"] == 1,
        "{before:?}"
    );

    let marked = |marks: Vec<(String, crate::store::ReplayMark)>| {
        let mut names: Vec<String> = marks.into_iter().map(|(name, _)| name).collect();
        names.sort();
        names
    };
    let since = chrono::Utc::now() - chrono::Duration::minutes(10);
    let marks = store.recent_marks(since).await.unwrap();
    assert_eq!(marked(marks), ["one", "two"]);

    store.erase_account("two", Some("wx2")).await.unwrap();
    let marks = store.recent_marks(since).await.unwrap();
    assert_eq!(marked(marks), ["one"]);
    let (after, _) = rows(&db, "two").await;
    assert!(after.values().all(|n| *n == 0), "{after:?}");
    let (kept, _) = rows(&db, "one").await;
    assert!(
        kept["events"] > 0 && kept["accounts"] == 1 && kept["sign_ins"] == 1,
        "{kept:?}"
    );
    assert!(store.load_jsapi_ticket("wx2").await.unwrap().is_none());
    assert!(store.load_jsapi_ticket("wx1").await.unwrap().is_some());
    assert_eq!(store.follower(Some("one"), "oA").await.unwrap().len(), 1);
    assert!(store.follower(Some("two"), "oA").await.unwrap().is_empty());
    let names: Vec<String> = store
        .known_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["one"]);
    // A push under the erased name with an old key is a new push, not a resend.
    let again = store.record(to("two", text("oA", "k2", 2))).await.unwrap();
    assert!(matches!(again, Recorded::Stored { .. }), "{again:?}");
    assert!(store.stored_reply("one", "k2").await.unwrap().is_some());
}
store_test!(an_account_is_erased_from_every_table_and_only_it);
