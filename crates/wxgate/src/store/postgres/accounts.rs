//! The accounts port on PostgreSQL: notes of the accounts served, and erasing all of one
//! account in one transaction.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::accounts::{self as a, AccountLedger, KnownAccount};
use crate::store::rows::mark;
use crate::store::{ReplayMark, StoreError};

#[async_trait]
impl AccountLedger for PgStore {
    async fn note_accounts(&self, accounts: &[KnownAccount]) -> Result<(), StoreError> {
        if accounts.is_empty() {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp_millis();
        let mut tx = self.pool.begin().await?;
        for k in accounts {
            sqlx::query(a::UPSERT_ACCOUNT)
                .bind(&k.name)
                .bind(&k.appid)
                .bind(&k.security)
                .bind(&k.push_path)
                .bind(&k.source)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn known_accounts(&self) -> Result<Vec<KnownAccount>, StoreError> {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(a::SELECT_ACCOUNTS)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(name, appid, security, push_path, source)| KnownAccount {
                name,
                appid,
                security,
                push_path,
                source,
            })
            .collect())
    }

    async fn recent_marks(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, ReplayMark)>, StoreError> {
        let since_ms = crate::store::rows::millis(since);
        let rows: Vec<(String, i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(a::SELECT_RECENT_MARKS)
            .bind(since_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|(account, seen_at, query, body)| {
                Ok((account.clone(), mark(*seen_at, query, body)?))
            })
            .collect()
    }

    async fn erase_account(&self, account: &str, appid: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for statement in a::erase_statements(&[]) {
            sqlx::query(&statement)
                .bind(account)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(a::DELETE_ACCOUNT)
            .bind(account)
            .execute(&mut *tx)
            .await?;
        if let Some(appid) = appid {
            for statement in a::DELETE_APPID {
                sqlx::query(statement).bind(appid).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
