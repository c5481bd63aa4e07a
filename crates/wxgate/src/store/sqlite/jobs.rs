//! The job queue on SQLite: claims and retries are writer jobs (one statement each); deleting
//! a job goes through `delivered.rs` (which scrubs a forgotten user's last trace).
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::ToSql;

use super::{delivered, execute, named, read, refs, SqliteStore};
use crate::store::jobs::{self, ClaimedJob, JobDb, JobQueue};
use crate::store::rows::{after, millis};
use crate::store::StoreError;

#[async_trait]
impl JobQueue for SqliteStore {
    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let rows = self
            .exec(move |conn, _| {
                let (from, to, limit) = (millis(now), millis(after(now, lease)), i64::from(limit));
                let values: [&dyn ToSql; 3] = [&from, &to, &limit];
                let named_values = named(&values);
                let mut stmt = conn.prepare_cached(jobs::CLAIM_JOBS)?;
                let rows = stmt.query_map(refs(&named_values).as_slice(), |row| {
                    Ok(JobDb {
                        id: row.get(0)?,
                        kind: row.get(1)?,
                        webhook: row.get(2)?,
                        account: row.get(3)?,
                        openid: row.get(4)?,
                        event_id: row.get(5)?,
                        payload: row.get(6)?,
                        attempts: row.get(7)?,
                        created_at: row.get(8)?,
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        let mut claimed = rows
            .into_iter()
            .map(ClaimedJob::try_from)
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING has no order.
        claimed.sort_by_key(|job| job.id);
        Ok(claimed)
    }

    async fn job_done(&self, id: i64) -> Result<(), StoreError> {
        let (op, outcome) = delivered::Delivered::one(id);
        self.write(op, outcome).await.map(drop)
    }

    async fn job_failed(&self, id: i64, next_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.exec(move |conn, _| {
            execute(conn, jobs::JOB_FAILED, &[&id, &millis(next_at)]).map(drop)
        })
        .await
    }

    async fn drop_webhook_jobs(
        &self,
        webhook: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let (op, outcome) = delivered::Delivered::older(webhook, millis(cutoff));
        self.write(op, outcome).await
    }

    async fn pending_jobs(&self) -> Result<i64, StoreError> {
        self.read(read::pending_jobs).await
    }
}
