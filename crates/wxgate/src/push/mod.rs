//! What happens to a push once it is verified and parsed: retry coalescing, the rules (raced
//! against the deadline), one durable write, and the answer.
//!
//! ```text
//! claim dedupe key ─ resend in flight? ─ wait for the first's answer
//!        └ first: decide (rules / call webhook, cut at the deadline) → record (group commit)
//!                 → answer; a duplicate found at commit answers the stored reply
//! ```
mod answer;
mod decide;
pub mod inflight;
pub mod late;
mod pipeline;
pub mod replay;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;
use wechat_proto::{Event, Message, MessageKind};

use crate::account::Account;
use crate::routing::Routing;
use crate::rules::Action;
use crate::store::{FollowerEffect, GuardMark, PushWrite, Recorded, ReplayMark, StoreError};
pub use answer::{Passive, PushError};
use inflight::{Answer, Claim};
pub use pipeline::Pipeline;

/// Part of the deadline kept for the durable write after the rules have run: 30 %, at most
/// one second (a slow call webhook must not leave the commit too little time).
fn commit_reserve(deadline: Duration) -> Duration {
    (deadline * 3 / 10).min(Duration::from_secs(1))
}

/// Whether the rules send this push to a call webhook: then it runs in its own task (the
/// caller spawns it), so a client that goes away does not cut a call with side effects off
/// before its outcome is recorded. Any other push runs as the request's own future: once its
/// write is queued the store's writer commits it whatever the caller does, and a push cut
/// off before that is not acknowledged (WeChat resends it).
/// `routing` is the push's one snapshot of the rules and webhooks in force.
pub fn calls_webhook(routing: &Routing, account: &str, msg: &Message) -> bool {
    routing
        .rules
        .matching(account, msg)
        .any(|action| matches!(action, Action::Call(_)))
}

/// Process a verified push to `account`: coalesce resends (per account), decide by
/// `routing` (the push's one snapshot of the rules and webhooks), record durably. `calls` is
/// [`calls_webhook`]'s answer for it.
///
/// Every push's replay mark is durable before its answer: a written push keeps it in its own
/// transaction (a resend found there too); a resend answered with the reply of its first,
/// still in flight or (for a call webhook) stored, keeps it through `PushLog::keep_mark`. An
/// in-flight resend keeps it while it waits for the first's answer, so it waits no longer
/// unless the first's commit is already under way when it comes.
#[allow(clippy::too_many_arguments)]
pub async fn handle(
    pipeline: Pipeline,
    account: Arc<Account>,
    routing: Arc<Routing>,
    msg: Message,
    raw_xml: String,
    replay: Option<ReplayMark>,
    calls: bool,
    deadline: Instant,
) -> Answer {
    let key = msg.dedupe_key();
    let replay = replay.map(|mark| replay::guarded(&account, mark));
    // Account names hold no ':', so the in-flight key of two accounts cannot collide.
    let inflight_key = format!("{}:{}", account.name(), key.as_str());
    match pipeline.inflight.claim(&inflight_key) {
        Claim::Resend(waiter) => {
            account.series.retry();
            let answered = async {
                let (answer, kept) = tokio::join!(waiter.wait(), keep(&pipeline, &replay));
                kept?;
                answer
            };
            tokio::time::timeout_at(deadline, answered)
                .await
                .unwrap_or(Err(PushError::NotInTime))
        }
        Claim::First(guard) => {
            // Logged in the push's span: its dedupe key, msg_type and hashed openid.
            let answer = async {
                // A call webhook has side effects: don't call it again for a resend whose
                // first attempt finished (in this or an earlier process).
                if calls {
                    let stored = pipeline.log.stored_reply(account.name(), key.as_str());
                    if let Some(stored) = stored.await? {
                        keep(&pipeline, &replay).await?;
                        account.series.retry();
                        return Ok(Passive::from(stored));
                    }
                }
                let key = key.as_str();
                let push = Push {
                    msg,
                    raw_xml,
                    replay,
                };
                run(&pipeline, &account, &routing, push, key, deadline).await
            }
            .await
            .inspect_err(|e| tracing::error!(error = %e, "a push failed"));
            guard.complete(answer.clone());
            answer
        }
    }
}

/// Keeps the replay mark of a push answered without a write of its own (a resend).
async fn keep(pipeline: &Pipeline, mark: &Option<GuardMark>) -> Result<(), StoreError> {
    match mark {
        Some(mark) => pipeline.log.keep_mark(mark).await,
        None => Ok(()),
    }
}

/// A verified push: its message, plaintext XML and replay mark (under its guard's key).
struct Push {
    msg: Message,
    raw_xml: String,
    replay: Option<GuardMark>,
}

async fn run(
    pipeline: &Pipeline,
    account: &Arc<Account>,
    routing: &Routing,
    push: Push,
    key: &str,
    deadline: Instant,
) -> Answer {
    let Push {
        msg,
        raw_xml,
        replay,
    } = push;
    let decide_by = deadline - commit_reserve(pipeline.reply_deadline);
    let decision = decide::decide(pipeline, routing, account, &msg, decide_by).await;
    let rendered = decision.reply.as_ref().map(|reply| {
        let xml = reply.render(
            &msg.from_user_name,
            &msg.to_user_name,
            Utc::now().timestamp(),
        );
        Passive::rendered(reply, xml)
    });
    let deliveries = crate::webhooks::outbox::deliveries(&routing.webhooks, &account.config, &msg);
    let wrote_deliveries = !deliveries.is_empty();
    let late_to = decision.late.is_some().then(|| msg.from_user_name.clone());
    // A template message's outcome, kept before the push is acknowledged (a failure is not
    // answered 200, so WeChat resends; applying it again changes nothing).
    crate::messages::record_receipt(pipeline.receipts.as_ref(), account.name(), &msg).await?;
    let write = PushWrite {
        account: account.name().to_string(),
        dedupe_key: key.to_string(),
        msg_type: msg.msg_type().to_string(),
        event: msg.event().map(str::to_string),
        event_key: msg.event_key().map(str::to_string),
        create_time: msg.create_time,
        received_at: Utc::now(),
        raw_xml,
        reply: match &rendered {
            Some(Passive::Reply { xml, .. }) => Some(xml.to_string()),
            _ => None,
        },
        effect: effect(&msg),
        replay,
        deliveries,
        // Moved, not copied: nothing below needs the message but a late reply's recipient.
        openid: msg.from_user_name,
    };
    let answer = match pipeline.log.record(write).await? {
        Recorded::Duplicate { reply } => {
            account.series.retry();
            Passive::from(reply)
        }
        Recorded::Stored { .. } | Recorded::Forgotten => {
            if wrote_deliveries {
                pipeline.outbox.notify_one();
            }
            if let (Some(pending), Some(openid)) = (decision.late, late_to) {
                late::deliver_when_ready(pipeline, account.late_sender(), openid, pending);
            }
            rendered.unwrap_or(Passive::Success)
        }
    };
    Ok(answer)
}

/// How a push changes what the gateway knows of its sender, by its typed event (a SCAN
/// without a scene or a LOCATION without coordinates is typed `Unknown`: a touch).
fn effect(msg: &Message) -> FollowerEffect {
    let MessageKind::Event(event) = &msg.kind else {
        return FollowerEffect::Touch;
    };
    match event {
        Event::Subscribe { scene, .. } => FollowerEffect::Subscribe {
            scene: scene.clone(),
        },
        Event::Unsubscribe => FollowerEffect::Forget,
        Event::Scan { scene, .. } => FollowerEffect::Scan {
            scene: scene.clone(),
        },
        Event::Location {
            latitude,
            longitude,
            precision,
        } => FollowerEffect::Location {
            latitude: *latitude,
            longitude: *longitude,
            precision: *precision,
        },
        _ => FollowerEffect::Touch,
    }
}
