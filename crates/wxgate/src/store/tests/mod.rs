//! The storage test suite: every test runs on a temp-file SQLite database and, when
//! `WXGATE_TEST_DATABASE_URL` is set, again on a fresh PostgreSQL database.
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::{Store, StoredToken};

/// A store under test and the url it was opened from (to reopen it).
pub(super) struct TestDb {
    /// the store
    pub(super) store: Arc<dyn Store>,
    /// its url (to reopen it, or to reach the database directly)
    pub(super) url: String,
}

impl TestDb {
    /// The stored token of `appid` as plain `(token, expires_at)`, to compare in asserts.
    pub(super) async fn token(&self, appid: &str) -> Option<(String, DateTime<Utc>)> {
        self.store
            .load_token(appid)
            .await
            .unwrap()
            .map(|t| plain(&t))
    }
}

/// A token as plain `(token, expires_at)`, to compare in asserts.
pub(super) fn plain(token: &StoredToken) -> (String, DateTime<Utc>) {
    (
        token.access_token.expose_secret().to_owned(),
        token.expires_at,
    )
}

/// Runs `test` on a fresh temp-file SQLite store, then closes it.
pub(super) async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("wxgate.db").display());
    let store = super::open(&url.parse().expect("a storage url"))
        .await
        .expect("open sqlite");
    test(TestDb {
        store: store.clone(),
        url,
    })
    .await;
    store.close().await;
}

/// Runs `test` on a fresh PostgreSQL database (dropped afterwards, also when it fails),
/// or skips with a note when `WXGATE_TEST_DATABASE_URL` is unset.
pub(super) async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    with_postgres_database(|url| async move {
        let store = super::open(&url.parse().expect("a storage url"))
            .await
            .expect("open postgres");
        test(TestDb {
            store: store.clone(),
            url,
        })
        .await;
        store.close().await;
    })
    .await;
}

/// Applies the PostgreSQL migrations numbered below `until` to `pool` (the twin of SQLite's
/// `migrate_before`: tests build older databases with it).
pub(crate) async fn migrate_postgres_before(pool: &sqlx::PgPool, until: i64) {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    let before: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < until)
        .cloned()
        .collect();
    migrator.migrations = before.into();
    migrator.run(pool).await.expect("older migrations");
}

/// Runs `test` with the url of a fresh, empty PostgreSQL database (dropped afterwards, also
/// when it fails); fails when `WXGATE_TEST_DATABASE_URL` is unset.
pub(crate) async fn with_postgres_database<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    use futures::FutureExt;
    use sqlx::{Connection, Executor};

    // A test that cannot run fails, naming what it needs: never an `ok` for work not done.
    let Ok(admin_url) = std::env::var("WXGATE_TEST_DATABASE_URL") else {
        panic!(
            "WXGATE_TEST_DATABASE_URL is not set: the PostgreSQL half of the store tests needs \
             a server (`.ci/setup` starts Debian's), e.g. \
             WXGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test"
        );
    };
    let name = format!("wxgate_test_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect postgres");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    let url = format!("{base}/{name}");
    let outcome = std::panic::AssertUnwindSafe(test(url)).catch_unwind().await;
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .expect("drop database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `store_test!(name);` runs `async fn name(db: TestDb)` on SQLite and on PostgreSQL as
/// `name::sqlite` and `name::postgres`.
macro_rules! store_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::store::tests::on_sqlite(super::$name).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::store::tests::on_postgres(super::$name).await;
            }
        }
    };
}

mod fixtures;

mod accounts;
mod batch;
mod concurrency;
mod daily;
mod erase;
mod fault;
mod forget;
mod instances;
mod jobs;
mod messages;
mod open;
mod outbox;
mod plan;
mod platform;
mod queries;
mod record;
mod recovery;
mod replay;
mod scrub;
mod sync;
mod tokens;
mod tombstone;
mod upgrade;
mod web;
