//! The decide step: the first matching rule that produces a reply wins; a call webhook is
//! raced against the deadline and, when it loses, finishes in the background.
use tokio::task::JoinHandle;
use tokio::time::Instant;
use wechat_proto::{Message, Reply};

use std::sync::Arc;

use super::Pipeline;
use crate::config::AccountConfig;
use crate::routing::Routing;
use crate::rules::Action;
use crate::webhooks;

/// What to answer now, and a reply still on its way.
pub struct Decision {
    /// the passive reply; None = `success`
    pub reply: Option<Reply>,
    /// a call webhook that missed the deadline and may still answer
    pub late: Option<JoinHandle<Option<Option<Reply>>>>,
}

/// Run `routing`'s rules on `msg`, a push to `account`; a call webhook gets until `by` to
/// answer. A call webhook narrowed to other accounts (`accounts = [...]`) is passed over.
pub async fn decide(
    pipeline: &Pipeline,
    routing: &Routing,
    account: &Arc<AccountConfig>,
    msg: &Message,
    by: Instant,
) -> Decision {
    for action in routing.rules.matching(&account.name, msg) {
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
                if !hook.serves(&account.name) {
                    continue;
                }
                let http = pipeline.http.clone();
                let owned = msg.clone();
                let to = Arc::clone(account);
                let mut task = pipeline.tasks.spawn_background(async move {
                    match webhooks::call(&http, &hook, &to, &owned, hook.timeout).await {
                        Ok(reply) => reply,
                        Err(e) => {
                            tracing::warn!(webhook = %hook.name, error = %e, "call webhook failed");
                            None
                        }
                    }
                });
                match tokio::time::timeout_at(by, &mut task).await {
                    Ok(Ok(Some(Some(reply)))) => {
                        return Decision {
                            reply: checked(reply, msg),
                            late: None,
                        }
                    }
                    Ok(_) => continue,
                    Err(_) => {
                        metrics::counter!("wxgate_deadline_misses_total").increment(1);
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
