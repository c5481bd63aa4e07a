//! A fresh PostgreSQL database for one test (`#[path]`-included by the test binaries that run
//! on PostgreSQL): made from `WXGATE_TEST_DATABASE_URL`, dropped afterwards, also when the test
//! fails. Without that variable the test FAILS, naming it: it never reports `ok` for work it
//! did not do (`.ci/run` sets it; `.ci/setup` starts the server).
#![allow(dead_code)]

use std::future::Future;

/// Runs `test` with the url of a fresh database named `{prefix}_{random}`.
pub async fn with_postgres<F, Fut>(prefix: &str, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    use futures::FutureExt;
    use sqlx::{Connection, Executor};

    let admin_url = std::env::var("WXGATE_TEST_DATABASE_URL").expect(
        "WXGATE_TEST_DATABASE_URL is not set: e.g. postgres://postgres@127.0.0.1:5432/test \
         (.ci/run sets it; .ci/setup starts PostgreSQL)",
    );
    let name = format!("{prefix}_{:016x}", rand::random::<u64>());
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
    let outcome = std::panic::AssertUnwindSafe(test(format!("{base}/{name}")))
        .catch_unwind()
        .await;
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .expect("drop database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
