//! Two gateway instances on one PostgreSQL database: one component-token fetch and one
//! refresh per authorizer however many calls come to both at once (counted at the mock).
use futures::future::join_all;
use reqwest::StatusCode;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_fetch_the_component_token_once_and_refresh_each_authorizer_once() {
    crate::postgres::with_postgres("wxgate_open", |url| async move {
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
