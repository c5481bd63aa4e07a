//! The `TEMPLATESENDJOBFINISH` push: WeChat's outcome of a template message, by its msgid.
use chrono::Utc;
use wechat_proto::{Event, Message, MessageKind};

use crate::store::{StoreError, TemplateMessages};

/// Our status for WeChat's `Status`: `success` → `delivered`, `failed:user block` →
/// `blocked`, anything else (`failed: system failed`) → `failed`.
pub fn status_of(wechat: &str) -> &'static str {
    let compact: String = wechat
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    match compact.as_str() {
        "success" => "delivered",
        "failed:userblock" => "blocked",
        _ => "failed",
    }
}

/// If `msg` is a `TEMPLATESENDJOBFINISH` push to `account`, keeps its outcome and applies it
/// to the account's message sent as its MsgID. Idempotent (a resend of the push changes
/// nothing more).
pub async fn record_receipt(
    store: &dyn TemplateMessages,
    account: &str,
    msg: &Message,
) -> Result<(), StoreError> {
    let MessageKind::Event(Event::TemplateSendJobFinish { msg_id, status }) = &msg.kind else {
        return Ok(());
    };
    let Ok(msgid) = i64::try_from(*msg_id) else {
        return Ok(());
    };
    let ours = status_of(status);
    if let Some(id) = store
        .message_receipt(account, msgid, ours, Utc::now())
        .await?
    {
        tracing::debug!(id, msgid, status = ours, "template message finished");
        super::count(ours);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::status_of;

    #[test]
    fn wechat_statuses_map_to_ours() {
        assert_eq!(status_of("success"), "delivered");
        assert_eq!(status_of("failed:user block"), "blocked");
        assert_eq!(status_of("failed: user block"), "blocked");
        assert_eq!(status_of("failed: system failed"), "failed");
        assert_eq!(status_of("something new"), "failed");
    }
}
