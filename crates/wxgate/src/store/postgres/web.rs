//! [`WebStore`] on PostgreSQL: each statement on the pool; a take is one `DELETE …
//! RETURNING`, so of two instances taking one state or ticket, one gets it.
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::PgStore;
use crate::store::rows::{after, millis, time};
use crate::store::web::{sql, PendingSignIn, SignInResult, WebStore};
use crate::store::{StoreError, StoredToken};

/// `sign_ins` as taken.
#[derive(sqlx::FromRow)]
struct SignInDb {
    account: String,
    redirect: String,
    scope: String,
    expires_at: i64,
}

/// `sign_in_tickets` as taken.
#[derive(sqlx::FromRow)]
struct ResultDb {
    account: String,
    appid: String,
    openid: String,
    unionid: Option<String>,
    scope: String,
    is_snapshotuser: i64,
    userinfo: Option<String>,
    expires_at: i64,
}

#[async_trait]
impl WebStore for PgStore {
    async fn save_sign_in(
        &self,
        state: &[u8; 32],
        pending: &PendingSignIn,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::INSERT_SIGN_IN)
            .bind(&state[..])
            .bind(&pending.account)
            .bind(&pending.redirect)
            .bind(&pending.scope)
            .bind(millis(pending.expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn take_sign_in(
        &self,
        state: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        let row: Option<SignInDb> = sqlx::query_as(sql::TAKE_SIGN_IN)
            .bind(&state[..])
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let pending = PendingSignIn {
            account: row.account,
            redirect: row.redirect,
            scope: row.scope,
            expires_at: time(row.expires_at)?,
        };
        Ok((pending.expires_at > now).then_some(pending))
    }

    async fn save_sign_in_result(
        &self,
        ticket: &[u8; 32],
        result: &SignInResult,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::INSERT_RESULT)
            .bind(&ticket[..])
            .bind(&result.account)
            .bind(&result.appid)
            .bind(&result.openid)
            .bind(&result.unionid)
            .bind(&result.scope)
            .bind(i64::from(result.is_snapshotuser))
            .bind(&result.userinfo)
            .bind(millis(result.expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn take_sign_in_result(
        &self,
        ticket: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<SignInResult>, StoreError> {
        let row: Option<ResultDb> = sqlx::query_as(sql::TAKE_RESULT)
            .bind(&ticket[..])
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let result = SignInResult {
            account: row.account,
            appid: row.appid,
            openid: row.openid,
            unionid: row.unionid,
            scope: row.scope,
            is_snapshotuser: row.is_snapshotuser != 0,
            userinfo: row.userinfo,
            expires_at: time(row.expires_at)?,
        };
        Ok((result.expires_at > now).then_some(result))
    }

    async fn sweep_sign_ins(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = millis(now);
        let states = sqlx::query(sql::SWEEP_SIGN_INS)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let tickets = sqlx::query(sql::SWEEP_RESULTS)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(states.rows_affected() + tickets.rows_affected())
    }

    async fn load_jsapi_ticket(&self, appid: &str) -> Result<Option<StoredToken>, StoreError> {
        let row: Option<(String, i64)> = sqlx::query_as(sql::SELECT_TICKET)
            .bind(appid)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(ticket, expires_at)| {
            Ok(StoredToken {
                access_token: ticket.into(),
                expires_at: time(expires_at)?,
            })
        })
        .transpose()
    }

    async fn save_jsapi_ticket(&self, appid: &str, ticket: &StoredToken) -> Result<(), StoreError> {
        sqlx::query(sql::UPSERT_TICKET)
            .bind(appid)
            .bind(ticket.access_token.expose_secret())
            .bind(millis(ticket.expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn expire_jsapi_ticket(&self, appid: &str, ticket: &str) -> Result<(), StoreError> {
        sqlx::query(sql::EXPIRE_TICKET)
            .bind(appid)
            .bind(ticket)
            .bind(millis(Utc::now()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn try_jsapi_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let taken: Option<String> = sqlx::query_scalar(sql::TAKE_TICKET_LEASE)
            .bind(appid)
            .bind(holder)
            .bind(millis(after(now, ttl)))
            .bind(millis(now))
            .fetch_optional(&self.pool)
            .await?;
        Ok(taken.is_some())
    }

    async fn release_jsapi_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query(sql::RELEASE_TICKET_LEASE)
            .bind(appid)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
