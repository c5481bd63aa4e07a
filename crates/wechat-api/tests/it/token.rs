//! The central token: single-flight, persistence, refusal handling, busy retries, secrecy.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;
use wechat_api::{CachedToken, ExposeSecret, MemoryTokenStore, SecretString, TokenStore};

use crate::support::{client_with, config, mock, setup, user_info_call, UnknownTokens, SECRET};

#[tokio::test]
async fn fifty_concurrent_callers_make_one_token_request() {
    let (server, client) = setup().await;
    let mut callers = JoinSet::new();
    for _ in 0..50 {
        let client = client.clone();
        callers.spawn(async move {
            client
                .access_token()
                .await
                .map(|t| t.token.expose_secret().to_owned())
        });
    }
    let tokens: Vec<_> = callers
        .join_all()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    assert_eq!(tokens.len(), 50);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(server.state.token_requests(), 1);
}

#[tokio::test]
async fn expired_token_mid_flight_is_refreshed_once_and_calls_succeed() {
    let (server, client) = setup().await;
    let first = client
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned())
        .unwrap_or_default();
    server.state.expire_tokens();
    let mut callers = JoinSet::new();
    for _ in 0..20 {
        let client = client.clone();
        callers.spawn(async move { client.user_info("oUser_123").await.map(|u| u.subscribe) });
    }
    let answers = callers.join_all().await;
    assert!(answers.iter().all(|a| matches!(a, Ok(1))), "{answers:?}");
    assert_eq!(server.state.token_requests(), 2);
    let second = client
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned())
        .unwrap_or_default();
    assert_ne!(first, second);
}

#[tokio::test]
async fn invalidated_token_answers_40001_then_one_refresh_and_the_call_succeeds() {
    let (server, client) = setup().await;
    assert!(client.user_info("oUser_123").await.is_ok());
    server.state.invalidate_tokens();
    let info = client.user_info("oUser_123").await;
    assert!(info.is_ok_and(|u| u.openid == "oUser_123"));
    assert_eq!(server.state.token_requests(), 2);
}

/// The retry after a refusal is made once: when WeChat refuses the replacement too, that
/// refusal is the answer (two calls, two tokens, no third of either).
#[tokio::test]
async fn a_token_refused_again_after_its_replacement_is_not_retried_twice() {
    let server = mock(Duration::from_secs(7200)).await;
    let store = Arc::new(UnknownTokens::default());
    let client = client_with(config(&server), store.clone());
    let err = client.user_info("oUser_123").await.err();
    assert_eq!(err.and_then(|e| e.code()), Some(40001));
    assert_eq!(server.state.requests(), 2, "the call and its one retry");
    assert_eq!(store.handed_out(), 2, "the token and its one replacement");
    assert_eq!(server.state.token_requests(), 0);

    // The proxy's call too (with the token held since): the second refusal is WeChat's
    // answer, passed on.
    let call = user_info_call();
    let answer = client
        .forward(&call)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((answer.errcode, answer.retried), (Some(40001), true));
    assert_eq!(server.state.requests(), 4);
    assert_eq!(
        store.handed_out(),
        3,
        "the token held since, and its one replacement"
    );
}

#[tokio::test]
async fn a_refused_current_token_is_force_refreshed_at_most_once_per_interval() {
    let (server, client) = setup().await;
    assert!(client.user_info("oUser_123").await.is_ok());
    server.state.refuse_current_tokens();
    // stable_token hands back the refused token, so the holder forces a new one.
    assert!(client.user_info("oUser_123").await.is_ok());
    assert_eq!(server.state.token_requests(), 3);
    // Within 30 s no second force: the refusal reaches the caller.
    server.state.refuse_current_tokens();
    let err = client.user_info("oUser_123").await.err();
    assert_eq!(err.and_then(|e| e.code()), Some(40001));
    assert_eq!(server.state.token_requests(), 4);
}

#[tokio::test]
async fn busy_answers_are_retried() {
    let (server, client) = setup().await;
    assert!(client.access_token().await.is_ok());
    let before = server.state.requests();
    server.state.fail_next(2, -1);
    assert!(client.user_info("oUser_123").await.is_ok());
    assert_eq!(server.state.requests() - before, 3);
}

#[tokio::test]
async fn busy_retries_are_bounded() {
    let (server, client) = setup().await;
    assert!(client.access_token().await.is_ok());
    let before = server.state.requests();
    server.state.fail_next(10, -1);
    let err = client.user_info("oUser_123").await.err();
    assert_eq!(err.and_then(|e| e.code()), Some(-1));
    assert_eq!(server.state.requests() - before, 4);
}

#[tokio::test]
async fn a_second_holder_on_the_same_store_makes_no_token_request() {
    let server = mock(Duration::from_secs(7200)).await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let first = client_with(config(&server), store.clone())
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    let second = client_with(config(&server), store)
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    assert!(first.is_ok());
    assert_eq!(first.ok(), second.ok());
    assert_eq!(server.state.token_requests(), 1);
}

#[tokio::test]
async fn a_stored_token_near_expiry_is_refreshed_ahead() {
    let server = mock(Duration::from_secs(7200)).await;
    let store = Arc::new(MemoryTokenStore::new());
    let soon = CachedToken {
        token: "old_token".into(),
        expires_at: Utc::now() + chrono::Duration::seconds(100),
    };
    assert!(store
        .save(&server.state.config().appid, &soon)
        .await
        .is_ok());
    let token = client_with(config(&server), store.clone())
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    assert!(token.as_ref().is_ok_and(|t| t != "old_token"));
    assert_eq!(server.state.token_requests(), 1);
    let saved = store
        .load(&server.state.config().appid)
        .await
        .ok()
        .flatten()
        .map(|t| t.token.expose_secret().to_owned());
    assert_eq!(saved, token.ok());
}

/// On tokio's paused clock: the other instance saves its token 200 ms later (virtual), and
/// the lease poll finds it without a wall-clock wait.
#[tokio::test(start_paused = true)]
async fn another_instance_holding_the_lease_is_waited_for() {
    let server = mock(Duration::from_secs(7200)).await;
    let appid = server.state.config().appid.clone();
    let store = Arc::new(MemoryTokenStore::new());
    assert!(store
        .try_lease(&appid, "other-instance", Duration::from_secs(30))
        .await
        .unwrap_or(false));
    let other = store.clone();
    let other_appid = appid.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let token = CachedToken {
            token: "from_other".into(),
            expires_at: Utc::now() + chrono::Duration::hours(2),
        };
        other.save(&other_appid, &token).await.ok();
    });
    let token = client_with(config(&server), store)
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    assert_eq!(token.ok().as_deref(), Some("from_other"));
    assert_eq!(server.state.token_requests(), 0);
}

#[tokio::test]
async fn without_stable_token_the_classic_endpoint_is_used() {
    let (server, client) = setup().await;
    server.state.set_stable_token_enabled(false);
    assert!(client.user_info("oUser_123").await.is_ok());
    server.state.expire_tokens();
    assert!(client.user_info("oUser_123").await.is_ok());
    assert_eq!(server.state.token_requests(), 2);
}

#[tokio::test]
async fn the_secret_and_token_never_show_in_errors_or_debug() {
    let server = mock(Duration::from_secs(7200)).await;
    // Wrong secret: WeChat's error, without the secret.
    let wrong = "ffffffffffffffffffffffffffffffff";
    let mut bad = config(&server);
    bad.secret = SecretString::from(wrong);
    let client = client_with(bad.clone(), Arc::new(MemoryTokenStore::new()));
    let err = client.access_token().await.err();
    assert_eq!(err.as_ref().and_then(|e| e.code()), Some(40001));
    let shown = format!(
        "{} {:?} {:?} {:?}",
        err.as_ref().map(ToString::to_string).unwrap_or_default(),
        err,
        bad,
        client
    );
    assert!(!shown.contains(wrong), "{shown}");

    // Nobody listening: a transport error, without the secret in its URL.
    let mut closed = config(&server);
    closed.base_url = reqwest::Url::parse("http://127.0.0.1:9").unwrap_or_else(|e| panic!("{e}"));
    let client = client_with(closed, Arc::new(MemoryTokenStore::new()));
    let err = client.access_token().await.err();
    let shown = format!(
        "{} {:?}",
        err.as_ref().map(ToString::to_string).unwrap_or_default(),
        err
    );
    assert!(
        err.is_some() && !shown.contains(SECRET) && !shown.contains("secret="),
        "{shown}"
    );

    // A working client: its token is not in Debug output.
    let good = client_with(config(&server), Arc::new(MemoryTokenStore::new()));
    let token = good
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned())
        .unwrap_or_default();
    let shown = format!("{:?} {:?}", good, good.access_token().await);
    assert!(
        !token.is_empty() && !shown.contains(&token) && !shown.contains(SECRET),
        "{shown}"
    );
}
