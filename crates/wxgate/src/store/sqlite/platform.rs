//! [`PlatformStore`] on SQLite: every write one job of the writer (so a refresh token and its
//! access token commit together), reads on the reader connections.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use secrecy::ExposeSecret;

use super::{execute, named, refs, returns_row, SqliteStore};
use crate::store::platform::{
    authorizer, join_ids, sql, verify_ticket, Authorizer, AuthorizerRow, AuthorizerStatus,
    PlatformStore, VerifyTicket, CODES_KEPT,
};
use crate::store::rows::millis;
use crate::store::{StoreError, StoredToken};

#[async_trait]
impl PlatformStore for SqliteStore {
    async fn save_ticket(
        &self,
        component_appid: &str,
        ticket: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (component, ticket) = (component_appid.to_string(), ticket.to_string());
        self.exec(move |conn, _| {
            execute(
                conn,
                sql::UPSERT_TICKET,
                &[&component, &ticket, &millis(at)],
            )
            .map(drop)
        })
        .await
    }

    async fn ticket(&self, component_appid: &str) -> Result<Option<VerifyTicket>, StoreError> {
        let component = component_appid.to_string();
        let row: Option<(String, i64)> = self
            .read(move |conn| {
                let values: [&dyn rusqlite::ToSql; 1] = [&component];
                let named = named(&values);
                conn.prepare_cached(sql::SELECT_TICKET)?
                    .query_row(refs(&named).as_slice(), |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .optional()
                    .map_err(StoreError::from)
            })
            .await?;
        row.map(verify_ticket).transpose()
    }

    async fn claim_code(&self, digest: &[u8; 32], at: DateTime<Utc>) -> Result<bool, StoreError> {
        let digest = digest.to_vec();
        let cutoff = millis(at) - CODES_KEPT.as_millis() as i64;
        self.exec(move |conn, _| {
            execute(conn, sql::PRUNE_CODES, &[&cutoff])?;
            returns_row(conn, sql::CLAIM_CODE, &[&digest, &millis(at)])
        })
        .await
    }

    async fn save_authorizer(
        &self,
        authorizer: &Authorizer,
        sealed: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let (a, sealed) = (authorizer.clone(), sealed.map(<[u8]>::to_vec));
        self.exec(move |conn, _| {
            execute(
                conn,
                sql::UPSERT_AUTHORIZER,
                &[
                    &a.appid,
                    &a.user_name,
                    &a.nick_name,
                    &a.principal_name,
                    &a.service_type,
                    &a.verify_type,
                    &join_ids(&a.func_info),
                    &a.status.as_str(),
                    &millis(a.authorized_at),
                    &millis(a.updated_at),
                    &a.revoked_at.map(millis),
                    &sealed,
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn authorizers(&self) -> Result<Vec<Authorizer>, StoreError> {
        let rows: Vec<AuthorizerRow> = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(sql::SELECT_AUTHORIZERS)?;
                let rows = stmt.query_map([], authorizer_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(StoreError::from)
            })
            .await?;
        rows.into_iter().map(authorizer).collect()
    }

    async fn authorizer(&self, appid: &str) -> Result<Option<Authorizer>, StoreError> {
        let appid = appid.to_string();
        let row: Option<AuthorizerRow> = self
            .read(move |conn| {
                let values: [&dyn rusqlite::ToSql; 1] = [&appid];
                let named = named(&values);
                conn.prepare_cached(sql::SELECT_AUTHORIZER)?
                    .query_row(refs(&named).as_slice(), authorizer_row)
                    .optional()
                    .map_err(StoreError::from)
            })
            .await?;
        row.map(authorizer).transpose()
    }

    async fn sealed_refresh_token(&self, appid: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let appid = appid.to_string();
        self.read(move |conn| {
            let values: [&dyn rusqlite::ToSql; 1] = [&appid];
            let named = named(&values);
            conn.prepare_cached(sql::SELECT_REFRESH)?
                .query_row(refs(&named).as_slice(), |row| row.get(0))
                .optional()
                .map_err(StoreError::from)
        })
        .await
    }

    async fn save_refreshed(
        &self,
        appid: &str,
        sealed: &[u8],
        access: &StoredToken,
    ) -> Result<(), StoreError> {
        let (appid, sealed, access) = (appid.to_string(), sealed.to_vec(), access.clone());
        self.exec(move |conn, _| {
            let now = millis(Utc::now());
            execute(conn, sql::UPDATE_REFRESH, &[&appid, &sealed, &now])?;
            execute(
                conn,
                sql::UPSERT_ACCESS,
                &[
                    &appid,
                    &access.access_token.expose_secret(),
                    &millis(access.expires_at),
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn set_authorizer_status(
        &self,
        appid: &str,
        status: AuthorizerStatus,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let appid = appid.to_string();
        self.exec(move |conn, _| {
            execute(
                conn,
                sql::UPDATE_STATUS,
                &[&appid, &status.as_str(), &millis(at)],
            )
            .map(drop)
        })
        .await
    }

    async fn revoke_authorizer(&self, appid: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let appid = appid.to_string();
        self.exec(move |conn, _| {
            execute(conn, sql::REVOKE, &[&appid, &millis(at)])?;
            for statement in sql::DELETE_TOKENS {
                execute(conn, statement, &[&appid])?;
            }
            Ok(())
        })
        .await
    }

    async fn revoked_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let cutoff = millis(cutoff);
        self.read(move |conn| {
            let values: [&dyn rusqlite::ToSql; 1] = [&cutoff];
            let named = named(&values);
            let mut stmt = conn.prepare_cached(sql::SELECT_REVOKED)?;
            let rows = stmt.query_map(refs(&named).as_slice(), |row| row.get(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
                .map_err(StoreError::from)
        })
        .await
    }

    async fn delete_authorizer(&self, appid: &str) -> Result<(), StoreError> {
        let appid = appid.to_string();
        self.exec(move |conn, _| execute(conn, sql::DELETE_AUTHORIZER, &[&appid]).map(drop))
            .await
    }
}

/// One row of `SELECT_AUTHORIZER(S)`, in its column order.
fn authorizer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuthorizerRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}
