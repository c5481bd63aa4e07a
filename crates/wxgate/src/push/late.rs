//! Replies that come after the deadline go to the user through the customer-service API.
use std::sync::Arc;

use tracing::Instrument;

use super::decide::{reply_of, CallTask};
use super::Pipeline;
use crate::api::LateSender;
use crate::telemetry::metrics::{self, LateOutcome};

/// Wait for a late call-webhook answer and send it on to `openid` through `sender` (the
/// account's customer-service sender; None when it has no appsecret: the reply is dropped).
pub fn deliver_when_ready(
    pipeline: &Pipeline,
    sender: Option<Arc<dyn LateSender>>,
    openid: String,
    pending: CallTask,
) {
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
