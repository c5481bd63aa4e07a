//! The JSON body every webhook receives.
use serde_json::json;
use wechat_proto::Message;

/// `{"id", "openid", "msg_type", "event", "event_key", "create_time", "fields"}`; `id` is the
/// push's dedupe key, the same for every resend of it, so receivers can drop duplicates.
pub fn payload(msg: &Message) -> serde_json::Value {
    json!({
        "id": msg.dedupe_key().as_str(),
        "openid": msg.from_user_name,
        "msg_type": msg.msg_type(),
        "event": msg.event(),
        "event_key": msg.event_key(),
        "create_time": msg.create_time,
        "fields": msg.fields,
    })
}
