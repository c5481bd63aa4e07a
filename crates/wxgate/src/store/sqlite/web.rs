//! [`WebStore`] on SQLite: every write one job of the writer; a take is a `DELETE …
//! RETURNING` there, so two takers of one state or ticket never both get it.
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql};
use secrecy::ExposeSecret;

use super::{execute, named, refs, returns_row, SqliteStore};
use crate::store::rows::{after, millis, time};
use crate::store::web::{sql, PendingSignIn, SignInResult, WebStore};
use crate::store::{StoreError, StoredToken};

/// The row `text` returns with `values` bound (deleting it, for a `DELETE … RETURNING`).
fn one_row<T>(
    conn: &Connection,
    text: &str,
    values: &[&dyn ToSql],
    read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let named = named(values);
    conn.prepare_cached(text)?
        .query_row(refs(&named).as_slice(), read)
        .optional()
}

/// A sign-in's columns: account, redirect, scope, expires_at.
type SignInRow = (String, String, String, i64);

/// A finished sign-in's columns, in the order of `TAKE_RESULT`.
type ResultRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<String>,
    i64,
);

#[async_trait]
impl WebStore for SqliteStore {
    async fn save_sign_in(
        &self,
        state: &[u8; 32],
        pending: &PendingSignIn,
    ) -> Result<(), StoreError> {
        let (state, p) = (state.to_vec(), pending.clone());
        self.exec(move |conn, _| {
            execute(
                conn,
                sql::INSERT_SIGN_IN,
                &[
                    &state,
                    &p.account,
                    &p.redirect,
                    &p.scope,
                    &millis(p.expires_at),
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn take_sign_in(
        &self,
        state: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        let state = state.to_vec();
        let row: Option<SignInRow> = self
            .exec(move |conn, _| {
                one_row(conn, sql::TAKE_SIGN_IN, &[&state], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
            })
            .await?;
        let Some((account, redirect, scope, expires_at)) = row else {
            return Ok(None);
        };
        let pending = PendingSignIn {
            account,
            redirect,
            scope,
            expires_at: time(expires_at)?,
        };
        Ok((pending.expires_at > now).then_some(pending))
    }

    async fn save_sign_in_result(
        &self,
        ticket: &[u8; 32],
        result: &SignInResult,
    ) -> Result<(), StoreError> {
        let (ticket, r) = (ticket.to_vec(), result.clone());
        self.exec(move |conn, _| {
            execute(
                conn,
                sql::INSERT_RESULT,
                &[
                    &ticket,
                    &r.account,
                    &r.appid,
                    &r.openid,
                    &r.unionid,
                    &r.scope,
                    &i64::from(r.is_snapshotuser),
                    &r.userinfo,
                    &millis(r.expires_at),
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn take_sign_in_result(
        &self,
        ticket: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<SignInResult>, StoreError> {
        let ticket = ticket.to_vec();
        let row: Option<ResultRow> = self
            .exec(move |conn, _| {
                one_row(conn, sql::TAKE_RESULT, &[&ticket], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                        row.get(7)?,
                    ))
                })
            })
            .await?;
        let Some((account, appid, openid, unionid, scope, snapshot, userinfo, expires_at)) = row
        else {
            return Ok(None);
        };
        let result = SignInResult {
            account,
            appid,
            openid,
            unionid,
            scope,
            is_snapshotuser: snapshot != 0,
            userinfo,
            expires_at: time(expires_at)?,
        };
        Ok((result.expires_at > now).then_some(result))
    }

    async fn sweep_sign_ins(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = millis(now);
        self.exec(move |conn, _| {
            let states = execute(conn, sql::SWEEP_SIGN_INS, &[&now])?;
            let tickets = execute(conn, sql::SWEEP_RESULTS, &[&now])?;
            Ok((states + tickets) as u64)
        })
        .await
    }

    async fn load_jsapi_ticket(&self, appid: &str) -> Result<Option<StoredToken>, StoreError> {
        let appid = appid.to_string();
        let row: Option<(String, i64)> = self
            .read(move |conn| {
                one_row(conn, sql::SELECT_TICKET, &[&appid], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .map_err(StoreError::from)
            })
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
        let (appid, ticket) = (appid.to_string(), ticket.clone());
        self.exec(move |conn, _| {
            execute(
                conn,
                sql::UPSERT_TICKET,
                &[
                    &appid,
                    &ticket.access_token.expose_secret(),
                    &millis(ticket.expires_at),
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn expire_jsapi_ticket(&self, appid: &str, ticket: &str) -> Result<(), StoreError> {
        let (appid, ticket) = (appid.to_string(), ticket.to_string());
        self.exec(move |conn, _| {
            execute(
                conn,
                sql::EXPIRE_TICKET,
                &[&appid, &ticket, &millis(Utc::now())],
            )
            .map(drop)
        })
        .await
    }

    async fn try_jsapi_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let (appid, holder) = (appid.to_string(), holder.to_string());
        self.exec(move |conn, _| {
            let now = Utc::now();
            returns_row(
                conn,
                sql::TAKE_TICKET_LEASE,
                &[&appid, &holder, &millis(after(now, ttl)), &millis(now)],
            )
        })
        .await
    }

    async fn release_jsapi_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError> {
        let (appid, holder) = (appid.to_string(), holder.to_string());
        self.exec(move |conn, _| {
            execute(conn, sql::RELEASE_TICKET_LEASE, &[&appid, &holder]).map(drop)
        })
        .await
    }
}
