//! The accounts port on SQLite: notes of the accounts served, and erasing all of one account
//! (one job of the writer, its bytes scrubbed from the files as a forget's are).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::writer::{State, WriteOp};
use super::{execute, SqliteStore};
use crate::store::accounts::{self as a, AccountLedger, KnownAccount};
use crate::store::rows::mark;
use crate::store::{ReplayMark, StoreError};

#[async_trait]
impl AccountLedger for SqliteStore {
    async fn note_accounts(&self, accounts: &[KnownAccount]) -> Result<(), StoreError> {
        let accounts = accounts.to_vec();
        let now = chrono::Utc::now().timestamp_millis();
        self.exec(move |conn, _| {
            for k in &accounts {
                execute(
                    conn,
                    a::UPSERT_ACCOUNT,
                    &[
                        &k.name,
                        &k.appid,
                        &k.security,
                        &k.push_path,
                        &k.source,
                        &now,
                    ],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn known_accounts(&self) -> Result<Vec<KnownAccount>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(a::SELECT_ACCOUNTS)?;
            let rows = stmt.query_map([], |row| {
                Ok(KnownAccount {
                    name: row.get(0)?,
                    appid: row.get(1)?,
                    security: row.get(2)?,
                    push_path: row.get(3)?,
                    source: row.get(4)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(StoreError::from)
        })
        .await
    }

    async fn recent_marks(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, ReplayMark)>, StoreError> {
        let since_ms = crate::store::rows::millis(since);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&a::SELECT_RECENT_MARKS.replace("$1", "?1"))?;
            let rows = stmt.query_map([since_ms], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, Vec<u8>>(3)?,
                ))
            })?;
            rows.map(|row| {
                let (account, seen_at, query, body) = row?;
                Ok((account, mark(seen_at, &query, &body)?))
            })
            .collect()
        })
        .await
    }

    async fn erase_account(&self, account: &str, appid: Option<&str>) -> Result<(), StoreError> {
        let (answer, outcome) = oneshot::channel();
        let op = Erase {
            account: account.to_string(),
            appid: appid.map(str::to_string),
            answer,
        };
        self.write(op, outcome).await
    }
}

/// Erasing an account: every table's rows of it, its note, maybe its appid's token.
struct Erase {
    account: String,
    appid: Option<String>,
    answer: oneshot::Sender<Result<(), StoreError>>,
}

impl WriteOp for Erase {
    fn apply(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<()> {
        for statement in a::erase_statements(a::SQLITE_ACCOUNT_TABLES) {
            execute(conn, &statement, &[&self.account])?;
        }
        execute(conn, a::DELETE_ACCOUNT, &[&self.account])?;
        if let Some(appid) = &self.appid {
            for statement in a::DELETE_APPID {
                execute(conn, statement, &[appid])?;
            }
        }
        // The recent keys and the pushes waiting to be applied held some of its rows: read
        // both again from what is left.
        *state = State::load(conn)?;
        Ok(())
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let _ = self.answer.send(outcome);
    }

    fn scrubs(&self) -> bool {
        true
    }
}
