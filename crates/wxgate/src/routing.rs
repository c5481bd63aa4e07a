//! The rules and webhooks in force: what SIGHUP swaps, shared by the push pipeline (which
//! matches rules and writes deliveries) and the outbox dispatcher (which posts them).
use std::sync::{Arc, RwLock};

use crate::config::{Config, WebhookConfig};
use crate::rules::RuleSet;

/// Rules and webhooks of one config.
#[derive(Debug, Clone)]
pub struct Routing {
    /// compiled rules
    pub rules: Arc<RuleSet>,
    /// webhooks the rules refer to by index
    pub webhooks: Arc<Vec<WebhookConfig>>,
}

impl Routing {
    /// The rules and webhooks of `config`.
    pub fn of(config: &Config) -> Self {
        Routing {
            rules: Arc::clone(&config.rules),
            webhooks: Arc::clone(&config.webhooks),
        }
    }
}

/// The current [`Routing`], swapped whole; cheap to clone (all clones see a swap).
#[derive(Debug, Clone)]
pub struct RoutingHandle(Arc<RwLock<Arc<Routing>>>);

impl RoutingHandle {
    /// A handle holding `routing`.
    pub fn new(routing: Routing) -> Self {
        RoutingHandle(Arc::new(RwLock::new(Arc::new(routing))))
    }

    /// The current rules and webhooks.
    pub fn current(&self) -> Arc<Routing> {
        // The lock only guards an Arc swap and is never held across an await.
        match self.0.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Swap in `routing` (SIGHUP); pushes under way keep the one they started with.
    pub fn set(&self, routing: Routing) {
        let routing = Arc::new(routing);
        match self.0.write() {
            Ok(mut r) => *r = routing,
            Err(poisoned) => *poisoned.into_inner() = routing,
        }
    }
}
