//! Template messages with receipts (contract §5 `/api/messages/*`):
//!
//! ```text
//! POST /api/messages/template ─ request.rs: checked → store: messages row + template job,
//!   one transaction; the same idempotency_key → the same id
//! job dispatcher claims it ─ sender.rs: at most template_rate/s (rate.rs),
//!   message/template/send → msgid stored (sent) | final errcode (failed) | -1, transport → backoff
//! TEMPLATESENDJOBFINISH push ─ receipt.rs: MsgID → delivered / blocked / failed
//! ```
//!
//! The queue is the store's job queue, shared with notify deliveries (claims, leases, backoff,
//! wake-ups, restarts): its dispatcher hands template jobs to the [`TemplateRunner`] every
//! [`TemplateSenders`] is; a forget deletes the user's messages and their unsent jobs.
use async_trait::async_trait;

use crate::jobs::TemplateRunner;
use crate::store::{ClaimedJob, TemplateJob};

pub mod rate;
pub mod receipt;
pub mod request;
pub mod sender;

pub use receipt::record_receipt;
pub use request::TemplateRequest;
pub use sender::TemplateSender;

/// Finds an account's template sender by the account name a template job carries (the
/// accounts served change at run time: the dispatcher asks each time).
pub trait TemplateSenders: Send + Sync {
    /// The sender of `account`'s template messages; None when it is not served or has no
    /// appsecret (its messages wait).
    fn template_sender(&self, account: &str) -> Option<std::sync::Arc<TemplateSender>>;
}

/// Template jobs go to their account's sender; an account without one (not served, no
/// appsecret) keeps them waiting, with the dispatcher's backoff.
#[async_trait]
impl<T: TemplateSenders + ?Sized> TemplateRunner for T {
    async fn run(&self, job: &ClaimedJob, template: &TemplateJob) -> Result<(), String> {
        match self.template_sender(&job.account) {
            Some(sender) => sender.send(job, template).await.map_err(|e| e.to_string()),
            None => Err(format!(
                "account {:?} is not served or has no appsecret: template messages wait",
                job.account
            )),
        }
    }
}

/// Counts a template message reaching `status` (`queued`, `sent`, `delivered`, `blocked`,
/// `failed`).
pub fn count(status: &'static str) {
    crate::telemetry::metrics::template_message(status);
}
