//! Store rows → the contract's JSON shapes.
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::store::{EventRow, Follower};

/// RFC 3339 UTC with a `Z`.
pub fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A unix-seconds CreateTime as RFC 3339, or null when it is no time RFC 3339 can write (a year
/// before 0000 or after 9999); the raw value stays in `fields.CreateTime`.
pub fn unix_time(secs: i64) -> Value {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .filter(|t| (0..=9999).contains(&t.year()))
        .map_or(Value::Null, |t| Value::String(time(&t)))
}

/// `value` with `"account": account` when `shown` (a config of `[[accounts]]`; with the
/// single `[account]` the shapes stay as they were).
pub fn with_account(mut value: Value, account: &str, shown: bool) -> Value {
    if let (true, Some(object)) = (shown, value.as_object_mut()) {
        object.insert("account".into(), Value::String(account.to_string()));
    }
    value
}

/// `{"openid", "subscribed", "subscribed_at", "scene", "location", "last_seen_at"}`, with
/// `"account"` when `account` (see [`with_account`]).
pub fn follower(f: &Follower, account: bool) -> Value {
    let value = json!({
        "openid": f.openid,
        "subscribed": f.subscribed,
        "subscribed_at": f.subscribed_at.as_ref().map(time),
        "scene": f.scene,
        "location": f.location.as_ref().map(|l| json!({
            "latitude": l.latitude,
            "longitude": l.longitude,
            "precision": l.precision,
            "reported_at": time(&l.reported_at),
        })),
        "last_seen_at": f.last_seen_at.as_ref().map(time),
    });
    with_account(value, &f.account, account)
}

/// `{"id", "openid", "msg_type", "event", "event_key", "create_time", "received_at",
/// "fields", "reply"}`, with `"account"` when `account` (see [`with_account`]).
pub fn event(e: &EventRow, account: bool) -> Value {
    let value = json!({
        "id": e.id,
        "openid": e.openid,
        "msg_type": e.msg_type,
        "event": e.event,
        "event_key": e.event_key,
        "create_time": unix_time(e.create_time),
        "received_at": time(&e.received_at),
        "fields": serde_json::from_str::<Value>(&e.fields_json).unwrap_or(Value::Null),
        "reply": e.reply,
    });
    with_account(value, &e.account, account)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::unix_time;

    #[test]
    fn create_time_is_rfc3339_or_null() {
        assert_eq!(unix_time(1_700_000_000), json!("2023-11-14T22:13:20Z"));
        assert_eq!(unix_time(0), json!("1970-01-01T00:00:00Z"));
        assert_eq!(unix_time(253_402_300_799), json!("9999-12-31T23:59:59Z"));
        assert_eq!(unix_time(253_402_300_800), Value::Null, "year 10000");
        assert_eq!(
            unix_time(1_764_547_200_999),
            Value::Null,
            "milliseconds as seconds"
        );
        assert_eq!(unix_time(-62_167_219_200), json!("0000-01-01T00:00:00Z"));
        assert_eq!(unix_time(-62_167_219_201), Value::Null, "before year 0");
        assert_eq!(unix_time(i64::MAX), Value::Null);
        assert_eq!(unix_time(i64::MIN), Value::Null);
    }
}
