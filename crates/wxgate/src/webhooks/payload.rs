//! The JSON body every webhook receives.
use serde_json::json;
use wechat_proto::Message;

use super::EventId;
use crate::config::AccountConfig;
use crate::rfc3339::unix_time;

/// `{"id", "openid", "msg_type", "event", "event_key", "create_time", "fields"}` of a push to
/// `account`, plus `"account"` and `"appid"` when it is an entry of `[[accounts]]` (with
/// `[account]` alone the body is as before); `id` is the push's [`EventId`] (ASCII, from its
/// dedupe key), the same for every resend of it, so receivers can drop duplicates (with several accounts, per account: the
/// same id can come from two accounts). `appid` is null when the account has none (plain mode).
/// `create_time` is RFC 3339 UTC as everywhere (null when CreateTime can be no such time); the
/// value as sent stays in `fields.CreateTime`.
pub fn payload(account: &AccountConfig, msg: &Message) -> serde_json::Value {
    let mut body = json!({
        "id": EventId::of(msg.dedupe_key().as_str()).as_str(),
        "openid": msg.from_user_name,
        "msg_type": msg.msg_type(),
        "event": msg.event(),
        "event_key": msg.event_key(),
        "create_time": unix_time(msg.create_time),
        "fields": msg.fields,
    });
    let named = account.listed() || account.table == crate::config::AUTHORIZER_TABLE;
    if let (true, Some(object)) = (named, body.as_object_mut()) {
        let appid = Some(account.appid.as_str()).filter(|appid| !appid.is_empty());
        object.insert("account".into(), json!(account.name));
        object.insert("appid".into(), json!(appid));
    }
    body
}
