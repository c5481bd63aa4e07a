//! The typed job queue (the `outbox` table): work that must happen after a commit and survive
//! a crash, written in the same transaction as what asks for it — a notify-webhook delivery
//! with its push ([`NewDelivery`](super::NewDelivery) in a [`PushWrite`](super::PushWrite)),
//! a template message's send with the message
//! ([`TemplateMessages::queue_message`](super::TemplateMessages::queue_message)).
//!
//! Each row has a kind (`webhook`, `template`); a claimer gets [`ClaimedJob`]s whose [`Job`]
//! says what to do, and routes them by kind. The queue knows nothing of webhooks or WeChat:
//! it hands out, per (kind, webhook, account, openid), only the oldest pending job, leased;
//! the claimer settles each (done, failed and due again, dropped).
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::rows::time;
use super::StoreError;

/// What a queued job is to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// POST a push's payload to a notify webhook
    Webhook(WebhookJob),
    /// send a queued template message
    Template(TemplateJob),
}

/// A notify-webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookJob {
    /// the webhook's name
    pub webhook: String,
    /// `X-Wxgate-Event-Id` (an event id; in a row queued by an older gateway, the push's raw
    /// dedupe key)
    pub event_id: String,
    /// the JSON body
    pub payload: String,
}

/// A template message's send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateJob {
    /// the message's id (`messages.id`)
    pub message_id: i64,
    /// the JSON body for `message/template/send`, as it will be sent
    pub payload: String,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    /// id (ascending = order of queueing)
    pub id: i64,
    /// the account it belongs to
    pub account: String,
    /// the openid it concerns (jobs of one openid run in order, per kind and webhook)
    pub openid: String,
    /// failed attempts so far
    pub attempts: i32,
    /// when it was queued
    pub created_at: DateTime<Utc>,
    /// what to do
    pub job: Job,
}

/// The queued jobs.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Claim due jobs: per (kind, webhook, account, openid) only its oldest pending job, and
    /// only if that one is due (next_at <= now) and not claimed (claimed_until <= now); at
    /// most `limit`, oldest first. Claimed ones are not handed out again before `now + lease`.
    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError>;
    /// A job is done (or dropped): delete it.
    async fn job_done(&self, id: i64) -> Result<(), StoreError>;
    /// A job failed: attempts + 1, claim released, due again at `next_at`.
    async fn job_failed(&self, id: i64, next_at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Delete the pending deliveries of webhook `webhook` queued before `cutoff` (its
    /// max_age passed); returns how many.
    async fn drop_webhook_jobs(
        &self,
        webhook: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Number of pending jobs (every kind).
    async fn pending_jobs(&self) -> Result<i64, StoreError>;
}

/// `kind` of a webhook delivery (the column's default: the push path's inserts leave it out).
pub(super) const KIND_WEBHOOK: &str = "webhook";
/// `kind` of a template message's send.
pub(super) const KIND_TEMPLATE: &str = "template";

/// Claims due jobs ($1 now, $2 claimed until, $3 limit): per (kind, webhook, account, openid)
/// only the oldest pending one, if it is due and unclaimed. The outer `claimed_until` check
/// makes a concurrent claimer (PostgreSQL re-checks it on the locked row) skip a row just
/// claimed.
pub(super) const CLAIM_JOBS: &str = "UPDATE outbox SET claimed_until = $2 \
    WHERE claimed_until <= $1 AND id IN (SELECT o.id FROM outbox o \
    WHERE o.next_at <= $1 AND o.claimed_until <= $1 AND NOT EXISTS (SELECT 1 FROM outbox p \
    WHERE p.kind = o.kind AND p.webhook = o.webhook AND p.account = o.account \
    AND p.openid = o.openid AND p.id < o.id) ORDER BY o.id LIMIT $3) \
    RETURNING id, kind, webhook, account, openid, event_id, payload, attempts, created_at";

/// A job is done ($1 id).
pub(super) const JOB_DONE: &str = "DELETE FROM outbox WHERE id = $1";

/// A job failed ($1 id, $2 next_at): one more attempt, unclaimed, due at $2.
pub(super) const JOB_FAILED: &str = "UPDATE outbox \
    SET attempts = attempts + 1, claimed_until = 0, next_at = $2 WHERE id = $1";

/// Drops the deliveries of webhook $1 queued before $2.
pub(super) const DROP_WEBHOOK_JOBS: &str =
    "DELETE FROM outbox WHERE kind = 'webhook' AND webhook = $1 AND created_at < $2";

/// Pending jobs.
pub(super) const COUNT_JOBS: &str = "SELECT COUNT(*) FROM outbox";

/// The send of template message $4 ($1 account, $2 openid, $3 payload, $5 now). Its
/// `webhook` is empty: it goes to no webhook.
pub(super) const QUEUE_TEMPLATE: &str = "INSERT INTO outbox \
    (kind, webhook, account, openid, event_id, payload, attempts, created_at, next_at, \
    claimed_until) VALUES ('template', '', $1, $2, $4, $3, 0, $5, $5, 0)";

/// Forget: the unsent template messages of openid $2 of account $1 (they hold the openid and
/// were not asked for by the user's own pushes, unlike notify deliveries).
pub(super) const DELETE_TEMPLATE_JOBS_OF: &str =
    "DELETE FROM outbox WHERE kind = 'template' AND account = $1 AND openid = $2";

/// `outbox` row as claimed.
#[derive(sqlx::FromRow)]
pub(super) struct JobDb {
    pub(super) id: i64,
    pub(super) kind: String,
    pub(super) webhook: String,
    pub(super) account: String,
    pub(super) openid: String,
    pub(super) event_id: String,
    pub(super) payload: String,
    pub(super) attempts: i32,
    pub(super) created_at: i64,
}

impl TryFrom<JobDb> for ClaimedJob {
    type Error = StoreError;

    fn try_from(row: JobDb) -> Result<Self, StoreError> {
        let job = match row.kind.as_str() {
            KIND_WEBHOOK => Job::Webhook(WebhookJob {
                webhook: row.webhook,
                event_id: row.event_id,
                payload: row.payload,
            }),
            KIND_TEMPLATE => Job::Template(TemplateJob {
                message_id: row.event_id.parse().map_err(|_| {
                    StoreError::Corrupt(format!("template job {} without a message id", row.id))
                })?,
                payload: row.payload,
            }),
            other => {
                return Err(StoreError::Corrupt(format!(
                    "job {} of unknown kind {other:?}",
                    row.id
                )))
            }
        };
        Ok(ClaimedJob {
            id: row.id,
            account: row.account,
            openid: row.openid,
            attempts: row.attempts,
            created_at: time(row.created_at)?,
            job,
        })
    }
}
