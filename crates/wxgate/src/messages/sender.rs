//! [`TemplateSender`]: sends one queued template message when the job dispatcher hands over
//! its job, at most `[wechat_api] template_rate` a second.
use std::sync::Arc;

use chrono::Utc;
use wechat_api::{ApiClient, TemplateMessage};

use super::rate::Rate;
use crate::store::{ClaimedJob, TemplateJob, TemplateMessages};

/// Why a send is to be tried again later (the dispatcher's backoff decides when).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Retry(pub String);

/// Sends queued template messages through the account's API client.
pub struct TemplateSender {
    api: Arc<ApiClient>,
    store: Arc<dyn TemplateMessages>,
    rate: Rate,
}

impl TemplateSender {
    /// A sender over `api`, recording outcomes in `store`, at most `per_second` sends a second.
    pub fn new(api: Arc<ApiClient>, store: Arc<dyn TemplateMessages>, per_second: u32) -> Self {
        TemplateSender {
            api,
            store,
            rate: Rate::new(per_second),
        }
    }

    /// Sends the message of template job `job`. `Ok` when the message is settled — sent
    /// (msgid stored) or failed for good (errcode stored) — and its job deleted; `Err` when
    /// it should be tried again (busy `-1` after the client's own retries, the daily quota, a
    /// transport error, a store failure).
    pub async fn send(&self, job: &ClaimedJob, template: &TemplateJob) -> Result<(), Retry> {
        let id = template.message_id;
        let mut message: TemplateMessage = match serde_json::from_str(&template.payload) {
            Ok(message) => message,
            Err(e) => {
                tracing::warn!(id, error = %e, "stored template message unreadable: failed");
                return self
                    .settle(id, job, Err("unreadable stored message".into()))
                    .await;
            }
        };
        // WeChat sends one message per openid and client_msg_id within ~10 minutes: a send
        // repeated after a crash between WeChat's answer and our commit is not delivered twice.
        message.client_msg_id = Some(format!("wxgate-{id}"));
        self.rate.acquire().await;
        match self.api.send_template(&message).await {
            Ok(msgid) => self.settle(id, job, Ok(msgid)).await,
            Err(e) if is_final(&e) => {
                let code = e.code().unwrap_or_default();
                tracing::info!(id, code, "template message refused by WeChat");
                self.settle(id, job, Err(e.to_string())).await
            }
            Err(e) => Err(Retry(e.to_string())),
        }
    }

    async fn settle(
        &self,
        id: i64,
        job: &ClaimedJob,
        outcome: Result<i64, String>,
    ) -> Result<(), Retry> {
        let now = Utc::now();
        let (written, status) = match &outcome {
            Ok(msgid) => (
                self.store.message_sent(id, job.id, *msgid, now).await,
                "sent",
            ),
            Err(error) => (
                self.store.message_failed(id, job.id, error, now).await,
                "failed",
            ),
        };
        match written {
            Ok(()) => {
                super::count(status);
                Ok(())
            }
            Err(e) => Err(Retry(format!("recording the outcome failed: {e}"))),
        }
    }
}

/// Errors that end a message as `failed`: WeChat refused it for a reason a retry does not
/// change (43004 not following, 40037 bad template, 40003 bad openid, 47001 bad data, ...).
/// Busy (-1, 45011), the daily quota (45009), a token still refused, the account's
/// configuration (IP whitelist, ...) and transport failures are retried.
fn is_final(e: &wechat_api::ApiError) -> bool {
    match e.code() {
        Some(code) => {
            !(e.is_busy() || e.is_token_rejected() || e.is_config_error() || code == 45009)
        }
        None => matches!(
            e,
            wechat_api::ApiError::InvalidMessage(_) | wechat_api::ApiError::Decode { .. }
        ),
    }
}
