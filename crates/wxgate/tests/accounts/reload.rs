//! Accounts that come and go without a restart (the real binary, SIGHUP): an account added to
//! the file is served at once, one whose token changed refuses the old signature on its next
//! push, one taken out is 404 while its records stay readable until `DELETE
//! /api/accounts/{name}` erases them from every table — all while another account takes a
//! steady load of pushes, none of which fails.
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use wechat_proto::signature;

use crate::harness::{fresh, ADMIN};
use crate::process::Proc;
use crate::pushes::{event_xml, now, text_xml};

/// One `[[accounts]]` entry: (name, token).
fn config(db: &Path, accounts: &[(&str, &str)]) -> String {
    let entries: String = accounts
        .iter()
        .map(|(name, token)| format!("[[accounts]]\nname = \"{name}\"\ntoken = \"{token}\"\n"))
        .collect();
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npath = \"/wechat\"\n{entries}\
         [storage]\nurl = \"sqlite://{}\"\n[admin]\ntoken = \"{ADMIN}\"\n",
        db.display()
    )
}

/// A push of `xml` to `/wechat/{name}` signed with `token`: its status.
async fn push(http: &reqwest::Client, serve: &Proc, name: &str, token: &str, xml: &str) -> u16 {
    let (ts, nonce) = (now().to_string(), fresh());
    let query = format!(
        "signature={}&timestamp={ts}&nonce={nonce}",
        signature(token, &ts, &nonce)
    );
    match http
        .post(format!("{}?{query}", serve.url(&format!("/wechat/{name}"))))
        .body(xml.to_string())
        .send()
        .await
    {
        Ok(resp) => resp.status().as_u16(),
        Err(_) => 0,
    }
}

/// URL verification of `/wechat/{name}` signed with `token`: its status.
async fn verify(http: &reqwest::Client, serve: &Proc, name: &str, token: &str) -> u16 {
    let (ts, nonce) = (now().to_string(), fresh());
    let query = format!(
        "signature={}&timestamp={ts}&nonce={nonce}&echostr=hi",
        signature(token, &ts, &nonce)
    );
    let url = format!("{}?{query}", serve.url(&format!("/wechat/{name}")));
    http.get(url)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// Polls `check` every 20 ms until it holds, for 10 s at most.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within 10 s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Rows naming `account` in each table with an `account` column, and in `accounts`.
fn rows_of(db: &Path, account: &str) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .expect("tables");
    tables.sort();
    let mut counts = Vec::new();
    for table in tables {
        let columns: Vec<String> = conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(1))?
                    .collect::<rusqlite::Result<_>>()
            })
            .expect("columns");
        let column = if table == "accounts" {
            "name"
        } else if columns.iter().any(|c| c == "account") {
            "account"
        } else {
            continue;
        };
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE {column} = ?1"),
                [account],
                |r| r.get(0),
            )
            .expect("count");
        counts.push((table, n));
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_added_changed_and_removed_on_sighup_under_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, file) = (dir.path().join("wx.db"), dir.path().join("wxgate.toml"));
    let write = |accounts: &[(&str, &str)]| {
        std::fs::write(&file, config(&db, accounts)).expect("write the config")
    };
    write(&[("steady", "tokensteady"), ("leaving", "tokenleaving")]);
    let serve = Proc::start(&file);
    let http = reqwest::Client::new();

    // The records `leaving` will keep: a follower from a QR scene, two events.
    let subscribe = event_xml("oLeaving", "subscribe", Some("qrscene_7"), now());
    assert_eq!(
        push(&http, &serve, "leaving", "tokenleaving", &subscribe).await,
        200
    );
    let text = text_xml("oLeaving", "hello", 424_242);
    assert_eq!(
        push(&http, &serve, "leaving", "tokenleaving", &text).await,
        200
    );

    // The load: pushes to `steady` all along, each of which must be answered 200.
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let serve = Arc::new(serve);
    let mut load = Vec::new();
    for worker in 0..4u64 {
        let (stop, sent, failed) = (stop.clone(), sent.clone(), failed.clone());
        let (serve, http) = (serve.clone(), http.clone());
        load.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let xml = text_xml(&format!("oSteady{worker}"), "load", worker * 1_000_000 + i);
                let status = push(&http, &serve, "steady", "tokensteady", &xml).await;
                sent.fetch_add(1, Ordering::Relaxed);
                if status != 200 {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    // Added: `/wechat/newcomer` is 404 until the SIGHUP, then verifies and takes pushes.
    assert_eq!(verify(&http, &serve, "newcomer", "tokennew").await, 404);
    write(&[
        ("steady", "tokensteady"),
        ("leaving", "tokenleaving"),
        ("newcomer", "tokennew"),
    ]);
    serve.signal("-HUP");
    until("the added account verifies", || async {
        verify(&http, &serve, "newcomer", "tokennew").await == 200
    })
    .await;
    let hello = text_xml("oNew", "first", 777_001);
    assert_eq!(
        push(&http, &serve, "newcomer", "tokennew", &hello).await,
        200
    );

    // Changed token: the next push signed with the old one is refused.
    write(&[
        ("steady", "tokensteady"),
        ("leaving", "tokenleaving"),
        ("newcomer", "tokenrenewed"),
    ]);
    serve.signal("-HUP");
    until("the new token is taken", || async {
        verify(&http, &serve, "newcomer", "tokenrenewed").await == 200
    })
    .await;
    let again = text_xml("oNew", "second", 777_002);
    assert_eq!(
        push(&http, &serve, "newcomer", "tokennew", &again).await,
        403
    );
    assert_eq!(
        push(&http, &serve, "newcomer", "tokenrenewed", &again).await,
        200
    );

    // Removed: 404, its records still readable, listed as removed.
    write(&[("steady", "tokensteady"), ("newcomer", "tokenrenewed")]);
    serve.signal("-HUP");
    until("the removed account is no longer served", || async {
        verify(&http, &serve, "leaving", "tokenleaving").await == 404
    })
    .await;
    let late = text_xml("oLeaving", "anyone?", 424_243);
    assert_eq!(
        push(&http, &serve, "leaving", "tokenleaving", &late).await,
        404
    );
    let (status, events) = serve
        .api(ADMIN, Method::GET, "/api/events?account=leaving", None)
        .await;
    assert_eq!(status, 200, "{events}");
    assert_eq!(
        events["events"].as_array().map(Vec::len),
        Some(2),
        "{events}"
    );
    let (_, follower) = serve
        .api(
            ADMIN,
            Method::GET,
            "/api/followers/oLeaving?account=leaving",
            None,
        )
        .await;
    assert_eq!(follower["scene"], "7", "{follower}");
    let (_, listed) = serve.api(ADMIN, Method::GET, "/api/accounts", None).await;
    assert_eq!(
        status_of_in(&listed, "steady"),
        Some("active".into()),
        "{listed}"
    );
    assert_eq!(
        status_of_in(&listed, "leaving"),
        Some("removed".into()),
        "{listed}"
    );
    assert!(rows_of(&db, "leaving").iter().any(|(_, n)| *n > 0));

    // Erased: 409 while served, 204 once not; then no table holds a row of it.
    let (status, _) = serve
        .api(ADMIN, Method::DELETE, "/api/accounts/steady", None)
        .await;
    assert_eq!(status, 409);
    let (status, _) = serve
        .api(ADMIN, Method::DELETE, "/api/accounts/leaving", None)
        .await;
    assert_eq!(status, 204);
    let left: Vec<_> = rows_of(&db, "leaving")
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(left.is_empty(), "rows left: {left:?}");
    let (_, listed) = serve.api(ADMIN, Method::GET, "/api/accounts", None).await;
    assert_eq!(status_of_in(&listed, "leaving"), None, "{listed}");
    let (status, _) = serve
        .api(ADMIN, Method::GET, "/api/events?account=leaving", None)
        .await;
    assert_eq!(status, 400, "an account erased is unknown");
    // The other accounts' records are untouched.
    assert!(rows_of(&db, "newcomer").iter().any(|(_, n)| *n > 0));

    stop.store(true, Ordering::Relaxed);
    for worker in load {
        worker.await.expect("load worker");
    }
    let (sent, failed) = (sent.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(sent > 20, "the load ran: {sent} pushes");
    assert_eq!(
        failed, 0,
        "{failed} of {sent} pushes to the steady account failed"
    );
}

fn status_of_in(listed: &Value, name: &str) -> Option<Value> {
    listed["accounts"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["name"] == name))
        .map(|a| a["status"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_list_pages_past_its_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, file) = (dir.path().join("wx.db"), dir.path().join("wxgate.toml"));
    let names: Vec<String> = (0..5).map(|i| format!("acct{i}")).collect();
    let accounts: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "tok")).collect();
    std::fs::write(&file, config(&db, &accounts)).expect("config");
    let serve = Proc::start(&file);
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!("/api/accounts?limit=2&after={after}");
        let (status, page) = serve.api(ADMIN, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{page}");
        for a in page["accounts"].as_array().expect("accounts") {
            seen.push(a["name"].as_str().expect("name").to_string());
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, names);
    let (status, _) = serve
        .api(ADMIN, Method::GET, "/api/accounts?after=nobody", None)
        .await;
    assert_eq!(status, 400);
}

/// POSTs `xml` to `/wechat/{name}` under the signed query of (`token`, `ts`, `nonce`).
async fn push_query(
    http: &reqwest::Client,
    serve: &Proc,
    name: &str,
    (token, ts, nonce): (&str, &str, &str),
    xml: &str,
) -> u16 {
    let query = format!(
        "signature={}&timestamp={ts}&nonce={nonce}",
        signature(token, ts, nonce)
    );
    http.post(format!("{}?{query}", serve.url(&format!("/wechat/{name}"))))
        .body(xml.to_string())
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// Two accounts with one push Token share one replay guard: a query seen at one account's URL
/// is refused with another body at the other's — also after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_sharing_a_token_share_one_replay_guard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, file) = (dir.path().join("wx.db"), dir.path().join("wxgate.toml"));
    let shared = [("first", "onetoken"), ("second", "onetoken")];
    std::fs::write(&file, config(&db, &shared)).expect("config");
    let serve = Proc::start(&file);
    let http = reqwest::Client::new();
    let (ts, nonce) = (now().to_string(), fresh());
    let query = ("onetoken", ts.as_str(), nonce.as_str());
    let real = text_xml("oA", "real", 515_001);
    assert_eq!(push_query(&http, &serve, "first", query, &real).await, 200);
    let forged = text_xml("oA", "forged", 515_002);
    assert_eq!(
        push_query(&http, &serve, "second", query, &forged).await,
        403
    );
    drop(serve);

    let serve = Proc::start(&file);
    let again = text_xml("oA", "forged after a restart", 515_003);
    assert_eq!(
        push_query(&http, &serve, "second", query, &again).await,
        403
    );
}
