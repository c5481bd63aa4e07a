//! Replies that come after the deadline go to the user through the customer-service API.
use std::sync::Arc;

use async_trait::async_trait;
use tokio::task::JoinHandle;
use wechat_proto::Reply;

use super::Pipeline;

/// Sends a reply to a user outside the push (WeChat's customer-service message).
#[async_trait]
pub trait LateSender: Send + Sync {
    /// Send `reply` to `openid`.
    async fn send(&self, openid: &str, reply: &Reply) -> Result<(), String>;
}

/// Wait for a late call-webhook answer and send it on to `openid` of `account`, when the
/// account can.
pub fn deliver_when_ready(
    pipeline: &Pipeline,
    account: &str,
    openid: String,
    pending: JoinHandle<Option<Option<Reply>>>,
) {
    let sender: Option<Arc<dyn LateSender>> = pipeline.late.get(account).cloned();
    // Shutdown cancels it: a reply not sent by then is dropped (the push was answered).
    pipeline.tasks.spawn_background(async move {
        let Ok(Some(Some(reply))) = pending.await else {
            return;
        };
        let Some(sender) = sender else {
            metrics::counter!("wxgate_late_replies_total", "outcome" => "dropped").increment(1);
            tracing::warn!("a late reply was dropped: no appsecret for the customer-service API");
            return;
        };
        match sender.send(&openid, &reply).await {
            Ok(()) => {
                metrics::counter!("wxgate_late_replies_total", "outcome" => "sent").increment(1)
            }
            Err(e) => {
                metrics::counter!("wxgate_late_replies_total", "outcome" => "failed").increment(1);
                tracing::warn!(error = %e, "sending a late reply failed");
            }
        }
    });
}
