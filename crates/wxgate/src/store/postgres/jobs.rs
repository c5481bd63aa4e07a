//! The job queue on PostgreSQL: each call one statement on the pool (concurrent claimers of
//! instances sharing the database skip each other's rows, see [`jobs::CLAIM_JOBS`]).
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::jobs::{self, ClaimedJob, JobDb, JobQueue};
use crate::store::rows::{after, millis};
use crate::store::StoreError;

#[async_trait]
impl JobQueue for PgStore {
    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let mut claimed = sqlx::query_as::<_, JobDb>(jobs::CLAIM_JOBS)
            .bind(millis(now))
            .bind(millis(after(now, lease)))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(ClaimedJob::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING has no order.
        claimed.sort_by_key(|job| job.id);
        Ok(claimed)
    }

    async fn job_done(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(jobs::JOB_DONE)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn job_failed(&self, id: i64, next_at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(jobs::JOB_FAILED)
            .bind(id)
            .bind(millis(next_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn drop_webhook_jobs(
        &self,
        webhook: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(jobs::DROP_WEBHOOK_JOBS)
            .bind(webhook)
            .bind(millis(cutoff))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn pending_jobs(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(jobs::COUNT_JOBS)
            .fetch_one(&self.pool)
            .await?)
    }
}
