//! Template messages on SQLite: every write one job of the writer (one transaction).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::{execute, named, refs, SqliteStore};
use crate::store::messages::{self as m, MessageDb, MessageRow, NewMessage, Queued};
use crate::store::rows::millis;
use crate::store::{jobs, StoreError, TemplateMessages};

#[async_trait]
impl TemplateMessages for SqliteStore {
    async fn queue_message(&self, message: &NewMessage) -> Result<Queued, StoreError> {
        let message = message.clone();
        self.exec(move |conn, _| queue(conn, &message)).await
    }

    async fn message(&self, id: i64) -> Result<Option<MessageRow>, StoreError> {
        let row = self
            .read(move |conn| {
                let values: [&dyn rusqlite::ToSql; 1] = [&id];
                let named_values = named(&values);
                conn.prepare_cached(m::SELECT_MESSAGE)?
                    .query_row(refs(&named_values).as_slice(), |row| {
                        Ok(MessageDb {
                            id: row.get(0)?,
                            openid: row.get(1)?,
                            template_id: row.get(2)?,
                            status: row.get(3)?,
                            msgid: row.get(4)?,
                            error: row.get(5)?,
                            created_at: row.get(6)?,
                            updated_at: row.get(7)?,
                            account: row.get(8)?,
                        })
                    })
                    .optional()
                    .map_err(StoreError::from)
            })
            .await?;
        row.map(MessageRow::try_from).transpose()
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
        let (account, status) = (account.to_string(), status.to_string());
        self.exec(move |conn, _| {
            execute(conn, m::EXPIRE_RECEIPTS, &[&m::receipts_cutoff(at)])?;
            execute(
                conn,
                m::UPSERT_RECEIPT,
                &[&account, &msgid, &status, &millis(at)],
            )?;
            let values: [&dyn rusqlite::ToSql; 4] = [&account, &msgid, &status, &millis(at)];
            let named_values = named(&values);
            conn.prepare_cached(m::MESSAGE_FINISHED)?
                .query_row(refs(&named_values).as_slice(), |row| row.get(0))
                .optional()
        })
        .await
    }
}

/// Inserts the message and its send (a template job), or finds the message holding its key.
fn queue(conn: &Connection, message: &NewMessage) -> rusqlite::Result<Queued> {
    let at = millis(message.created_at);
    let values: [&dyn rusqlite::ToSql; 5] = [
        &message.account,
        &message.openid,
        &message.template_id,
        &message.idempotency_key,
        &at,
    ];
    let named_values = named(&values);
    let inserted: Option<i64> = conn
        .prepare_cached(m::INSERT_MESSAGE)?
        .query_row(refs(&named_values).as_slice(), |row| row.get(0))
        .optional()?;
    let Some(id) = inserted else {
        let key: [&dyn rusqlite::ToSql; 2] = [&message.account, &message.idempotency_key];
        let named_key = named(&key);
        let id = conn
            .prepare_cached(m::MESSAGE_BY_KEY)?
            .query_row(refs(&named_key).as_slice(), |row| row.get(0))?;
        return Ok(Queued { id, created: false });
    };
    execute(
        conn,
        jobs::QUEUE_TEMPLATE,
        &[
            &message.account,
            &message.openid,
            &message.payload,
            &id.to_string(),
            &at,
        ],
    )?;
    Ok(Queued { id, created: true })
}

impl SqliteStore {
    /// Message `id`'s outcome (WeChat's msgid, or why it failed for good) and its send `job`
    /// deleted, in one transaction.
    async fn settle_message(
        &self,
        id: i64,
        job: i64,
        outcome: Result<i64, String>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(move |conn, _| {
            match &outcome {
                Ok(msgid) => execute(conn, m::MESSAGE_SENT, &[&id, msgid, &millis(at)])?,
                Err(error) => execute(conn, m::MESSAGE_FAILED, &[&id, error, &millis(at)])?,
            };
            execute(conn, jobs::JOB_DONE, &[&job]).map(drop)
        })
        .await
    }
}
