//! `followers sync` on PostgreSQL: a page of followers and the cursor in one transaction.
use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::rows::{millis, time, utc_day};
use crate::store::sync::{self as s, SyncCursor, SyncedFollower};
use crate::store::{StoreError, SyncStore};

/// The known openids of account $1 among $2.
const KNOWN: &str = "SELECT openid FROM followers WHERE account = $1 AND openid = ANY($2)";

/// [`s::UPSERT_SYNCED`] for a page of account $10: one row per element of the arrays $1..$8,
/// $9 synced_at.
const UPSERT_PAGE: &str = "INSERT INTO followers (account, openid, subscribed, subscribed_at, \
    scene, unionid, subscribe_scene, source, language, remark, tags, synced_at) \
    SELECT $10, o, TRUE, t, sc, u, ss, 'sync', l, r, tg, $9 FROM UNNEST($1::text[], \
    $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) \
    AS x(o, t, sc, u, ss, l, r, tg) ON CONFLICT (account, openid) DO UPDATE SET \
    subscribed = TRUE, subscribed_at = COALESCE(followers.subscribed_at, excluded.subscribed_at), \
    scene = COALESCE(followers.scene, excluded.scene), unionid = excluded.unionid, \
    subscribe_scene = excluded.subscribe_scene, language = excluded.language, \
    remark = excluded.remark, tags = excluded.tags, synced_at = excluded.synced_at";

/// Counts $3 synced followers of account $4 new to the gateway under scene $1 on day $2, in
/// the instance's counter shard $5.
const COUNT_NEW: &str = "INSERT INTO scene_counters \
    (account, scene, day, subscribes, scans, unsubscribes, shard) \
    VALUES ($4, $1, $2, $3, 0, 0, $5) ON CONFLICT (account, scene, day, shard) DO UPDATE SET \
    subscribes = scene_counters.subscribes + $3";

#[async_trait]
impl SyncStore for PgStore {
    /// One page in three statements: which openids are known, one multi-row upsert
    /// (`UNNEST` of arrays), the counters of the new ones per (scene, day) — not two round
    /// trips per follower.
    async fn save_synced(
        &self,
        account: &str,
        followers: &[SyncedFollower],
        cursor: &SyncCursor,
    ) -> Result<u64, StoreError> {
        let synced_at = millis(cursor.started_at);
        let openids: Vec<&str> = followers.iter().map(|f| f.openid.as_str()).collect();
        let mut tx = self.pool.begin().await?;
        let known: HashSet<String> = if followers.is_empty() {
            HashSet::new()
        } else {
            sqlx::query_scalar::<_, String>(KNOWN)
                .bind(account)
                .bind(&openids)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect()
        };
        if !followers.is_empty() {
            let column = |f: fn(&SyncedFollower) -> Option<String>| -> Vec<Option<String>> {
                followers.iter().map(f).collect()
            };
            sqlx::query(UPSERT_PAGE)
                .bind(&openids)
                .bind(
                    followers
                        .iter()
                        .map(|f| f.subscribed_at.map(millis))
                        .collect::<Vec<_>>(),
                )
                .bind(column(|f| f.scene.clone()))
                .bind(column(|f| f.unionid.clone()))
                .bind(column(|f| f.subscribe_scene.clone()))
                .bind(column(|f| f.language.clone()))
                .bind(column(|f| f.remark.clone()))
                .bind(column(|f| Some(s::tags_json(&f.tags))))
                .bind(synced_at)
                .bind(account)
                .execute(&mut *tx)
                .await?;
        }
        let mut counts: BTreeMap<(&str, i64), i64> = BTreeMap::new();
        let mut new = 0;
        for f in followers.iter().filter(|f| !known.contains(&f.openid)) {
            new += 1;
            if let Some(scene) = &f.scene {
                let day = utc_day(f.subscribed_at.unwrap_or(cursor.started_at));
                *counts.entry((scene.as_str(), day)).or_default() += 1;
            }
        }
        // In key order: instances counting at once lock the counter rows in one order.
        for ((scene, day), n) in counts {
            sqlx::query(COUNT_NEW)
                .bind(scene)
                .bind(day)
                .bind(n)
                .bind(account)
                .bind(self.shard)
                .execute(&mut *tx)
                .await?;
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

    async fn sync_cursor(&self, account: &str) -> Result<Option<SyncCursor>, StoreError> {
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

    async fn finish_sync(&self, account: &str) -> Result<(), StoreError> {
        sqlx::query(s::DELETE_CURSOR)
            .bind(account)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn forget_departed(
        &self,
        account: &str,
        openid: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.writer
            .write(super::writer::Op::Depart {
                account: account.to_string(),
                openid: openid.to_string(),
                day: utc_day(at),
            })
            .await
            .map(drop)
    }

    async fn unsynced_followers(
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
