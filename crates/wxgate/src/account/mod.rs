//! One account at run time ([`Account`]): built once from its config, it carries everything a
//! push to it or a call about it needs — name, keys and mode, the replay guard of its Token,
//! its metric handles, and (made on first use) its WeChat API client with its token holder,
//! its late-reply sender and its template sender. The [`Registry`] holds the accounts served,
//! an immutable map swapped whole when they change (SIGHUP).
//!
//! The push path resolves an account once from the URL and passes the `Arc<Account>` down;
//! nothing after that looks an account up by its name again.
mod authorizer;
mod guards;
mod name;
mod registry;

use std::sync::{Arc, OnceLock};

use wechat_api::ApiClient;

use crate::api::{CustomServiceSender, LateSender};
use crate::config::{AccountConfig, Config};
use crate::messages::TemplateSender;
use crate::push::replay::ReplayGuard;
use crate::store::Store;
use crate::telemetry::metrics::AccountSeries;

pub use authorizer::{Authorization, AuthorizerClients};
pub use guards::Guards;
pub use name::AccountName;
pub use registry::{Accounts, Change, EraseError, Registry};

/// What every account's services are made with: the store (tokens, template messages), the
/// WeChat API's base URL and the template rate. Shared by all accounts.
pub struct Parts {
    store: Arc<dyn Store>,
    api_base_url: url::Url,
    template_rate: u32,
}

impl Parts {
    /// The parts `config` gives, over `store`.
    pub fn of(config: &Config, store: Arc<dyn Store>) -> Arc<Parts> {
        Arc::new(Parts {
            store,
            api_base_url: config.api_base_url.clone(),
            template_rate: config.template_rate,
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

/// An account's WeChat-side services, made together on first use.
struct Services {
    api: Arc<ApiClient>,
    late: Arc<dyn LateSender>,
    templates: Arc<TemplateSender>,
}

/// One account served by the gateway.
pub struct Account {
    name: AccountName,
    /// its config: push path, appid, token, keys, mode, clock skew, replays
    pub config: AccountConfig,
    /// the replay guard of its Token, shared with every account that has the same Token
    pub replays: Arc<ReplayGuard>,
    /// the key its guard's marks are stored under (its Token's, see
    /// [`crate::push::replay::token_guard_key`])
    guard_key: String,
    /// its push metrics' handles
    pub series: AccountSeries,
    services: OnceLock<Option<Services>>,
    parts: Arc<Parts>,
    /// Some for an account that authorised the `[open_platform]`: its gh_ id, its status and
    /// the maker of its API client
    platform: Option<(Arc<Authorization>, Arc<dyn AuthorizerClients>)>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("name", &self.name)
            .field("push_path", &self.config.push_path)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// The account of `config`, guarding replays with `replays` (its Token's guard). Its API
    /// client and senders are made when first asked for: an idle account costs its entry.
    pub fn new(config: AccountConfig, replays: Arc<ReplayGuard>, parts: Arc<Parts>) -> Self {
        let name = AccountName::new(&config.name);
        let series = AccountSeries::new(config.listed().then(|| name.shared()));
        let guard_key = crate::push::replay::token_guard_key(config.token.expose());
        Account {
            name,
            config,
            replays,
            guard_key,
            series,
            services: OnceLock::new(),
            parts,
            platform: None,
        }
    }

    /// An account that authorised the `[open_platform]` (`config` made by the platform): its
    /// API client is made by `clients`, with no appsecret.
    pub fn authorizer(
        config: AccountConfig,
        replays: Arc<ReplayGuard>,
        parts: Arc<Parts>,
        authorization: Arc<Authorization>,
        clients: Arc<dyn AuthorizerClients>,
    ) -> Self {
        let mut account = Account::new(config, replays, parts);
        account.platform = Some((authorization, clients));
        account
    }

    /// Its authorisation, for an account that authorised the `[open_platform]`.
    pub fn authorization(&self) -> Option<&Arc<Authorization>> {
        self.platform.as_ref().map(|(a, _)| a)
    }

    /// Whether it is served: every account of the config, and an authorizer that has not
    /// revoked (a revoked one stays known — pushes 403, calls 409 — until it is erased).
    pub fn served(&self) -> bool {
        self.authorization().is_none_or(|a| !a.revoked())
    }

    /// Where it comes from: `config` or `open_platform`.
    pub fn source(&self) -> &'static str {
        match self.platform {
            Some(_) => crate::store::platform::SOURCE_OPEN_PLATFORM,
            None => crate::store::SOURCE_CONFIG,
        }
    }

    /// Its name.
    pub fn name(&self) -> &AccountName {
        &self.name
    }

    /// The key its replay guard's marks are stored and looked up under (one per Token).
    pub fn guard_key(&self) -> &str {
        &self.guard_key
    }

    /// Its WeChat API client (its token kept in the store), or None without an appsecret.
    pub fn api(&self) -> Option<Arc<ApiClient>> {
        self.services().map(|s| Arc::clone(&s.api))
    }

    /// The sender of its late replies (customer-service messages), or None without an
    /// appsecret.
    pub fn late_sender(&self) -> Option<Arc<dyn LateSender>> {
        self.services().map(|s| Arc::clone(&s.late))
    }

    /// The sender of its template messages, or None without an appsecret.
    pub fn template_sender(&self) -> Option<Arc<TemplateSender>> {
        self.services().map(|s| Arc::clone(&s.templates))
    }

    fn services(&self) -> Option<&Services> {
        self.services
            .get_or_init(|| {
                let parts = &self.parts;
                let store = Arc::clone(&parts.store);
                let made = match &self.platform {
                    Some((authorization, clients)) => Ok(Some(Arc::new(
                        clients.client(&self.config.appid, Arc::clone(authorization)),
                    ))),
                    None => crate::api::account_client(&parts.api_base_url, &self.config, store),
                };
                match made {
                    Ok(api) => api.map(|api| Services {
                        late: Arc::new(CustomServiceSender::new(Arc::clone(&api))),
                        templates: Arc::new(TemplateSender::new(
                            Arc::clone(&api),
                            Arc::clone(&parts.store) as _,
                            parts.template_rate,
                        )),
                        api,
                    }),
                    Err(error) => {
                        tracing::error!(%error, account = %self.name, "no WeChat API client");
                        None
                    }
                }
            })
            .as_ref()
    }
}
