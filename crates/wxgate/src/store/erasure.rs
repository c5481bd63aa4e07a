//! The erasure port: forgetting a user (the admin API's delete) and dropping events past
//! their retention.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// Deleting what the gateway must no longer keep.
#[async_trait]
pub trait Erasure: Send + Sync {
    /// Forget a user of one account (as an unsubscribe does, but counting nothing: the admin
    /// API's delete). Idempotent.
    async fn forget(&self, account: &str, openid: &str) -> Result<(), StoreError>;
    /// Delete events received before `cutoff`; returns how many.
    async fn purge_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError>;
}
