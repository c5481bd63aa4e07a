//! The admin reads port: what `GET /api/followers`, `/api/events`, `/api/stats` and
//! `/api/qrcodes` show.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    DayStats, EventQuery, EventRow, Follower, FollowerQuery, QrCodeTotals, Stats, StoreError,
};

/// The admin API's reads.
#[async_trait]
pub trait AdminReads: Send + Sync {
    /// The followers with this openid: of one account, or of every account (None) — the
    /// same openid string under two accounts is two followers. Ordered by account.
    async fn follower(
        &self,
        account: Option<&str>,
        openid: &str,
    ) -> Result<Vec<Follower>, StoreError>;
    /// A page of followers.
    async fn followers(&self, query: &FollowerQuery) -> Result<Vec<Follower>, StoreError>;
    /// A page of events.
    async fn events(&self, query: &EventQuery) -> Result<Vec<EventRow>, StoreError>;
    /// Totals of one account, or of every account (None: summed, scenes of each).
    async fn stats(&self, account: Option<&str>) -> Result<Stats, StoreError>;
    /// The counters of the `days` UTC days up to and including `today`'s, oldest first, every
    /// day present (zeros too), of one account or summed over every account (None); `scene`
    /// narrows subscribes, unsubscribes and scans to one scene.
    async fn daily(
        &self,
        account: Option<&str>,
        today: DateTime<Utc>,
        days: u32,
        scene: Option<&str>,
    ) -> Result<Vec<DayStats>, StoreError>;
    /// Recorded QR codes of one account or of every account (None), newest first, with
    /// their scene's counters.
    async fn qrcodes(&self, account: Option<&str>) -> Result<Vec<QrCodeTotals>, StoreError>;
}
