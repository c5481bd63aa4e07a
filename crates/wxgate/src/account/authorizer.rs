//! An account that authorised the `[open_platform]` ([`Authorization`]): its gh_ id (the
//! ToUserName its pushes must carry) and its status, which changes at run time (61023 marks it
//! `reauthorize`) without rebuilding the account; and the [`AuthorizerClients`] that make its
//! API client through the platform.
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use wechat_api::ApiClient;

use crate::store::platform::AuthorizerStatus;

/// What the registry holds of an authorizer beside its config.
#[derive(Debug)]
pub struct Authorization {
    /// its original id (gh_…): the ToUserName of its pushes
    pub user_name: String,
    status: AtomicU8,
}

impl Authorization {
    /// An authorizer with gh_ id `user_name` and `status`.
    pub fn new(user_name: String, status: AuthorizerStatus) -> Arc<Self> {
        Arc::new(Authorization {
            user_name,
            status: AtomicU8::new(code(status)),
        })
    }

    /// Where it stands now.
    pub fn status(&self) -> AuthorizerStatus {
        match self.status.load(Ordering::Acquire) {
            0 => AuthorizerStatus::Authorized,
            1 => AuthorizerStatus::Revoked,
            _ => AuthorizerStatus::Reauthorize,
        }
    }

    /// Sets where it stands.
    pub fn set_status(&self, status: AuthorizerStatus) {
        self.status.store(code(status), Ordering::Release);
    }

    /// Whether it revoked its authorisation (pushes 403, WeChat-side calls 409).
    pub fn revoked(&self) -> bool {
        self.status() == AuthorizerStatus::Revoked
    }
}

fn code(status: AuthorizerStatus) -> u8 {
    match status {
        AuthorizerStatus::Authorized => 0,
        AuthorizerStatus::Revoked => 1,
        AuthorizerStatus::Reauthorize => 2,
    }
}

/// Makes an authorizer's API client (through the platform's component client); the account
/// asks on first use.
pub trait AuthorizerClients: Send + Sync {
    /// The API client of `appid`, whose status is `authorization`'s (61023 marks it there).
    fn client(&self, appid: &str, authorization: Arc<Authorization>) -> ApiClient;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_changes_in_place() {
        let a = Authorization::new("gh_1".into(), AuthorizerStatus::Authorized);
        assert!(!a.revoked());
        a.set_status(AuthorizerStatus::Reauthorize);
        assert_eq!(a.status(), AuthorizerStatus::Reauthorize);
        a.set_status(AuthorizerStatus::Revoked);
        assert!(a.revoked());
    }
}
