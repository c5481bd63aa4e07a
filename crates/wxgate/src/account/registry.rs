//! [`Registry`]: the accounts served, an immutable [`Accounts`] map swapped whole (`arc-swap`)
//! when they change. A push takes one snapshot without a lock; SIGHUP builds a new map.
//!
//! Cheap at thousands of accounts: an idle account is a map entry (its config, its Token's
//! replay guard, its metric handles) — no task, timer or connection; its API client and
//! senders are made on first use.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::{Account, AccountName, Guards, Parts};
use crate::config::{Config, ConfigError};
use crate::push::replay::ReplayGuard;
use crate::store::{KnownAccount, StoreError, REPLAY_WINDOW};

/// One snapshot of the accounts: those served (in config order, by name, and the lone
/// `[account]` at `server.path`) and those the store still holds records of though they are
/// no longer served (`removed`).
#[derive(Debug, Default)]
pub struct Accounts {
    ordered: Vec<Arc<Account>>,
    by_name: HashMap<AccountName, Arc<Account>>,
    lone: Option<Arc<Account>>,
    removed: BTreeMap<String, KnownAccount>,
}

impl Accounts {
    /// The account served at `server.path` itself: the lone `[account]`.
    pub fn lone(&self) -> Option<&Arc<Account>> {
        self.lone.as_ref()
    }

    /// The entry of `[[accounts]]` served at `server.path/{name}`.
    pub fn listed(&self, name: &str) -> Option<&Arc<Account>> {
        self.by_name.get(name).filter(|a| a.config.listed())
    }

    /// The account served under `name` (`default` for a lone `[account]`).
    pub fn get(&self, name: &str) -> Option<&Arc<Account>> {
        self.by_name.get(name)
    }

    /// The accounts served, in config order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Account>> {
        self.ordered.iter()
    }

    /// How many accounts are served.
    pub fn len(&self) -> usize {
        self.ordered.len()
    }

    /// Whether none is (only before the first config is applied).
    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty()
    }

    /// The account when exactly one is served.
    pub fn only(&self) -> Option<&Arc<Account>> {
        match self.ordered.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The account a call means: `name`, or the only account when `name` is None. An unknown
    /// name, or none with several accounts, is an error naming `key` and the accounts there
    /// are.
    pub fn select(&self, name: Option<&str>, key: &str) -> Result<&Arc<Account>, ConfigError> {
        let names = || {
            let names: Vec<&str> = self.ordered.iter().map(|a| a.name().as_str()).collect();
            names.join(", ")
        };
        match name {
            Some(name) => self.get(name).ok_or_else(|| {
                ConfigError::new(
                    key,
                    format!("no account named {name:?} (there are {})", names()),
                )
            }),
            None => self.only().ok_or_else(|| {
                ConfigError::new(
                    key,
                    format!("required: the config has several accounts ({})", names()),
                )
            }),
        }
    }

    /// The accounts no longer served whose records the store keeps, by name.
    pub fn removed(&self) -> impl Iterator<Item = &KnownAccount> {
        self.removed.values()
    }

    /// Whether `name` is an account no longer served whose records the store keeps.
    pub fn is_removed(&self, name: &str) -> bool {
        self.removed.contains_key(name)
    }
}

/// What applying a config changed, by account name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Change {
    /// accounts served from now on
    pub added: Vec<String>,
    /// accounts no longer served (their records kept)
    pub removed: Vec<String>,
    /// accounts whose keys changed (the next push uses the new ones)
    pub changed: Vec<String>,
}

/// Why an account's records were not erased.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    /// the account is served: take it out of the config first
    #[error("account {0:?} is served; remove it from the config first")]
    Served(String),
    /// the store failed
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The accounts served, swapped whole when they change.
pub struct Registry {
    current: ArcSwap<Accounts>,
    parts: Arc<Parts>,
    guards: Guards,
    /// one change at a time (a SIGHUP, an erase)
    changing: tokio::sync::Mutex<()>,
}

impl Registry {
    /// The registry serving `config`'s accounts, their replay guards seeded with the marks the
    /// store kept and the store told which accounts there are. A store failure here is
    /// logged: the accounts are served all the same.
    pub async fn start(config: &Config, parts: Arc<Parts>) -> Registry {
        let registry = Registry {
            current: ArcSwap::from_pointee(Accounts::default()),
            parts,
            guards: Guards::default(),
            changing: tokio::sync::Mutex::new(()),
        };
        registry.apply(config).await;
        registry
    }

    /// The current snapshot (cheap: no lock, one reference count).
    pub fn load(&self) -> Arc<Accounts> {
        self.current.load_full()
    }

    /// The current snapshot for a short look (the push path: no lock and, mostly, not even a
    /// reference count); not to be held across an await.
    pub fn snapshot(&self) -> arc_swap::Guard<Arc<Accounts>> {
        self.current.load()
    }

    /// Serve `config`'s accounts from now on: an account added is served at once, one taken
    /// out of the file is no longer served (its records are kept), one whose keys changed is
    /// built anew and its next push uses them; the others are kept as they are (their API
    /// clients and tokens too). Pushes under way finish with the account they started with.
    pub async fn apply(&self, config: &Config) -> Change {
        let _one = self.changing.lock().await;
        let old = self.current.load_full();
        let mut change = Change::default();
        let mut fresh: Vec<Arc<Account>> = Vec::new();
        let mut ordered = Vec::with_capacity(config.accounts.len());
        for entry in &config.accounts {
            let previous = old.by_name.get(entry.name.as_str());
            let account = match previous {
                Some(prev)
                    if prev.config.table == entry.table
                        && prev.config.changed_keys(entry).is_empty() =>
                {
                    Arc::clone(prev)
                }
                _ => {
                    let list = match previous {
                        Some(_) => &mut change.changed,
                        None => &mut change.added,
                    };
                    list.push(entry.name.clone());
                    let (guard, _) = self.guards.of(entry.token.expose());
                    let account =
                        Arc::new(Account::new(entry.clone(), guard, Arc::clone(&self.parts)));
                    fresh.push(Arc::clone(&account));
                    account
                }
            };
            ordered.push(account);
        }
        // The accounts that authorised the platform are not the file's: kept as they are.
        for authorizer in old.ordered.iter().filter(|a| a.authorization().is_some()) {
            if !ordered.iter().any(|a| a.name() == authorizer.name()) {
                ordered.push(Arc::clone(authorizer));
            }
        }
        let by_name: HashMap<AccountName, Arc<Account>> = ordered
            .iter()
            .map(|a| (a.name().clone(), Arc::clone(a)))
            .collect();
        change.removed = old
            .ordered
            .iter()
            .filter(|a| !by_name.contains_key(a.name().as_str()))
            .map(|a| a.name().to_string())
            .collect();
        self.seed(&fresh).await;
        self.guards.prune();
        warn_shared_tokens(&ordered);
        let removed = self.note(&fresh, &by_name, &old).await;
        let lone = ordered
            .iter()
            .find(|a| !a.config.listed() && a.authorization().is_none())
            .cloned();
        self.current.store(Arc::new(Accounts {
            ordered,
            by_name,
            lone,
            removed,
        }));
        change
    }

    /// Erase every record of `name`, an account no longer served; it is then no longer listed
    /// as removed. An account never known erases nothing and succeeds too.
    pub async fn erase(&self, name: &str) -> Result<(), EraseError> {
        let _one = self.changing.lock().await;
        let current = self.current.load_full();
        let revoked = match current.get(name) {
            Some(account) if account.served() => return Err(EraseError::Served(name.to_string())),
            Some(_) => true,
            None => false,
        };
        // The access token is the appid's: kept while a served account has that appid.
        let appid = match revoked {
            true => Some(name),
            false => current
                .removed
                .get(name)
                .and_then(|known| known.appid.as_deref())
                .filter(|appid| !current.iter().any(|a| a.config.appid == *appid)),
        };
        self.parts.store().erase_account(name, appid).await?;
        if revoked {
            self.parts.store().delete_authorizer(name).await?;
        }
        let mut removed = current.removed.clone();
        removed.remove(name);
        let ordered: Vec<Arc<Account>> = current
            .ordered
            .iter()
            .filter(|a| a.name().as_str() != name)
            .cloned()
            .collect();
        let mut by_name = current.by_name.clone();
        by_name.remove(name);
        self.current.store(Arc::new(Accounts {
            ordered,
            by_name,
            lone: current.lone.clone(),
            removed,
        }));
        Ok(())
    }

    /// The parts every account is made with.
    pub fn parts(&self) -> &Arc<Parts> {
        &self.parts
    }

    /// The replay guard of `token` (shared by every account with that Token), seeded with the
    /// marks the store kept when it is made now.
    pub async fn guard(&self, token: &str) -> Arc<ReplayGuard> {
        let (guard, fresh) = self.guards.of(token);
        if fresh {
            let key = crate::push::replay::token_guard_key(token);
            let since = chrono::Utc::now() - REPLAY_WINDOW;
            match self.parts.store().replay_marks(&key, since).await {
                Ok(marks) => guard.seed(&marks),
                Err(error) => tracing::warn!(%error, "loading the replay guard's marks failed"),
            }
        }
        guard
    }

    /// Serves `accounts`, accounts that authorised the platform, from now on (each replacing
    /// the one of its name), without a restart; the store is told of them.
    pub async fn put_authorizers(&self, accounts: Vec<Arc<Account>>) {
        if accounts.is_empty() {
            return;
        }
        let _one = self.changing.lock().await;
        let current = self.current.load_full();
        let mut by_name = current.by_name.clone();
        let mut ordered = current.ordered.clone();
        for account in &accounts {
            match by_name.insert(account.name().clone(), Arc::clone(account)) {
                Some(_) => {
                    if let Some(slot) = ordered.iter_mut().find(|a| a.name() == account.name()) {
                        *slot = Arc::clone(account);
                    }
                }
                None => ordered.push(Arc::clone(account)),
            }
        }
        let noted: Vec<KnownAccount> = accounts.iter().map(|a| note_of(a)).collect();
        if let Err(error) = self.parts.store().note_accounts(&noted).await {
            tracing::warn!(%error, "the store's list of accounts could not be updated");
        }
        let mut removed = current.removed.clone();
        for account in &accounts {
            removed.remove(account.name().as_str());
        }
        self.current.store(Arc::new(Accounts {
            ordered,
            by_name,
            lone: current.lone.clone(),
            removed,
        }));
    }

    /// Seeds the replay guards of accounts just built with the marks the store kept for them
    /// (the last 10 minutes), so a captured query stays refused across a restart or a reload.
    /// Marks are kept under their Token's guard key (and, written by an older gateway, under
    /// the account's name: both are read). One read for all of them.
    async fn seed(&self, fresh: &[Arc<Account>]) {
        let mut guarded: HashMap<&str, &Arc<ReplayGuard>> = HashMap::new();
        for account in fresh.iter().filter(|a| a.config.refuse_replays) {
            guarded.insert(account.guard_key(), &account.replays);
            guarded.insert(account.name().as_str(), &account.replays);
        }
        if guarded.is_empty() {
            return;
        }
        let since = chrono::Utc::now() - REPLAY_WINDOW;
        match self.parts.store().recent_marks(since).await {
            Ok(marks) => {
                for (key, mark) in marks {
                    if let Some(guard) = guarded.get(key.as_str()) {
                        guard.seed(std::slice::from_ref(&mark));
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "loading the replay guards' marks failed"),
        }
    }

    /// Tells the store of the accounts just built and reads back the accounts it holds
    /// records of that are not served: the removed ones (the old snapshot's on a failure).
    async fn note(
        &self,
        fresh: &[Arc<Account>],
        served: &HashMap<AccountName, Arc<Account>>,
        old: &Accounts,
    ) -> BTreeMap<String, KnownAccount> {
        let store = self.parts.store();
        let noted: Vec<KnownAccount> = fresh.iter().map(|a| note_of(a)).collect();
        let known = match store.note_accounts(&noted).await {
            Ok(()) => store.known_accounts().await,
            Err(error) => Err(error),
        };
        match known {
            Ok(known) => known
                .into_iter()
                .filter(|k| !served.contains_key(k.name.as_str()))
                .map(|k| (k.name.clone(), k))
                .collect(),
            Err(error) => {
                tracing::warn!(%error, "the store's list of accounts could not be updated");
                let mut removed = old.removed.clone();
                removed.retain(|name, _| !served.contains_key(name.as_str()));
                for gone in old
                    .ordered
                    .iter()
                    .filter(|a| !served.contains_key(a.name().as_str()))
                {
                    removed.insert(gone.name().to_string(), note_of(gone));
                }
                removed
            }
        }
    }
}

impl crate::messages::TemplateSenders for Registry {
    fn template_sender(&self, account: &str) -> Option<Arc<crate::messages::TemplateSender>> {
        self.current
            .load()
            .get(account)
            .and_then(|a| a.template_sender())
    }
}

/// What the store keeps of a served account.
fn note_of(account: &Account) -> KnownAccount {
    let config = &account.config;
    KnownAccount {
        name: account.name().to_string(),
        appid: Some(config.appid.clone()).filter(|appid| !appid.is_empty()),
        security: Some(config.security.as_str().to_string()),
        push_path: Some(config.push_path.clone()),
        source: account.source().to_string(),
    }
}

/// Warns, naming them, when accounts share one push Token: one replay guard covers them all.
fn warn_shared_tokens(accounts: &[Arc<Account>]) {
    let mut by_guard: HashMap<*const ReplayGuard, Vec<&str>> = HashMap::new();
    for account in accounts {
        by_guard
            .entry(Arc::as_ptr(&account.replays))
            .or_default()
            .push(account.name().as_str());
    }
    let mut shared: Vec<String> = by_guard
        .into_values()
        .filter(|names| names.len() > 1)
        .map(|names| names.join(", "))
        .collect();
    shared.sort();
    for names in shared {
        tracing::warn!(
            accounts = %names,
            "these accounts share one push Token: a query signed for one is signed for all, and one replay guard covers them"
        );
    }
}
