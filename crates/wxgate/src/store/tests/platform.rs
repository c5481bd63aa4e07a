//! The platform port: the newest ticket per platform, authorizers with their sealed refresh
//! tokens, codes claimed once, revocation deleting tokens.
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::{plain, TestDb};
use crate::store::platform::{Authorizer, AuthorizerStatus};
use crate::store::StoredToken;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).expect("in range")
}

fn authorizer(appid: &str, status: AuthorizerStatus) -> Authorizer {
    Authorizer {
        appid: appid.into(),
        user_name: format!("gh_{appid}"),
        nick_name: Some("Shop".into()),
        principal_name: None,
        service_type: Some(2),
        verify_type: Some(0),
        func_info: vec![1, 15, 4],
        status,
        authorized_at: at(1_000),
        updated_at: at(2_000),
        revoked_at: None,
    }
}

async fn the_newest_ticket_is_kept_per_platform(db: TestDb) {
    assert!(db.store.ticket("wxc1").await.unwrap().is_none());
    db.store.save_ticket("wxc1", "t1", at(1_000)).await.unwrap();
    db.store
        .save_ticket("wxc2", "other", at(1_500))
        .await
        .unwrap();
    db.store.save_ticket("wxc1", "t2", at(2_000)).await.unwrap();
    let newest = db.store.ticket("wxc1").await.unwrap().unwrap();
    assert_eq!(newest.ticket.expose_secret(), "t2");
    assert_eq!(newest.received_at, at(2_000));
    let other = db.store.ticket("wxc2").await.unwrap().unwrap();
    assert_eq!(
        other.ticket.expose_secret(),
        "other",
        "platforms never overwrite each other"
    );
}
store_test!(the_newest_ticket_is_kept_per_platform);

async fn a_code_is_claimed_once(db: TestDb) {
    let code = [7u8; 32];
    assert!(db.store.claim_code(&code, Utc::now()).await.unwrap());
    assert!(!db.store.claim_code(&code, Utc::now()).await.unwrap());
    assert!(db.store.claim_code(&[8u8; 32], Utc::now()).await.unwrap());
}
store_test!(a_code_is_claimed_once);

async fn authorizers_keep_their_refresh_token_until_revoked(db: TestDb) {
    let a = authorizer("wxa", AuthorizerStatus::Authorized);
    db.store
        .save_authorizer(&a, Some(b"sealed-1"))
        .await
        .unwrap();
    db.store
        .save_authorizer(&authorizer("wxb", AuthorizerStatus::Authorized), None)
        .await
        .unwrap();
    assert_eq!(db.store.authorizers().await.unwrap()[0], a);
    assert_eq!(db.store.authorizer("wxa").await.unwrap(), Some(a.clone()));
    assert_eq!(db.store.authorizer("wxz").await.unwrap(), None);
    let mut renamed = a.clone();
    renamed.nick_name = Some("Shop 2".into());
    db.store.save_authorizer(&renamed, None).await.unwrap();
    assert_eq!(
        db.store
            .sealed_refresh_token("wxa")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"sealed-1"[..]),
        "saving details without a token keeps the stored one"
    );
    assert_eq!(db.store.sealed_refresh_token("wxb").await.unwrap(), None);
    let access = StoredToken {
        access_token: "AT".into(),
        expires_at: at(9_000_000_000_000),
    };
    db.store
        .save_refreshed("wxa", b"sealed-2", &access)
        .await
        .unwrap();
    assert_eq!(
        db.store
            .sealed_refresh_token("wxa")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"sealed-2"[..])
    );
    assert_eq!(db.token("wxa").await, Some(plain(&access)));
    db.store
        .set_authorizer_status("wxb", AuthorizerStatus::Reauthorize, at(3_000))
        .await
        .unwrap();
    db.store.revoke_authorizer("wxa", at(5_000)).await.unwrap();
    let all = db.store.authorizers().await.unwrap();
    assert_eq!(all[0].status, AuthorizerStatus::Revoked);
    assert_eq!(all[0].revoked_at, Some(at(5_000)));
    assert_eq!(all[0].nick_name.as_deref(), Some("Shop 2"));
    assert_eq!(all[1].status, AuthorizerStatus::Reauthorize);
    assert_eq!(db.store.sealed_refresh_token("wxa").await.unwrap(), None);
    assert_eq!(
        db.token("wxa").await,
        None,
        "revoking deletes the access token"
    );
    assert!(db.store.revoked_before(at(5_000)).await.unwrap().is_empty());
    assert_eq!(db.store.revoked_before(at(5_001)).await.unwrap(), ["wxa"]);
    db.store.delete_authorizer("wxa").await.unwrap();
    let left: Vec<String> = db
        .store
        .authorizers()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.appid)
        .collect();
    assert_eq!(left, ["wxb"]);
}
store_test!(authorizers_keep_their_refresh_token_until_revoked);
