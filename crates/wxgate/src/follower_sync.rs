//! `wxgate followers sync`: the account's whole follower list from WeChat into the store.
//!
//! ```text
//! cursor = the stored one (resume) or a new one (started now, first page)
//! loop: user/get after cursor (10,000 openids)
//!         → user/info/batchget per 100 → store the followers (+ cursor) per 1,000
//!         → cursor = the page's next_openid, stored
//! until a page is empty; then forget the followers neither seen by this sync nor by a push
//! since it started (each counted as an unsubscribe: one the gateway missed), and delete
//! the cursor
//! ```
//!
//! The cursor only ever holds a `next_openid` WeChat gave (a page boundary), so a resumed sync
//! fetches the interrupted page again; storing a follower twice changes nothing (and counts
//! nothing twice).
use std::sync::Arc;

use chrono::{DateTime, Utc};
use wechat_api::{ApiClient, ApiError, UserInfo, BATCH_GET_MAX};

use crate::store::{StoreError, SyncCursor, SyncStore, SyncedFollower};

/// Followers stored per transaction (10 batchget calls): fewer commits, and what a quota
/// stop loses is fetched again from the page's start anyway.
const SAVE_EVERY: usize = 1000;

/// WeChat's "daily API quota reached".
const QUOTA: i64 = 45009;

/// Why a sync stopped. Its cursor stays: the next run resumes.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// 45009: the daily quota of user/get or user/info/batchget is used up
    #[error(
        "WeChat's daily quota for the follower list is used up (45009) after {synced} followers; \
         run `wxgate followers sync` again after midnight Beijing time (or reset the quota with \
         cgi-bin/clear_quota): it resumes where it stopped"
    )]
    Quota {
        /// followers stored before it stopped
        synced: u64,
    },
    /// another API failure
    #[error("calling WeChat: {0}")]
    Api(#[from] ApiError),
    /// the store failed
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

/// What a finished sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// followers on WeChat's list (stored)
    pub synced: u64,
    /// of them, new to the gateway
    pub new: u64,
    /// known followers no longer on the list: counted as unsubscribes, forgotten
    pub forgotten: u64,
    /// whether it continued an interrupted sync
    pub resumed: bool,
}

/// Where a sync reports how far it is.
pub trait Progress {
    /// WeChat's follower count (`total` of user/get).
    fn total(&self, total: u64);
    /// `done` followers stored so far.
    fn done(&self, done: u64);
    /// A page is stored (plain output prints a line).
    fn page(&self, done: u64, total: u64);
}

/// The sync of one account's followers.
pub struct FollowerSync {
    account: String,
    api: Arc<ApiClient>,
    store: Arc<dyn SyncStore>,
}

impl FollowerSync {
    /// A sync of `account`'s followers through its `api` into `store`.
    pub fn new(account: String, api: Arc<ApiClient>, store: Arc<dyn SyncStore>) -> Self {
        FollowerSync {
            account,
            api,
            store,
        }
    }

    /// Runs the sync to its end (or resumes the stored one), reporting to `progress`.
    pub async fn run(&self, progress: &dyn Progress) -> Result<Summary, SyncError> {
        let stored = self.store.sync_cursor(&self.account).await?;
        let resumed = stored.is_some();
        let mut cursor = stored.unwrap_or(SyncCursor {
            started_at: now_ms(),
            next_openid: None,
            synced: 0,
        });
        let mut summary = Summary {
            resumed,
            ..Summary::default()
        };
        loop {
            let base = u64::try_from(cursor.synced).unwrap_or(0);
            let page = self
                .api
                .followers_page(cursor.next_openid.as_deref())
                .await
                .map_err(|e| quota_or(e, base))?;
            progress.total(page.total);
            let openids = page.openids();
            if openids.is_empty() {
                break;
            }
            let mut done = base;
            let mut pending: Vec<SyncedFollower> = Vec::with_capacity(SAVE_EVERY);
            for chunk in openids.chunks(BATCH_GET_MAX) {
                let infos = self
                    .api
                    .users_info(chunk)
                    .await
                    .map_err(|e| quota_or(e, done))?;
                pending.extend(infos.iter().filter_map(synced_follower));
                if pending.len() >= SAVE_EVERY {
                    summary.new += self
                        .store
                        .save_synced(&self.account, &pending, &cursor)
                        .await?;
                    done += pending.len() as u64;
                    pending.clear();
                    progress.done(done);
                }
            }
            // The page's last followers and the next page's cursor in one transaction.
            done += pending.len() as u64;
            let next = page.next_openid.clone().filter(|n| !n.is_empty());
            cursor = SyncCursor {
                next_openid: next.clone(),
                synced: i64::try_from(done).unwrap_or(i64::MAX),
                ..cursor
            };
            summary.new += self
                .store
                .save_synced(&self.account, &pending, &cursor)
                .await?;
            progress.done(done);
            progress.page(done, page.total);
            if next.is_none() {
                break;
            }
        }
        summary.synced = u64::try_from(cursor.synced).unwrap_or(0);
        // They unsubscribed and the gateway missed the push: counted as an unsubscribe
        // (against their scene, today), then forgotten (contract §4).
        let found = Utc::now();
        for openid in self
            .store
            .unsynced_followers(&self.account, cursor.started_at)
            .await?
        {
            self.store
                .forget_departed(&self.account, &openid, found)
                .await?;
            summary.forgotten += 1;
        }
        self.store.finish_sync(&self.account).await?;
        Ok(summary)
    }
}

/// 45009 as [`SyncError::Quota`], anything else as it is.
fn quota_or(e: ApiError, synced: u64) -> SyncError {
    if e.code() == Some(QUOTA) {
        SyncError::Quota { synced }
    } else {
        SyncError::Api(e)
    }
}

/// Now, at the store's millisecond precision (the cursor's start is compared with times
/// read back).
fn now_ms() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// A follower as the store keeps it, or `None` for a user no longer following.
fn synced_follower(info: &UserInfo) -> Option<SyncedFollower> {
    if info.subscribe != 1 || info.openid.is_empty() {
        return None;
    }
    let scene = match (&info.qr_scene_str, info.qr_scene) {
        (Some(s), _) if !s.is_empty() => Some(s.clone()),
        (_, Some(n)) if n != 0 => Some(n.to_string()),
        _ => None,
    };
    let text = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    Some(SyncedFollower {
        openid: info.openid.clone(),
        subscribed_at: info
            .subscribe_time
            .and_then(|t| DateTime::from_timestamp(t, 0)),
        scene,
        subscribe_scene: text(&info.subscribe_scene),
        unionid: text(&info.unionid),
        language: text(&info.language),
        remark: info.remark.clone(),
        tags: info.tagid_list.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(qr_scene: Option<u64>, qr_scene_str: Option<&str>) -> UserInfo {
        UserInfo {
            subscribe: 1,
            openid: "o1".into(),
            subscribe_time: Some(1_382_694_957),
            qr_scene,
            qr_scene_str: qr_scene_str.map(str::to_string),
            unionid: Some(String::new()),
            ..UserInfo::default()
        }
    }

    #[test]
    fn the_scene_is_the_string_scene_else_a_non_zero_integer() {
        let scene = |i: UserInfo| synced_follower(&i).and_then(|f| f.scene);
        assert_eq!(scene(info(Some(98765), Some(""))), Some("98765".into()));
        assert_eq!(
            scene(info(Some(0), Some("poster-a"))),
            Some("poster-a".into())
        );
        assert_eq!(scene(info(Some(0), Some(""))), None);
        assert_eq!(scene(info(None, None)), None);
        let follower = synced_follower(&info(None, None)).expect("a follower");
        assert_eq!(follower.unionid, None, "empty is unknown");
        assert_eq!(
            follower.subscribed_at.map(|t| t.timestamp()),
            Some(1_382_694_957)
        );
        let gone = UserInfo {
            subscribe: 0,
            ..info(None, None)
        };
        assert_eq!(synced_follower(&gone), None);
    }
}
