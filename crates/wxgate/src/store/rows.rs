//! Database rows (`FromRow`, the same for both backends) and their conversion into the
//! trait's types. Times are stored as unix milliseconds.
use chrono::{DateTime, Utc};

use super::{
    EventRow, Follower, Location, QrCode, QrCodeTotals, ReplayMark, SceneStats, StoreError,
    StoredToken,
};

/// Unix milliseconds of a time.
pub(super) fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// The UTC day (days since the unix epoch) of a time: the key of the scene counters.
pub(super) fn utc_day(time: DateTime<Utc>) -> i64 {
    time.timestamp().div_euclid(86_400)
}

/// `now + span`, saturating (a lease or claim that never ends).
pub(super) fn after(now: DateTime<Utc>, span: std::time::Duration) -> DateTime<Utc> {
    let span = chrono::Duration::from_std(span).unwrap_or(chrono::Duration::MAX);
    now.checked_add_signed(span)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A stored millisecond time back as a `DateTime` (out of range = a corrupt row).
pub(super) fn time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("stored time {ms} ms is out of range")))
}

/// The typed fields of a stored push as a JSON object, parsed from its raw XML (the one copy
/// of the push that is stored); `{}` if it does not parse.
pub(super) fn fields_json(raw_xml: &str) -> String {
    wechat_proto::parse_message(raw_xml.as_bytes())
        .ok()
        .and_then(|message| serde_json::to_string(&message.fields).ok())
        .unwrap_or_else(|| "{}".to_string())
}

/// A replay mark from its stored columns.
pub(super) fn mark(seen_at: i64, query: &[u8], body: &[u8]) -> Result<ReplayMark, StoreError> {
    let digest = |bytes: &[u8]| {
        <[u8; 32]>::try_from(bytes)
            .map_err(|_| StoreError::Corrupt("a replay digest is not 32 bytes".into()))
    };
    Ok(ReplayMark {
        seen_at: time(seen_at)?,
        query: digest(query)?,
        body: digest(body)?,
    })
}

/// [`time`] of a nullable column.
pub(super) fn opt_time(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(time).transpose()
}

/// `followers` row.
#[derive(sqlx::FromRow)]
pub(super) struct FollowerDb {
    pub(super) account: String,
    pub(super) openid: String,
    pub(super) subscribed: bool,
    pub(super) subscribed_at: Option<i64>,
    pub(super) scene: Option<String>,
    pub(super) loc_latitude: Option<f64>,
    pub(super) loc_longitude: Option<f64>,
    pub(super) loc_precision: Option<f64>,
    pub(super) loc_reported_at: Option<i64>,
    pub(super) last_seen_at: Option<i64>,
    pub(super) unionid: Option<String>,
    pub(super) subscribe_scene: Option<String>,
    pub(super) source: String,
    pub(super) language: Option<String>,
    pub(super) remark: Option<String>,
    pub(super) tags: Option<String>,
}

impl TryFrom<FollowerDb> for Follower {
    type Error = StoreError;

    fn try_from(row: FollowerDb) -> Result<Self, StoreError> {
        let location = match (
            row.loc_latitude,
            row.loc_longitude,
            row.loc_precision,
            row.loc_reported_at,
        ) {
            (Some(latitude), Some(longitude), Some(precision), Some(at)) => Some(Location {
                latitude,
                longitude,
                precision,
                reported_at: time(at)?,
            }),
            _ => None,
        };
        Ok(Follower {
            account: row.account,
            openid: row.openid,
            subscribed: row.subscribed,
            subscribed_at: opt_time(row.subscribed_at)?,
            scene: row.scene,
            location,
            last_seen_at: opt_time(row.last_seen_at)?,
            tags: super::sync::tags_from(row.tags.as_deref()),
            unionid: row.unionid,
            subscribe_scene: row.subscribe_scene,
            source: row.source,
            language: row.language,
            remark: row.remark,
        })
    }
}

/// `events` row as listed (without the raw XML).
#[derive(sqlx::FromRow)]
pub(super) struct EventDb {
    pub(super) id: i64,
    pub(super) account: String,
    pub(super) openid: String,
    pub(super) msg_type: String,
    pub(super) event: Option<String>,
    pub(super) event_key: Option<String>,
    pub(super) create_time: i64,
    pub(super) received_at: i64,
    pub(super) raw_xml: String,
    pub(super) reply: Option<String>,
}

impl TryFrom<EventDb> for EventRow {
    type Error = StoreError;

    fn try_from(row: EventDb) -> Result<Self, StoreError> {
        Ok(EventRow {
            id: row.id,
            account: row.account,
            openid: row.openid,
            msg_type: row.msg_type,
            event: row.event,
            event_key: row.event_key,
            create_time: row.create_time,
            received_at: time(row.received_at)?,
            fields_json: fields_json(&row.raw_xml),
            reply: row.reply,
        })
    }
}

/// Follower and event totals.
#[derive(sqlx::FromRow)]
pub(super) struct TotalsDb {
    /// subscribed followers
    pub(super) subscribed: i64,
    /// all followers
    pub(super) total: i64,
    /// events
    pub(super) events: i64,
}

/// One scene's totals.
#[derive(sqlx::FromRow)]
pub(super) struct SceneDb {
    account: String,
    scene: String,
    label: Option<String>,
    subscribes: i64,
    scans: i64,
    unsubscribes: i64,
}

impl From<SceneDb> for SceneStats {
    fn from(row: SceneDb) -> Self {
        SceneStats {
            account: row.account,
            scene: row.scene,
            label: row.label,
            subscribes: row.subscribes,
            scans: row.scans,
            unsubscribes: row.unsubscribes,
        }
    }
}

/// `qrcodes` row.
#[derive(sqlx::FromRow)]
pub(super) struct QrCodeDb {
    pub(super) account: String,
    pub(super) scene: String,
    pub(super) action_name: String,
    pub(super) ticket: String,
    pub(super) url: String,
    pub(super) expire_seconds: Option<i64>,
    pub(super) expires_at: Option<i64>,
    pub(super) label: Option<String>,
    pub(super) created_at: i64,
}

impl TryFrom<QrCodeDb> for QrCode {
    type Error = StoreError;

    fn try_from(row: QrCodeDb) -> Result<Self, StoreError> {
        Ok(QrCode {
            account: row.account,
            scene: row.scene,
            action_name: row.action_name,
            ticket: row.ticket,
            url: row.url,
            expire_seconds: row.expire_seconds,
            expires_at: opt_time(row.expires_at)?,
            label: row.label,
            created_at: time(row.created_at)?,
        })
    }
}

/// A QR code with its scene's totals.
#[derive(sqlx::FromRow)]
pub(super) struct QrCodeTotalsDb {
    #[sqlx(flatten)]
    code: QrCodeDb,
    subscribes: i64,
    scans: i64,
    unsubscribes: i64,
}

impl TryFrom<QrCodeTotalsDb> for QrCodeTotals {
    type Error = StoreError;

    fn try_from(row: QrCodeTotalsDb) -> Result<Self, StoreError> {
        Ok(QrCodeTotals {
            code: row.code.try_into()?,
            subscribes: row.subscribes,
            scans: row.scans,
            unsubscribes: row.unsubscribes,
        })
    }
}

/// `tokens` row with a token.
#[derive(sqlx::FromRow)]
pub(super) struct TokenDb {
    pub(super) access_token: String,
    pub(super) expires_at: i64,
}

impl TryFrom<TokenDb> for StoredToken {
    type Error = StoreError;

    fn try_from(row: TokenDb) -> Result<Self, StoreError> {
        Ok(StoredToken {
            access_token: row.access_token.into(),
            expires_at: time(row.expires_at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_and_floor_before_the_epoch() {
        let late = DateTime::from_timestamp(86_400 * 3 - 1, 0).unwrap();
        assert_eq!(utc_day(late), 2);
        let before = DateTime::from_timestamp(-1, 0).unwrap();
        assert_eq!(utc_day(before), -1);
    }

    #[test]
    fn millis_round_trip_and_reject_out_of_range() {
        let now = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
        assert_eq!(time(millis(now)).unwrap(), now);
        assert!(time(i64::MAX).is_err());
    }
}
