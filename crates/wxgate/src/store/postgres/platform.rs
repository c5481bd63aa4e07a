//! [`PlatformStore`] on PostgreSQL: each statement on the pool; a refresh token and its
//! access token in one transaction; a code claimed by one insert, so of two instances one
//! exchanges it.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::PgStore;
use crate::store::platform::{
    authorizer, join_ids, sql, verify_ticket, Authorizer, AuthorizerRow, AuthorizerStatus,
    PlatformStore, VerifyTicket, CODES_KEPT,
};
use crate::store::rows::millis;
use crate::store::{StoreError, StoredToken};

#[async_trait]
impl PlatformStore for PgStore {
    async fn save_ticket(
        &self,
        component_appid: &str,
        ticket: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::UPSERT_TICKET)
            .bind(component_appid)
            .bind(ticket)
            .bind(millis(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn ticket(&self, component_appid: &str) -> Result<Option<VerifyTicket>, StoreError> {
        let row: Option<(String, i64)> = sqlx::query_as(sql::SELECT_TICKET)
            .bind(component_appid)
            .fetch_optional(&self.pool)
            .await?;
        row.map(verify_ticket).transpose()
    }

    async fn claim_code(&self, digest: &[u8; 32], at: DateTime<Utc>) -> Result<bool, StoreError> {
        let cutoff = millis(at) - CODES_KEPT.as_millis() as i64;
        sqlx::query(sql::PRUNE_CODES)
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        let row: Option<(i64,)> = sqlx::query_as(sql::CLAIM_CODE)
            .bind(&digest[..])
            .bind(millis(at))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn save_authorizer(
        &self,
        a: &Authorizer,
        sealed: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::UPSERT_AUTHORIZER)
            .bind(&a.appid)
            .bind(&a.user_name)
            .bind(&a.nick_name)
            .bind(&a.principal_name)
            .bind(a.service_type)
            .bind(a.verify_type)
            .bind(join_ids(&a.func_info))
            .bind(a.status.as_str())
            .bind(millis(a.authorized_at))
            .bind(millis(a.updated_at))
            .bind(a.revoked_at.map(millis))
            .bind(sealed)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn authorizers(&self) -> Result<Vec<Authorizer>, StoreError> {
        let rows: Vec<AuthorizerRow> = sqlx::query_as(sql::SELECT_AUTHORIZERS)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(authorizer).collect()
    }

    async fn authorizer(&self, appid: &str) -> Result<Option<Authorizer>, StoreError> {
        let row: Option<AuthorizerRow> = sqlx::query_as(sql::SELECT_AUTHORIZER)
            .bind(appid)
            .fetch_optional(&self.pool)
            .await?;
        row.map(authorizer).transpose()
    }

    async fn sealed_refresh_token(&self, appid: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as(sql::SELECT_REFRESH)
            .bind(appid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(sealed,)| sealed))
    }

    async fn save_refreshed(
        &self,
        appid: &str,
        sealed: &[u8],
        access: &StoredToken,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::UPDATE_REFRESH)
            .bind(appid)
            .bind(sealed)
            .bind(millis(Utc::now()))
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::UPSERT_ACCESS)
            .bind(appid)
            .bind(access.access_token.expose_secret())
            .bind(millis(access.expires_at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_authorizer_status(
        &self,
        appid: &str,
        status: AuthorizerStatus,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::UPDATE_STATUS)
            .bind(appid)
            .bind(status.as_str())
            .bind(millis(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn revoke_authorizer(&self, appid: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::REVOKE)
            .bind(appid)
            .bind(millis(at))
            .execute(&mut *tx)
            .await?;
        for statement in sql::DELETE_TOKENS {
            sqlx::query(statement).bind(appid).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn revoked_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(sql::SELECT_REVOKED)
            .bind(millis(cutoff))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(appid,)| appid).collect())
    }

    async fn delete_authorizer(&self, appid: &str) -> Result<(), StoreError> {
        sqlx::query(sql::DELETE_AUTHORIZER)
            .bind(appid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
