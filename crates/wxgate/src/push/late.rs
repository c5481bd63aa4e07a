//! Replies that come after the deadline go to the user through the customer-service API.
use std::sync::Arc;

use async_trait::async_trait;
use tracing::Instrument;
use wechat_proto::Reply;

use super::decide::{reply_of, CallTask};
use super::Pipeline;
use crate::telemetry::metrics::{self, LateOutcome};

/// Why a late reply was not sent.
#[derive(Debug, thiserror::Error)]
pub enum LateError {
    /// the reply has no customer-service message form
    #[error(transparent)]
    Unsendable(#[from] Unsendable),
    /// the customer-service API refused it or could not be reached
    #[error("customer-service API: {0}")]
    Api(#[source] wechat_api::ApiError),
}

/// A reply that cannot go out as a customer-service message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsendable {
    /// a news reply without articles
    #[error("a news reply without articles cannot be sent")]
    NoArticles,
    /// a hand-over to customer service
    #[error("transfer_customer_service has no customer-service message form")]
    Transfer,
}

/// Sends a reply to a user outside the push (WeChat's customer-service message).
#[async_trait]
pub trait LateSender: Send + Sync {
    /// Send `reply` to `openid`.
    async fn send(&self, openid: &str, reply: &Reply) -> Result<(), LateError>;
}

/// Wait for a late call-webhook answer and send it on, when the account can.
pub fn deliver_when_ready(pipeline: &Pipeline, openid: String, pending: CallTask) {
    let sender: Option<Arc<dyn LateSender>> = pipeline.late.clone();
    // Shutdown cancels it: a reply not sent by then is dropped (the push was answered).
    // In the push's span, so its lines carry the push's dedupe key.
    let deliver = async move {
        let Some(reply) = reply_of(pending.await) else {
            return;
        };
        let Some(sender) = sender else {
            metrics::late_reply(LateOutcome::Dropped);
            tracing::warn!("a late reply was dropped: no appsecret for the customer-service API");
            return;
        };
        match sender.send(&openid, &reply).await {
            Ok(()) => metrics::late_reply(LateOutcome::Sent),
            Err(e) => {
                metrics::late_reply(LateOutcome::Failed);
                tracing::warn!(error = %e, kind = reply.kind(), "sending a late reply failed");
            }
        }
    };
    pipeline.tasks.spawn_background(deliver.in_current_span());
}
