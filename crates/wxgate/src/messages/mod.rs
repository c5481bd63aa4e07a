//! Template messages with receipts (contract §5 `/api/messages/*`):
//!
//! ```text
//! POST /api/messages/template ─ request.rs: checked → store: messages row + outbox row
//!   (webhook "@template"), one transaction; the same idempotency_key → the same id
//! outbox dispatcher claims it ─ sender.rs: at most template_rate/s (rate.rs),
//!   message/template/send → msgid stored (sent) | final errcode (failed) | -1, transport → backoff
//! TEMPLATESENDJOBFINISH push ─ receipt.rs: MsgID → delivered / blocked / failed
//! ```
//!
//! The queue is the notify outbox's (claims, leases, backoff, wake-ups, restarts); a forget
//! deletes the user's messages and their unsent outbox rows.
pub mod rate;
pub mod receipt;
pub mod request;
pub mod sender;

pub use receipt::record_receipt;
pub use request::TemplateRequest;
pub use sender::TemplateSender;

/// Finds an account's template sender by the account name an outbox row carries (the
/// accounts served change at run time: the dispatcher asks each time).
pub trait TemplateSenders: Send + Sync {
    /// The sender of `account`'s template messages; None when it is not served or has no
    /// appsecret (its messages wait).
    fn template_sender(&self, account: &str) -> Option<std::sync::Arc<TemplateSender>>;
}

/// Counts a template message reaching `status` (`queued`, `sent`, `delivered`, `blocked`,
/// `failed`).
pub fn count(status: &'static str) {
    crate::telemetry::metrics::template_message(status);
}
