//! The third-party platform (`[open_platform]`, contract §7): one gateway for every account
//! that authorises it.
//!
//! - [`Platform`]: the component client (its token from the newest stored ticket), the
//!   authorizers loaded into the account [`Registry`] at start, authorisation codes exchanged
//!   once (whichever of the push and the browser's redirect comes first, in whichever
//!   instance), revocations, recovery from WeChat's authorizer list, and the sweep that erases
//!   revoked accounts' data after `forget_revoked_after`.
//! - `events.rs`: the authorisation-event URL's pushes, verified and decrypted.
//! - `release.rs`: the answers of WeChat's release test (spec §11.5).
//! - `seal.rs`: refresh tokens encrypted at rest; `stores.rs`: the component client's sources.
mod events;
mod release;
mod seal;
mod stores;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use wechat_api::component::{AuthTarget, AuthorizeUrls, ComponentClient};
use wechat_api::{ApiError, ClientConfig};

use crate::account::{Account, Authorization, AuthorizerClients, Registry};
use crate::api::StoreTokens;
use crate::config::{ConfigError, OpenPlatformConfig};
use crate::push::replay::ReplayGuard;
use crate::store::platform::{Authorizer, AuthorizerStatus};
use crate::store::{Store, StoreError, StoredToken};

pub use events::{open_event, EventRefusal, OpenedEvent};
pub use release::{is_release_test_account, release_answer, ReleaseAnswer};
pub use seal::Sealer;

/// Why a platform operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// the store failed
    #[error(transparent)]
    Store(#[from] StoreError),
    /// WeChat refused or could not be reached
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// What `POST /api/open/authorizers/sync` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    /// accounts WeChat lists
    pub total: u64,
    /// of which the gateway did not know
    pub added: u64,
    /// of which it knew (refresh token replaced)
    pub updated: u64,
}

/// The platform at run time.
pub struct Platform {
    config: OpenPlatformConfig,
    component: ComponentClient,
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    sealer: Arc<Sealer>,
    clients: Arc<dyn AuthorizerClients>,
    guard: Arc<ReplayGuard>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("component_appid", &self.config.component_appid)
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// The platform of `config` over `store` (its calls to `api_base_url`), its authorizers
    /// loaded into `registry` (a store failure here stops the build: serving without them
    /// would answer their pushes 404).
    pub async fn start(
        config: OpenPlatformConfig,
        api_base_url: &url::Url,
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
    ) -> Result<Arc<Platform>, PlatformStartError> {
        let client_config = ClientConfig::new(
            config.component_appid.clone(),
            config.component_appsecret.to_secret_string(),
        )
        .with_base_url(api_base_url.clone());
        let component = ComponentClient::new(
            client_config,
            Arc::new(StoreTokens::new(Arc::clone(&store) as _)),
            Arc::new(stores::StoreTicketSource(Arc::clone(&store))),
        )
        .map_err(|e| ConfigError::new("wechat_api.base_url", e.to_string()))?;
        let sealer = Arc::new(Sealer::new(config.component_appsecret.expose()));
        let clients: Arc<dyn AuthorizerClients> = Arc::new(stores::PlatformClients {
            component: component.clone(),
            store: Arc::clone(&store),
            sealer: Arc::clone(&sealer),
        });
        let guard = registry.guard(config.token.expose()).await;
        let platform = Arc::new(Platform {
            config,
            component,
            store,
            registry,
            sealer,
            clients,
            guard,
        });
        let stored = platform.store.authorizers().await?;
        let accounts: Vec<Arc<Account>> = stored
            .iter()
            .map(|a| platform.account(&a.appid, &a.user_name, a.status))
            .collect();
        tracing::info!(
            authorizers = accounts.len(),
            "open platform: authorizers loaded"
        );
        platform.registry.put_authorizers(accounts).await;
        Ok(platform)
    }

    /// `[open_platform]`.
    pub fn config(&self) -> &OpenPlatformConfig {
        &self.config
    }

    /// The component client.
    pub fn component(&self) -> &ComponentClient {
        &self.component
    }

    /// The replay guard of the platform's Token (one for the whole platform).
    pub fn guard(&self) -> &Arc<ReplayGuard> {
        &self.guard
    }

    /// The account of `appid` with gh_ id `user_name` and `status`.
    fn account(&self, appid: &str, user_name: &str, status: AuthorizerStatus) -> Arc<Account> {
        Arc::new(Account::authorizer(
            self.config.authorizer(appid),
            Arc::clone(&self.guard),
            Arc::clone(self.registry.parts()),
            Authorization::new(user_name.to_string(), status),
            Arc::clone(&self.clients),
        ))
    }

    /// The account of `appid` as the store has it, when this instance does not serve it yet
    /// (another instance on the database took its authorisation): served from now on.
    pub async fn find(&self, appid: &str) -> Result<Option<Arc<Account>>, StoreError> {
        let Some(row) = self.store.authorizer(appid).await? else {
            return Ok(None);
        };
        let account = self.account(&row.appid, &row.user_name, row.status);
        self.registry
            .put_authorizers(vec![Arc::clone(&account)])
            .await;
        Ok(Some(account))
    }

    /// Brings the registry's authorizers in line with the store (what other instances on
    /// the database changed): new ones served, statuses taken over, those erased elsewhere
    /// forgotten.
    pub async fn reconcile(&self) -> Result<(), StoreError> {
        let rows = self.store.authorizers().await?;
        let snapshot = self.registry.load();
        let changed: Vec<Arc<Account>> = rows
            .iter()
            .filter(|row| {
                let held = snapshot.get(&row.appid).and_then(|a| a.authorization());
                match held {
                    None => true,
                    // Reauthorize is this instance's finding as much as the store's; a gh_ id
                    // filled in later (api_get_authorizer_info) is taken over.
                    Some(held) => {
                        held.user_name != row.user_name
                            || (held.status() != row.status
                                && row.status != AuthorizerStatus::Reauthorize)
                    }
                }
            })
            .map(|row| self.account(&row.appid, &row.user_name, row.status))
            .collect();
        self.registry.put_authorizers(changed).await;
        let gone: Vec<String> = snapshot
            .iter()
            .filter(|a| !a.served() && !rows.iter().any(|r| r.appid == a.name().as_str()))
            .map(|a| a.name().to_string())
            .collect();
        for appid in gone {
            self.erase(&appid).await?;
        }
        Ok(())
    }

    /// Keeps a `component_verify_ticket` (the newest is the one used).
    pub async fn keep_ticket(&self, ticket: &str) -> Result<(), StoreError> {
        self.store
            .save_ticket(&self.config.component_appid, ticket, Utc::now())
            .await
    }

    /// Exchanges an authorisation code — at most once however often and by whichever path
    /// it comes — then fetches the account's details and serves it at once. The account
    /// served, or None when the code had been claimed already.
    pub async fn exchange(&self, code: &str) -> Result<Option<Arc<Account>>, PlatformError> {
        let digest: [u8; 32] = Sha256::digest(code.as_bytes()).into();
        if !self.store.claim_code(&digest, Utc::now()).await? {
            tracing::debug!("authorisation code already exchanged");
            return Ok(None);
        }
        let auth = self.component.query_auth(code).await?;
        let appid = auth.authorizer_appid.clone();
        let sealed = self.sealer.seal(&appid, auth.refresh_token.expose_secret());
        let now = Utc::now();
        let mut row = Authorizer {
            appid: appid.clone(),
            user_name: String::new(),
            nick_name: None,
            principal_name: None,
            service_type: None,
            verify_type: None,
            func_info: auth.func_info.clone(),
            status: AuthorizerStatus::Authorized,
            authorized_at: now,
            updated_at: now,
            revoked_at: None,
        };
        // The refresh token first: it is the one secret that must never be lost.
        self.store.save_authorizer(&row, Some(&sealed)).await?;
        let access = StoredToken {
            access_token: auth.access_token.token.clone(),
            expires_at: auth.access_token.expires_at,
        };
        self.store.save_refreshed(&appid, &sealed, &access).await?;
        match self.component.authorizer_info(&appid).await {
            Ok(info) => {
                fill(&mut row, info);
                self.store.save_authorizer(&row, None).await?;
            }
            Err(error) => {
                tracing::error!(%appid, %error, "api_get_authorizer_info failed: `wxgate open sync` fills the account in");
            }
        }
        let account = self.account(&appid, &row.user_name, AuthorizerStatus::Authorized);
        self.registry
            .put_authorizers(vec![Arc::clone(&account)])
            .await;
        tracing::info!(%appid, "open platform: account authorised");
        Ok(Some(account))
    }

    /// `appid` revoked its authorisation: its tokens deleted at once, its pushes refused and
    /// its calls answered 409 from now on; its data erased now when `forget_revoked_after` is
    /// zero, else by the sweep.
    pub async fn revoke(&self, appid: &str) -> Result<(), StoreError> {
        let known = self.registry.load().get(appid).cloned();
        let Some(known) = known.filter(|a| a.authorization().is_some()) else {
            tracing::debug!(%appid, "unauthorized for an account the platform does not know");
            return Ok(());
        };
        self.store.revoke_authorizer(appid, Utc::now()).await?;
        let user_name = known
            .authorization()
            .map(|a| a.user_name.clone())
            .unwrap_or_default();
        // A new account: the old one's API client (and the token it held) is dropped.
        let revoked = self.account(appid, &user_name, AuthorizerStatus::Revoked);
        self.registry.put_authorizers(vec![revoked]).await;
        tracing::info!(%appid, "open platform: authorisation revoked");
        if self.config.forget_revoked_after.is_zero() {
            self.erase(appid).await?;
        }
        Ok(())
    }

    /// Erases every record of a revoked `appid`.
    async fn erase(&self, appid: &str) -> Result<(), StoreError> {
        match self.registry.erase(appid).await {
            Ok(()) => {
                tracing::info!(%appid, "open platform: revoked account erased");
                Ok(())
            }
            Err(crate::account::EraseError::Store(e)) => Err(e),
            Err(crate::account::EraseError::Served(_)) => Ok(()),
        }
    }

    /// Erases the accounts revoked longer than `forget_revoked_after` ago; how many.
    pub async fn sweep(&self) -> Result<usize, StoreError> {
        let age = chrono::Duration::from_std(self.config.forget_revoked_after)
            .unwrap_or(chrono::Duration::MAX);
        let cutoff = Utc::now()
            .checked_sub_signed(age)
            .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
        let due = self.store.revoked_before(cutoff).await?;
        for appid in &due {
            self.erase(appid).await?;
        }
        Ok(due.len())
    }

    /// Recovers the authorizers and their refresh tokens from `api_get_authorizer_list`:
    /// each one's refresh token replaced (and status `authorized`), those the gateway did not
    /// know fetched and served.
    pub async fn sync(&self) -> Result<Synced, PlatformError> {
        let listed = self.component.all_authorizers().await?;
        let stored = self.store.authorizers().await?;
        let mut synced = Synced {
            total: listed.len() as u64,
            ..Synced::default()
        };
        let mut accounts = Vec::new();
        for entry in listed {
            let appid = entry.authorizer_appid.clone();
            let sealed = self
                .sealer
                .seal(&appid, entry.refresh_token.expose_secret());
            let now = Utc::now();
            let known = stored.iter().find(|a| a.appid == appid).cloned();
            let mut row = match known {
                Some(row) => {
                    synced.updated += 1;
                    row
                }
                None => {
                    synced.added += 1;
                    Authorizer {
                        appid: appid.clone(),
                        user_name: String::new(),
                        nick_name: None,
                        principal_name: None,
                        service_type: None,
                        verify_type: None,
                        func_info: Vec::new(),
                        status: AuthorizerStatus::Authorized,
                        authorized_at: chrono::DateTime::from_timestamp(entry.auth_time, 0)
                            .unwrap_or(now),
                        updated_at: now,
                        revoked_at: None,
                    }
                }
            };
            if row.user_name.is_empty() {
                match self.component.authorizer_info(&appid).await {
                    Ok(info) => fill(&mut row, info),
                    Err(error) => tracing::warn!(%appid, %error, "api_get_authorizer_info failed"),
                }
            }
            row.status = AuthorizerStatus::Authorized;
            row.revoked_at = None;
            row.updated_at = now;
            self.store.save_authorizer(&row, Some(&sealed)).await?;
            accounts.push(self.account(&appid, &row.user_name, AuthorizerStatus::Authorized));
        }
        self.registry.put_authorizers(accounts).await;
        Ok(synced)
    }

    /// The authorisation page's links, with a fresh pre_auth_code, sending the browser back
    /// to `redirect_uri` (default `{public_url}{server.path}/open/authorized`).
    pub async fn authorize_urls(
        &self,
        redirect_uri: Option<&str>,
        target: &AuthTarget,
    ) -> Result<AuthorizeUrls, ApiError> {
        let redirect = redirect_uri
            .map(str::to_string)
            .unwrap_or_else(|| self.config.default_redirect());
        self.component.authorize_urls(&redirect, target).await
    }
}

/// Why the platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum PlatformStartError {
    /// the client could not be built for `wechat_api.base_url`
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// the authorizers could not be read
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `row` with the details of `info`.
fn fill(row: &mut Authorizer, info: wechat_api::component::AuthorizerInfo) {
    row.user_name = info.user_name;
    row.nick_name = Some(info.nick_name).filter(|s| !s.is_empty());
    row.principal_name = Some(info.principal_name).filter(|s| !s.is_empty());
    row.service_type = Some(info.service_type);
    row.verify_type = Some(info.verify_type);
    if !info.func_info.is_empty() {
        row.func_info = info.func_info;
    }
}

/// How often the sweep looks for revoked accounts due to be erased.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// How often the registry's authorizers are brought in line with the store (changes made
/// by other instances on the database).
pub const RECONCILE_EVERY: Duration = Duration::from_secs(30);

/// Brings the registry in line with the store every [`RECONCILE_EVERY`].
pub async fn reconcile_loop(platform: Arc<Platform>) {
    let mut tick = tokio::time::interval(RECONCILE_EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(error) = platform.reconcile().await {
            tracing::warn!(%error, "reading the authorizers from the store failed");
        }
    }
}

/// Erases revoked accounts' data when due, at start and every [`SWEEP_EVERY`].
pub async fn sweep_loop(platform: Arc<Platform>) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        match platform.sweep().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                accounts = n,
                "erased revoked accounts past forget_revoked_after"
            ),
            Err(error) => tracing::warn!(%error, "erasing revoked accounts failed"),
        }
    }
}
