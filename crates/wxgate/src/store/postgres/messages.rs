//! Template messages on PostgreSQL: each write one transaction on the pool.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::messages::{self as m, MessageDb, MessageRow, NewMessage, Queued};
use crate::store::rows::millis;
use crate::store::{jobs, StoreError, TemplateMessages};

#[async_trait]
impl TemplateMessages for PgStore {
    async fn queue_message(&self, message: &NewMessage) -> Result<Queued, StoreError> {
        let at = millis(message.created_at);
        let mut tx = self.pool.begin().await?;
        let inserted: Option<i64> = sqlx::query_scalar(m::INSERT_MESSAGE)
            .bind(&message.account)
            .bind(&message.openid)
            .bind(&message.template_id)
            .bind(&message.idempotency_key)
            .bind(at)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(id) = inserted else {
            tx.rollback().await?;
            // The key's holder committed first (a unique conflict waits for it).
            let id: i64 = sqlx::query_scalar(m::MESSAGE_BY_KEY)
                .bind(&message.account)
                .bind(&message.idempotency_key)
                .fetch_one(&self.pool)
                .await?;
            return Ok(Queued { id, created: false });
        };
        sqlx::query(jobs::QUEUE_TEMPLATE)
            .bind(&message.account)
            .bind(&message.openid)
            .bind(&message.payload)
            .bind(id.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Queued { id, created: true })
    }

    async fn message(&self, id: i64) -> Result<Option<MessageRow>, StoreError> {
        sqlx::query_as::<_, MessageDb>(m::SELECT_MESSAGE)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(MessageRow::try_from)
            .transpose()
    }

    async fn message_sent(
        &self,
        id: i64,
        job: i64,
        msgid: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle_message(id, job, Ok(msgid), at).await
    }

    async fn message_failed(
        &self,
        id: i64,
        job: i64,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle_message(id, job, Err(error.to_string()), at)
            .await
    }

    async fn message_receipt(
        &self,
        account: &str,
        msgid: i64,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(m::EXPIRE_RECEIPTS)
            .bind(m::receipts_cutoff(at))
            .execute(&mut *tx)
            .await?;
        sqlx::query(m::UPSERT_RECEIPT)
            .bind(account)
            .bind(msgid)
            .bind(status)
            .bind(millis(at))
            .execute(&mut *tx)
            .await?;
        let id: Option<i64> = sqlx::query_scalar(m::MESSAGE_FINISHED)
            .bind(account)
            .bind(msgid)
            .bind(status)
            .bind(millis(at))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }
}

impl PgStore {
    /// Message `id`'s outcome (WeChat's msgid, or why it failed for good) and its send `job`
    /// deleted, in one transaction.
    async fn settle_message(
        &self,
        id: i64,
        job: i64,
        outcome: Result<i64, String>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        match outcome {
            Ok(msgid) => {
                sqlx::query(m::MESSAGE_SENT)
                    .bind(id)
                    .bind(msgid)
                    .bind(millis(at))
                    .execute(&mut *tx)
                    .await?
            }
            Err(error) => {
                sqlx::query(m::MESSAGE_FAILED)
                    .bind(id)
                    .bind(error)
                    .bind(millis(at))
                    .execute(&mut *tx)
                    .await?
            }
        };
        sqlx::query(jobs::JOB_DONE)
            .bind(job)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
