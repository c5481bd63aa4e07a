//! The JSON body every webhook receives.
use serde_json::json;
use wechat_proto::Message;

use crate::config::AccountConfig;

/// `{"id", "account", "appid", "openid", "msg_type", "event", "event_key", "create_time",
/// "fields"}` of a push to `account`; `id` is the push's dedupe key, the same for every resend
/// of it, so receivers can drop duplicates (with several accounts, per account: the same id
/// can come from two accounts). `appid` is null when the account has none (plain mode).
pub fn payload(account: &AccountConfig, msg: &Message) -> serde_json::Value {
    let appid = Some(account.appid.as_str()).filter(|appid| !appid.is_empty());
    json!({
        "id": msg.dedupe_key().as_str(),
        "account": account.name,
        "appid": appid,
        "openid": msg.from_user_name,
        "msg_type": msg.msg_type(),
        "event": msg.event(),
        "event_key": msg.event_key(),
        "create_time": msg.create_time,
        "fields": msg.fields,
    })
}
