//! `followers sync` on SQLite: a page of followers and the cursor in one writer job.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::{execute, named, refs, SqliteStore};
use crate::store::rows::{millis, time, utc_day};
use crate::store::sync::{self as s, SyncCursor, SyncedFollower};
use crate::store::{StoreError, SyncStore};

#[async_trait]
impl SyncStore for SqliteStore {
    async fn save_synced(
        &self,
        account: &str,
        followers: &[SyncedFollower],
        cursor: &SyncCursor,
    ) -> Result<u64, StoreError> {
        // Pushes already answered are applied first, so a follower they created is not
        // counted again as new.
        self.caught_up().await?;
        let (account, followers, cursor) =
            (account.to_string(), followers.to_vec(), cursor.clone());
        self.exec(move |conn, _| save(conn, &account, &followers, &cursor))
            .await
    }

    async fn sync_cursor(&self, account: &str) -> Result<Option<SyncCursor>, StoreError> {
        let account = account.to_string();
        let row: Option<(i64, Option<String>, i64)> = self
            .read(move |conn| {
                let values: [&dyn rusqlite::ToSql; 1] = [&account];
                let named_values = named(&values);
                conn.prepare_cached(s::SELECT_CURSOR)?
                    .query_row(refs(&named_values).as_slice(), |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })
                    .optional()
                    .map_err(StoreError::from)
            })
            .await?;
        row.map(|(started_at, next_openid, synced)| {
            Ok(SyncCursor {
                started_at: time(started_at)?,
                next_openid,
                synced,
            })
        })
        .transpose()
    }

    async fn finish_sync(&self, account: &str) -> Result<(), StoreError> {
        let account = account.to_string();
        self.exec(move |conn, _| execute(conn, s::DELETE_CURSOR, &[&account]).map(drop))
            .await
    }

    async fn forget_departed(
        &self,
        account: &str,
        openid: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (op, outcome) = super::ops::Forget::new(account, openid, Some(at));
        self.write(op, outcome).await
    }

    async fn unsynced_followers(
        &self,
        account: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        self.caught_up().await?;
        let (account, at) = (account.to_string(), millis(started_at));
        self.read(move |conn| {
            let values: [&dyn rusqlite::ToSql; 2] = [&account, &at];
            let named_values = named(&values);
            let mut stmt = conn.prepare_cached(s::SELECT_UNSYNCED)?;
            let rows = stmt.query_map(refs(&named_values).as_slice(), |row| row.get(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
                .map_err(StoreError::from)
        })
        .await
    }
}

fn save(
    conn: &Connection,
    account: &str,
    followers: &[SyncedFollower],
    cursor: &SyncCursor,
) -> rusqlite::Result<u64> {
    let synced_at = millis(cursor.started_at);
    let mut new = 0;
    for f in followers {
        let known = {
            let values: [&dyn rusqlite::ToSql; 2] = [&account, &f.openid];
            let named_values = named(&values);
            conn.prepare_cached(s::FOLLOWER_EXISTS)?
                .query_row(refs(&named_values).as_slice(), |_| Ok(()))
                .optional()?
                .is_some()
        };
        execute(
            conn,
            s::UPSERT_SYNCED,
            &[
                &account,
                &f.openid,
                &f.subscribed_at.map(millis),
                &f.scene,
                &f.unionid,
                &f.subscribe_scene,
                &f.language,
                &f.remark,
                &s::tags_json(&f.tags),
                &synced_at,
            ],
        )?;
        if !known {
            new += 1;
            if let Some(scene) = &f.scene {
                let day = utc_day(f.subscribed_at.unwrap_or(cursor.started_at));
                execute(conn, s::COUNT_SYNCED, &[&account, scene, &day])?;
            }
        }
    }
    execute(
        conn,
        s::UPSERT_CURSOR,
        &[&account, &synced_at, &cursor.next_openid, &cursor.synced],
    )?;
    Ok(new)
}
