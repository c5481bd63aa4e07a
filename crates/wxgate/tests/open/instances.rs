//! Two gateway instances on one PostgreSQL database: one component-token fetch and one
//! refresh per authorizer however many calls come to both at once (counted at the mock).
use futures::future::join_all;
use reqwest::StatusCode;

use crate::harness::*;

/// Runs `test` with the url of a fresh PostgreSQL database (dropped afterwards).
async fn with_postgres<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures::FutureExt;
    use sqlx::{Connection, Executor};

    // A test that cannot run fails, naming what it needs.
    let admin_url = std::env::var("WXGATE_TEST_DATABASE_URL").expect(
        "WXGATE_TEST_DATABASE_URL is not set: e.g. postgres://postgres@127.0.0.1:5432/test",
    );
    let name = format!("wxgate_open_{:016x}", rand::random::<u64>());
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_fetch_the_component_token_once_and_refresh_each_authorizer_once() {
    with_postgres(|url| async move {
        let mock = mock().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let text = config_toml(&url, &mock.base_url(), "");
        let second = Gateway::start(dir.path(), &text, &mock).await;
        let first = Gateway::start(dir.path(), &text, &mock).await;
        push_ticket(&first, &mock.state).await;
        let calls = (0..8)
            .flat_map(|_| [&first, &second])
            .map(|gw| async move { gw.get("/api/open/component_access_token").await.0 });
        let statuses = join_all(calls).await;
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
        assert_eq!(mock.state.component_token_requests(), 1);

        const A: &str = "wxa1a1a1a1a1a1a1a1";
        authorize(&mock, A).await;
        first.wait_status(A, Some("authorized")).await;
        // The second instance learns of the account at its next start; here it asks the
        // registry it shares nothing with: restart it to load the authorizer.
        second.stop().await;
        let second = Gateway::start(dir.path(), &text, &mock).await;
        mock.state.set_platform_push_to(Some(&first.url("/wechat")));
        assert_eq!(mock.state.authorizer_token_requests(), 0);
        // WeChat refuses the token api_query_auth gave: both instances replace it at once.
        mock.state.invalidate_tokens();
        let path = format!("/api/wechat/cgi-bin/get_current_selfmenu_info?account={A}");
        let calls = (0..8).flat_map(|_| [&first, &second]).map(|gw| {
            let path = path.clone();
            async move { gw.get(&path).await.0 }
        });
        let statuses = join_all(calls).await;
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
        assert_eq!(mock.state.authorizer_token_requests(), 1);
        first.stop().await;
        second.stop().await;
    })
    .await;
}
