//! The decide step: the first matching rule that produces a reply wins; a call webhook is
//! raced against the deadline and, when it loses, finishes in the background.
use tokio::task::{JoinError, JoinHandle};
use tokio::time::Instant;
use tracing::Instrument;
use wechat_proto::{Message, Reply};

use std::sync::Arc;

use super::Pipeline;
use crate::account::Account;
use crate::routing::Routing;
use crate::rules::Action;
use crate::webhooks::{self, CallError};

/// A call webhook's task: None when shutdown cancelled it; `Ok(None)` when the webhook
/// answered without a reply.
pub type CallTask = JoinHandle<Option<Result<Option<Reply>, CallError>>>;

/// The reply of a finished [`CallTask`], if it produced one (a failure was logged by the call).
pub fn reply_of(
    joined: Result<Option<Result<Option<Reply>, CallError>>, JoinError>,
) -> Option<Reply> {
    match joined {
        Ok(Some(Ok(reply))) => reply,
        _ => None,
    }
}

/// What to answer now, and a reply still on its way.
pub struct Decision {
    /// the passive reply; None = `success`
    pub reply: Option<Reply>,
    /// a call webhook that missed the deadline and may still answer
    pub late: Option<CallTask>,
}

/// Run `routing`'s rules on `msg`, a push to `account`; a call webhook gets until `by` to
/// answer. A call webhook narrowed to other accounts (`accounts = [...]`) is passed over.
pub async fn decide(
    pipeline: &Pipeline,
    routing: &Routing,
    account: &Arc<Account>,
    msg: &Message,
    by: Instant,
) -> Decision {
    let name = account.name().as_str();
    for action in routing.rules.matching(name, msg) {
        match action {
            Action::Reply(template) => {
                return Decision {
                    reply: checked(template.render(msg), msg),
                    late: None,
                }
            }
            Action::Call(index) => {
                let Some(hook) = routing.webhooks.get(*index).cloned() else {
                    continue;
                };
                if !hook.serves(name) {
                    continue;
                }
                let http = pipeline.http.clone();
                let owned = msg.clone();
                let to = Arc::clone(account);
                // A child of the push's span: its lines carry the push's dedupe key.
                let mut task =
                    pipeline.tasks.spawn_background(
                        async move {
                            webhooks::call(&http, &hook, &to.config, &owned, hook.timeout).await
                        }
                        .in_current_span(),
                    );
                match tokio::time::timeout_at(by, &mut task).await {
                    Ok(joined) => {
                        if let Some(reply) = reply_of(joined) {
                            return Decision {
                                reply: checked(reply, msg),
                                late: None,
                            };
                        }
                    }
                    Err(_) => {
                        account.series.deadline_miss();
                        return Decision {
                            reply: None,
                            late: Some(task),
                        };
                    }
                }
            }
        }
    }
    Decision {
        reply: None,
        late: None,
    }
}

/// A reply WeChat would refuse (e.g. 2 news articles to a text message) becomes `success`.
fn checked(reply: Reply, msg: &Message) -> Option<Reply> {
    match reply.check_for(msg) {
        Ok(()) => Some(reply),
        Err(e) => {
            tracing::warn!(error = %e, kind = reply.kind(), "reply not allowed here; answering success");
            None
        }
    }
}
