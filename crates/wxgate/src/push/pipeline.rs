//! [`Pipeline`]: everything a verified push needs after the HTTP layer is done with it.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::inflight::Inflight;
use crate::routing::RoutingHandle;
use crate::store::{PushLog, TemplateMessages};
use crate::tasks::Tasks;

/// The push pipeline's parts: its ports of the store, the rules and webhooks in force, the pushes in
/// flight, the HTTP client of call webhooks, the outbox wake-up and the task tracker (each
/// account's own parts — keys, replay guard, senders, metrics — come with its
/// [`crate::account::Account`]). Cheap to clone; built once by [`crate::app::Application`] (or by a test).
#[derive(Clone)]
pub struct Pipeline {
    /// where pushes are recorded
    pub log: Arc<dyn PushLog>,
    /// where template-message receipts (`TEMPLATESENDJOBFINISH` pushes) are kept
    pub receipts: Arc<dyn TemplateMessages>,
    /// the current rules and webhooks (SIGHUP swaps them)
    pub routing: RoutingHandle,
    /// pushes in flight, by dedupe key (retry coalescing)
    pub inflight: Arc<Inflight>,
    /// HTTP client of call and notify webhooks ([`crate::webhooks::client`]: no redirects)
    pub http: reqwest::Client,
    /// poked after a commit that wrote notify-webhook deliveries (wakes the dispatcher)
    pub outbox: Arc<Notify>,
    /// every task spawned for a push, stopped by shutdown
    pub tasks: Tasks,
    /// `[server] reply_deadline_ms`: part of it is kept for the durable write
    pub reply_deadline: Duration,
}

impl Pipeline {
    /// A pipeline recording pushes in `log` and receipts in `receipts`, with `routing` and
    /// fresh parts.
    pub fn new(
        log: Arc<dyn PushLog>,
        receipts: Arc<dyn TemplateMessages>,
        routing: RoutingHandle,
        reply_deadline: Duration,
    ) -> Self {
        Pipeline {
            log,
            receipts,
            routing,
            inflight: Arc::default(),
            http: crate::webhooks::client(),
            outbox: Arc::default(),
            tasks: Tasks::default(),
            reply_deadline,
        }
    }
}
