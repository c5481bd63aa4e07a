//! Template messages (contract §5 `/api/messages/*`): their rows, their SQL (shared by both
//! backends, `$N` bound by name on SQLite), and the outbox queue that sends them.
//!
//! A queued message is a `messages` row plus a [`Job::Template`](super::Job::Template) in the
//! job queue (`jobs.rs`), written in one transaction: the queue's claims, leases and backoff
//! send it (the dispatcher hands such jobs to `messages`' runner). Its outcome, the
//! `TEMPLATESENDJOBFINISH` push, is kept in `receipts` by WeChat's msgid, so a push that comes
//! before the msgid is stored still counts.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::rows::{opt_time, time};
use super::StoreError;

/// Template messages: queued with their send, settled by the send, updated by receipts.
#[async_trait]
pub trait TemplateMessages: Send + Sync {
    /// Queue a template message and its send (a [`Job::Template`](super::Job::Template)) in
    /// one transaction — unless a message holds its idempotency key: then that one's id, and
    /// nothing queued.
    async fn queue_message(&self, message: &NewMessage) -> Result<Queued, StoreError>;
    /// One template message.
    async fn message(&self, id: i64) -> Result<Option<MessageRow>, StoreError>;
    /// Message `id` was sent as WeChat's `msgid`: `sent` (or the status of a receipt that
    /// came first), and its send `job` deleted from the queue, in one transaction.
    async fn message_sent(
        &self,
        id: i64,
        job: i64,
        msgid: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Message `id` failed for good with `error`: `failed`, its send `job` deleted.
    async fn message_failed(
        &self,
        id: i64,
        job: i64,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// A `TEMPLATESENDJOBFINISH` outcome (`delivered`, `blocked`, `failed`) for `account`'s
    /// WeChat `msgid`: kept, and applied to the `sent` message of that msgid, whose id is
    /// returned.
    async fn message_receipt(
        &self,
        account: &str,
        msgid: i64,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;
}

/// A template message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// the account it is sent from
    pub account: String,
    /// the recipient
    pub openid: String,
    /// the template
    pub template_id: String,
    /// the caller's key: the same key → the same message, sent once
    pub idempotency_key: Option<String>,
    /// the JSON body for `message/template/send`, as it will be sent
    pub payload: String,
    /// when it was queued
    pub created_at: DateTime<Utc>,
}

/// What queueing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    /// the message's id
    pub id: i64,
    /// false when a message with the same idempotency key existed (nothing queued)
    pub created: bool,
}

/// A template message as `GET /api/messages/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// id
    pub id: i64,
    /// the account it is sent from
    pub account: String,
    /// recipient
    pub openid: String,
    /// template
    pub template_id: String,
    /// `queued`, `sent`, `delivered`, `blocked` or `failed`
    pub status: String,
    /// WeChat's msgid, once sent
    pub msgid: Option<i64>,
    /// WeChat's errcode and errmsg of a failed send
    pub error: Option<String>,
    /// queued at
    pub created_at: DateTime<Utc>,
    /// last change
    pub updated_at: DateTime<Utc>,
}

/// `messages` row as read (a receipt already in for a `sent` message shows as its status).
#[derive(sqlx::FromRow)]
pub(super) struct MessageDb {
    pub(super) id: i64,
    pub(super) openid: String,
    pub(super) template_id: String,
    pub(super) status: String,
    pub(super) msgid: Option<i64>,
    pub(super) error: Option<String>,
    pub(super) created_at: i64,
    pub(super) updated_at: Option<i64>,
    pub(super) account: String,
}

impl TryFrom<MessageDb> for MessageRow {
    type Error = StoreError;

    fn try_from(row: MessageDb) -> Result<Self, StoreError> {
        let created_at = time(row.created_at)?;
        Ok(MessageRow {
            id: row.id,
            account: row.account,
            openid: row.openid,
            template_id: row.template_id,
            status: row.status,
            msgid: row.msgid,
            error: row.error,
            created_at,
            updated_at: opt_time(row.updated_at)?.unwrap_or(created_at),
        })
    }
}

/// How long a receipt whose message never showed up is kept.
pub(super) const RECEIPT_DAYS: i64 = 7;

/// Queues a message of account $1 ($2 openid, $3 template_id, $4 key, $5 created_at) unless
/// the account's key is taken; returns its id when inserted.
pub(super) const INSERT_MESSAGE: &str = "INSERT INTO messages \
    (account, openid, template_id, idempotency_key, status, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, 'queued', $5, $5) ON CONFLICT (account, idempotency_key) DO NOTHING \
    RETURNING id";

/// The message of account $1 holding idempotency key $2.
pub(super) const MESSAGE_BY_KEY: &str =
    "SELECT id FROM messages WHERE account = $1 AND idempotency_key = $2";

/// One message ($1 id), with a receipt that came in while it was `sent`.
pub(super) const SELECT_MESSAGE: &str = "SELECT m.id AS id, m.openid AS openid, \
    m.template_id AS template_id, \
    CASE WHEN m.status = 'sent' AND r.status IS NOT NULL THEN r.status ELSE m.status END AS status, \
    m.msgid AS msgid, m.error AS error, m.created_at AS created_at, \
    CASE WHEN m.status = 'sent' AND r.status IS NOT NULL THEN r.received_at ELSE m.updated_at END \
    AS updated_at, m.account AS account \
    FROM messages m LEFT JOIN receipts r ON r.account = m.account AND r.msgid = m.msgid \
    WHERE m.id = $1";

/// Message $1 was sent as WeChat's $2 at $3: `sent`, or its receipt's status if that came first.
pub(super) const MESSAGE_SENT: &str = "UPDATE messages SET msgid = $2, updated_at = $3, \
    status = COALESCE((SELECT r.status FROM receipts r \
    WHERE r.account = messages.account AND r.msgid = $2), 'sent') \
    WHERE id = $1 AND status = 'queued'";

/// Message $1 failed for good at $3 with $2 (WeChat's errcode and errmsg).
pub(super) const MESSAGE_FAILED: &str = "UPDATE messages SET status = 'failed', error = $2, \
    updated_at = $3 WHERE id = $1 AND status = 'queued'";

/// Keeps the outcome $3 of account $1's msgid $2, received at $4.
pub(super) const UPSERT_RECEIPT: &str = "INSERT INTO receipts \
    (account, msgid, status, received_at) VALUES ($1, $2, $3, $4) \
    ON CONFLICT (account, msgid) DO UPDATE SET status = excluded.status, \
    received_at = excluded.received_at";

/// The `sent` message of account $1's msgid $2 gets the outcome $3 at $4; returns its id.
pub(super) const MESSAGE_FINISHED: &str = "UPDATE messages SET status = $3, updated_at = $4 \
    WHERE account = $1 AND msgid = $2 AND status = 'sent' RETURNING id";

/// Receipts received before $1.
pub(super) const EXPIRE_RECEIPTS: &str = "DELETE FROM receipts WHERE received_at < $1";

/// Forget: the messages of openid $2 of account $1.
pub(super) const DELETE_MESSAGES_OF: &str =
    "DELETE FROM messages WHERE account = $1 AND openid = $2";

/// When receipts received before `now` - [`RECEIPT_DAYS`] are dropped.
pub(super) fn receipts_cutoff(now: DateTime<Utc>) -> i64 {
    super::rows::millis(now - chrono::Duration::days(RECEIPT_DAYS))
}
