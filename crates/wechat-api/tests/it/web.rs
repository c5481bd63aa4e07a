//! The account's web side: the jsapi_ticket holder (single-flight, shared store, a refused
//! token replaced) and the sign-in code's exchange.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tokio::task::JoinSet;
use wechat_api::{authorize_url, ExposeSecret, MemoryTokenStore, OAuthScope, TokenStore};
use wechat_mock::WEB_OPENID;

use crate::support::{client_with, config, mock_url, setup};

#[tokio::test]
async fn fifty_concurrent_callers_make_one_getticket() {
    let (server, client) = setup().await;
    let mut callers = JoinSet::new();
    for _ in 0..50 {
        let client = client.clone();
        callers.spawn(async move {
            client
                .jsapi_ticket()
                .await
                .map(|t| t.token.expose_secret().to_owned())
        });
    }
    let tickets: Vec<_> = callers
        .join_all()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    assert_eq!(tickets.len(), 50);
    assert!(tickets.iter().all(|t| *t == tickets[0]));
    let appid = server.state.config().appid.clone();
    assert_eq!(server.state.jsapi_ticket(&appid), Some(tickets[0].clone()));
    assert_eq!(server.state.ticket_requests(), 1);
}

#[tokio::test]
async fn a_second_client_on_the_same_store_reuses_the_ticket() {
    let (server, _) = setup().await;
    let tokens: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let tickets: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let one =
        client_with(config(&server), Arc::clone(&tokens)).with_ticket_store(Arc::clone(&tickets));
    let two = client_with(config(&server), tokens).with_ticket_store(tickets);
    let first = one
        .jsapi_ticket()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    let second = two
        .jsapi_ticket()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    assert!(first.is_ok() && first.ok() == second.ok());
    assert_eq!(server.state.ticket_requests(), 1);
}

#[tokio::test]
async fn a_refused_token_is_replaced_and_the_ticket_fetched_with_the_new_one() {
    let (server, client) = setup().await;
    server.state.set_ticket_ttl(Duration::from_secs(2));
    let first = client
        .jsapi_ticket()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    assert!(first.is_ok(), "{first:?}");
    server.state.invalidate_tokens();
    // The 2-second ticket is due after 1 s: a bounded poll until the holder fetched again.
    let mut fresh = None;
    for _ in 0..100 {
        let now = client
            .jsapi_ticket()
            .await
            .map(|t| t.token.expose_secret().to_owned());
        if now.is_ok() && now.as_ref().ok() != first.as_ref().ok() {
            fresh = now.ok();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let appid = server.state.config().appid.clone();
    assert!(fresh.is_some());
    assert_eq!(fresh, server.state.jsapi_ticket(&appid));
    // getticket: the first, the one refused (40001), the one with the new token.
    assert_eq!(server.state.ticket_requests(), 3);
    assert_eq!(server.state.token_requests(), 2);
}

#[tokio::test]
async fn a_code_from_the_authorize_page_is_exchanged_once() {
    let (server, client) = setup().await;
    let base = mock_url(&server);
    let page = authorize_url(
        &base,
        &server.state.config().appid,
        "https://wx.example.com/cb",
        OAuthScope::UserInfo,
        "S1",
        &client.code_exchange().authorize_params(),
    );
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let answer = browser
        .get(page)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Url::parse(v).ok())
        .unwrap_or_else(|| panic!("no redirect"));
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let user = client.code_exchange().exchange(&code).await;
    let user = user.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user.openid, WEB_OPENID);
    assert_eq!(user.scope, "snsapi_userinfo");
    let profile = client
        .sign_in_profile(&user)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!profile.nickname.is_empty());
    let again = client.code_exchange().exchange(&code).await.err();
    assert_eq!(again.and_then(|e| e.code()), Some(40163));
}
