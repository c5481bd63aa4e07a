//! The third-party platform's own token and calls, against the mock over real sockets.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;
use wechat_api::{
    ApiError, AuthTarget, AuthType, CachedToken, ComponentClient, ExposeSecret, MemoryTokenStore,
    TokenStore,
};

use crate::support::{
    component_with, platform_mock, UnknownTokens, COMPONENT_APPID, COMPONENT_SECRET,
};

const ACCOUNT: &str = "wx570bc396a51b8ff8";

fn key() -> String {
    ComponentClient::token_key(COMPONENT_APPID)
}

#[tokio::test]
async fn without_a_ticket_there_is_no_component_token_and_no_call() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    let err = client.create_preauthcode().await.err();
    assert!(matches!(err, Some(ApiError::NoTicket)), "{err:?}");
    assert_eq!(server.state.component_token_requests(), 0);
}

#[tokio::test]
async fn fifty_concurrent_calls_make_one_component_token_request_with_the_newest_ticket() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    server.state.expire_tickets();
    server.state.issue_ticket();
    let store = Arc::new(MemoryTokenStore::new());
    let client = component_with(&server, store.clone());
    let mut callers = JoinSet::new();
    for _ in 0..50 {
        let client = client.clone();
        callers.spawn(async move { client.create_preauthcode().await.map(|c| c.code) });
    }
    let codes = callers.join_all().await;
    assert!(
        codes
            .iter()
            .all(|c| c.as_ref().is_ok_and(|c| c.starts_with("preauthcode@@@"))),
        "{codes:?}"
    );
    assert_eq!(server.state.component_token_requests(), 1);
    let stored = store.load(&key()).await.ok().flatten();
    let held = client.component_token().await.ok();
    assert!(stored.is_some() && held.is_some());
    assert_eq!(
        stored.map(|t| t.token.expose_secret().to_owned()),
        held.map(|t| t.token.expose_secret().to_owned())
    );
}

#[tokio::test]
async fn an_expired_ticket_is_wechats_error_61005() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    server.state.expire_tickets();
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    let err = client.component_token().await.err();
    assert_eq!(err.and_then(|e| e.code()), Some(61005));
}

#[tokio::test]
async fn two_instances_on_one_store_share_one_component_token() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let one = component_with(&server, Arc::clone(&store));
    let two = component_with(&server, store);
    let (a, b) = tokio::join!(one.component_token(), two.component_token());
    let (a, b) = (
        a.map(|t| t.token.expose_secret().to_owned()),
        b.map(|t| t.token.expose_secret().to_owned()),
    );
    assert!(a.is_ok() && a.ok() == b.ok());
    assert_eq!(server.state.component_token_requests(), 1);
}

#[tokio::test]
async fn a_refused_component_token_is_replaced_once_and_the_call_retried() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    assert!(client.create_preauthcode().await.is_ok());
    server.state.invalidate_component_tokens(); // 40001
    assert!(client.create_preauthcode().await.is_ok());
    server.state.expire_component_tokens(); // 42001
    assert!(client.create_preauthcode().await.is_ok());
    assert_eq!(server.state.component_token_requests(), 3);
}

/// The retry after a refusal is made once: when WeChat refuses the replacement too, that
/// refusal is the answer (two calls, two component tokens, no third of either).
#[tokio::test]
async fn a_component_token_refused_again_after_its_replacement_is_not_retried_twice() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    let store = Arc::new(UnknownTokens::default());
    let client = component_with(&server, store.clone());
    let err = client.create_preauthcode().await.err();
    assert_eq!(err.and_then(|e| e.code()), Some(40001));
    assert_eq!(server.state.requests(), 2, "the call and its one retry");
    assert_eq!(store.handed_out(), 2, "the token and its one replacement");
    assert_eq!(server.state.component_token_requests(), 0);
}

#[tokio::test]
async fn a_stored_token_within_the_margin_is_replaced_ahead_of_expiry() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let store = Arc::new(MemoryTokenStore::new());
    let soon = CachedToken {
        token: "old_component_token".into(),
        expires_at: Utc::now() + chrono::Duration::seconds(60),
    };
    store.save(&key(), &soon).await.ok();
    let client = component_with(&server, store);
    let token = client
        .component_token()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    assert!(
        token.as_ref().is_ok_and(|t| t != "old_component_token"),
        "{token:?}"
    );
    assert_eq!(server.state.component_token_requests(), 1);
}

/// On tokio's paused clock: another instance holds the lease of the component token's row and
/// saves its token 200 ms later (virtual); this one waits for it instead of fetching.
#[tokio::test(start_paused = true)]
async fn another_instance_fetching_the_component_token_is_waited_for() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let store = Arc::new(MemoryTokenStore::new());
    assert!(store
        .try_lease(&key(), "other-instance", Duration::from_secs(30))
        .await
        .unwrap_or(false));
    let other = store.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let token = CachedToken {
            token: "from_other".into(),
            expires_at: Utc::now() + chrono::Duration::hours(2),
        };
        other.save(&key(), &token).await.ok();
    });
    let token = component_with(&server, store)
        .component_token()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    assert_eq!(token.ok().as_deref(), Some("from_other"));
    assert_eq!(server.state.component_token_requests(), 0);
}

#[tokio::test]
async fn an_authorisation_code_is_exchanged_once() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    let grant = server.state.grant(ACCOUNT, Some("Test account"));
    let info = client.query_auth(&grant.auth_code).await;
    let info = info.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.authorizer_appid, ACCOUNT);
    assert_eq!(
        Some(info.refresh_token.expose_secret().to_owned()),
        server.state.refresh_token(ACCOUNT)
    );
    assert!(!info.func_info.is_empty());
    assert!(info.access_token.is_valid_at(Utc::now()));
    let again = client.query_auth(&grant.auth_code).await.err();
    assert_eq!(again.and_then(|e| e.code()), Some(61009));
    let unknown = client.query_auth("queryauthcode@@@nope").await.err();
    assert_eq!(unknown.and_then(|e| e.code()), Some(61009));
    assert_eq!(server.state.query_auth_requests(), 3);
}

#[tokio::test]
async fn authorizer_info_names_the_accounts_gh_id() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    server.state.grant(ACCOUNT, Some("Release test"));
    let info = client
        .authorizer_info(ACCOUNT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.user_name, "gh_3c884a361561");
    assert_eq!(info.nick_name, "Release test");
    assert_eq!((info.service_type, info.verify_type), (2, 0));
    assert!(!info.func_info.is_empty() && !info.qrcode_url.is_empty());
    let stranger = client.authorizer_info("wx9999999999999999").await.err();
    assert_eq!(stranger.and_then(|e| e.code()), Some(61003));
}

#[tokio::test]
async fn the_authorizer_list_pages_and_all_authorizers_reads_every_page() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    let appids = [
        "wx0000000000000001",
        "wx0000000000000002",
        "wx0000000000000003",
    ];
    for appid in appids {
        server.state.grant(appid, None);
    }
    let first = client
        .authorizer_list(0, 2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.total_count, 3);
    assert_eq!(first.list.len(), 2);
    let rest = client
        .authorizer_list(2, 2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rest.list.len(), 1);
    let all = client
        .all_authorizers()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let listed: Vec<&str> = all.iter().map(|e| e.authorizer_appid.as_str()).collect();
    assert_eq!(listed, appids);
    for entry in &all {
        assert_eq!(
            Some(entry.refresh_token.expose_secret().to_owned()),
            server.state.refresh_token(&entry.authorizer_appid)
        );
        assert!(entry.auth_time > 0);
    }
}

#[tokio::test]
async fn the_authorisation_pages_carry_a_fresh_pre_auth_code() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    let redirect = "https://wx.example.com/wechat/open/authorized";
    let one = client
        .authorize_urls(redirect, &AuthTarget::Type(AuthType::OfficialAccounts))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let two = client
        .authorize_urls(redirect, &AuthTarget::Type(AuthType::OfficialAccounts))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let code = |url: &reqwest::Url| {
        url.query_pairs()
            .find(|(k, _)| k == "pre_auth_code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    assert!(code(&one.pc).starts_with("preauthcode@@@"));
    assert_eq!(code(&one.pc), code(&one.mobile));
    assert_ne!(code(&one.pc), code(&two.pc));
    assert!(one
        .pc
        .as_str()
        .starts_with("https://mp.weixin.qq.com/cgi-bin/componentloginpage?"));
    assert!(one
        .mobile
        .as_str()
        .ends_with("&auth_type=1#wechat_redirect"));
}

#[tokio::test]
async fn start_push_ticket_is_accepted_with_the_component_secret() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    assert!(client.start_push_ticket().await.is_ok());
}

#[tokio::test]
async fn the_component_secret_and_tokens_never_show() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    let client = component_with(&server, Arc::new(MemoryTokenStore::new()));
    let grant = server.state.grant(ACCOUNT, None);
    let info = client
        .query_auth(&grant.auth_code)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let token = client
        .component_token()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ticket = server.state.current_ticket().unwrap_or_default();
    let failed = client.query_auth(&grant.auth_code).await.err();
    let shown = format!(
        "{client:?} {info:?} {token:?} {failed:?} {}",
        failed.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    for secret in [
        COMPONENT_SECRET,
        token.token.expose_secret(),
        info.refresh_token.expose_secret(),
        info.access_token.token.expose_secret(),
        ticket.as_str(),
        grant.auth_code.as_str(),
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
}
