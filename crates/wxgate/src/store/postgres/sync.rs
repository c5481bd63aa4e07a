//! `followers sync` on PostgreSQL: a page of followers and the cursor in one transaction.
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::rows::{millis, time, utc_day};
use crate::store::sync::{self as s, SyncCursor, SyncedFollower};
use crate::store::StoreError;

impl PgStore {
    pub(super) async fn save_synced_on(
        &self,
        account: &str,
        followers: &[SyncedFollower],
        cursor: &SyncCursor,
    ) -> Result<u64, StoreError> {
        let synced_at = millis(cursor.started_at);
        let mut tx = self.pool.begin().await?;
        let mut new = 0;
        for f in followers {
            let known: Option<i32> = sqlx::query_scalar(s::FOLLOWER_EXISTS)
                .bind(account)
                .bind(&f.openid)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(s::UPSERT_SYNCED)
                .bind(account)
                .bind(&f.openid)
                .bind(f.subscribed_at.map(millis))
                .bind(&f.scene)
                .bind(&f.unionid)
                .bind(&f.subscribe_scene)
                .bind(&f.language)
                .bind(&f.remark)
                .bind(s::tags_json(&f.tags))
                .bind(synced_at)
                .execute(&mut *tx)
                .await?;
            if known.is_none() {
                new += 1;
                if let Some(scene) = &f.scene {
                    let day = utc_day(f.subscribed_at.unwrap_or(cursor.started_at));
                    sqlx::query(s::COUNT_SYNCED)
                        .bind(account)
                        .bind(scene)
                        .bind(day)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        sqlx::query(s::UPSERT_CURSOR)
            .bind(account)
            .bind(synced_at)
            .bind(&cursor.next_openid)
            .bind(cursor.synced)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(new)
    }

    pub(super) async fn sync_cursor_on(
        &self,
        account: &str,
    ) -> Result<Option<SyncCursor>, StoreError> {
        let row: Option<(i64, Option<String>, i64)> = sqlx::query_as(s::SELECT_CURSOR)
            .bind(account)
            .fetch_optional(&self.pool)
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

    pub(super) async fn finish_sync_on(&self, account: &str) -> Result<(), StoreError> {
        sqlx::query(s::DELETE_CURSOR)
            .bind(account)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn unsynced_on(
        &self,
        account: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(s::SELECT_UNSYNCED)
            .bind(account)
            .bind(millis(started_at))
            .fetch_all(&self.pool)
            .await?)
    }
}
