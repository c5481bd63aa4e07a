//! Every Prometheus metric of the gateway: its name, its labels and their bounded values, in
//! this one module. The rest of the crate calls the functions here and never names a metric.
//! The two counters of the WeChat API client are counted inside `wechat-api` and named in
//! [`wechat_api::metrics`]; this exporter renders them like its own.
//!
//! | metric | labels |
//! | --- | --- |
//! | `wxgate_pushes_total` | `msg_type`, `event` (`Message::type_label` / `event_label`) |
//! | `wxgate_replies_total` | `kind` (`success` or the reply's MsgType, `Reply::kind`) |
//! | `wxgate_retries_total` | – |
//! | `wxgate_deadline_misses_total` | – |
//! | `wxgate_refused_total` | `reason` ([`Refused`]) |
//! | `wxgate_late_replies_total` | `outcome` ([`LateOutcome`]) |
//! | `wxgate_push_duration_seconds` (histogram) | – |
//! | `wxgate_store_batch_writes` (histogram) | – |
//! | `wxgate_webhook_deliveries_total` | `webhook` (a configured name or `(removed)`), `outcome` ([`DeliveryOutcome`]) |
//! | `wxgate_webhook_deliveries_pending` (gauge) | – |
//! | `wxgate_wechat_api_calls_total` | `family` (a known endpoint family or `other`), `errcode` (a known code, `other`, `none`, `transport`) |
//! | `wxgate_template_messages_total` | `status` (`queued`, `sent`, `delivered`, `blocked`, `failed`) |
//! | `wxgate_sign_ins_started_total`, `wxgate_sign_ins_completed_total` | – |
//! | `wxgate_sign_ins_refused_total` | `reason` (`redirect`, `state`, `code`, `upstream`, `store`) |
//! | [`TOKEN_REFRESHES`](wechat_api::metrics::TOKEN_REFRESHES), [`TOKEN_RETRIES`](wechat_api::metrics::TOKEN_RETRIES), [`TICKET_FETCHES`](wechat_api::metrics::TICKET_FETCHES) of [`wechat_api::metrics`] | – (counted by `wechat-api`: token fetched; call retried after a refused token; jsapi_ticket fetched) |
//!
//! With `[[accounts]]` the push series (pushes, replies, retries, deadline misses, push
//! duration) also carry `account`, bounded by the accounts served; each account's handles
//! are an [`AccountSeries`], which puts its retry and deadline-miss counters at zero.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const PUSHES: &str = "wxgate_pushes_total";
const REPLIES: &str = "wxgate_replies_total";
const RETRIES: &str = "wxgate_retries_total";
const DEADLINE_MISSES: &str = "wxgate_deadline_misses_total";
const REFUSED: &str = "wxgate_refused_total";
const LATE_REPLIES: &str = "wxgate_late_replies_total";
const PUSH_DURATION: &str = "wxgate_push_duration_seconds";
const STORE_BATCH_WRITES: &str = "wxgate_store_batch_writes";
const DELIVERIES: &str = "wxgate_webhook_deliveries_total";
const DELIVERIES_PENDING: &str = "wxgate_webhook_deliveries_pending";
const WECHAT_CALLS: &str = "wxgate_wechat_api_calls_total";
const TEMPLATE_MESSAGES: &str = "wxgate_template_messages_total";
const SIGN_INS_STARTED: &str = "wxgate_sign_ins_started_total";
const SIGN_INS_COMPLETED: &str = "wxgate_sign_ins_completed_total";
const SIGN_INS_REFUSED: &str = "wxgate_sign_ins_refused_total";

const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's Prometheus handle (installed on first use).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(PUSH_DURATION.into()), BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests): then ours only renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// How often the exporter's upkeep runs without a scrape.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Run the exporter's upkeep every [`UPKEEP_EVERY`], forever (shutdown cancels it).
///
/// Histogram samples are kept raw until upkeep folds them into their buckets, and the
/// exporter only runs it when `/metrics` is rendered: with nobody scraping, memory grew by
/// ~23 bytes a push without bound (issue 9). With this timer it stays flat.
pub async fn upkeep(handle: PrometheusHandle) {
    every(UPKEEP_EVERY, || handle.run_upkeep()).await;
}

async fn every(period: Duration, mut work: impl FnMut()) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        work();
    }
}

/// The push series of one account, their handles registered once: a `counter!` call builds
/// its key and looks it up in the recorder's registry each time, and a per-push `String` label
/// would allocate. Built with the account ([`crate::account::Account`]); a push updates its
/// account's handles and allocates nothing.
///
/// `label` is the account's name for an entry of `[[accounts]]` (each series then has an
/// `account` label, bounded by the accounts served) and `None` for `[account]` alone (no such
/// label). Building it puts the retry and deadline-miss counters at zero, so `/metrics` shows
/// them before the first retry or miss — and with `[[accounts]]` never an unlabelled series
/// beside the labelled ones.
pub struct AccountSeries {
    label: Option<Arc<str>>,
    retries: Counter,
    misses: Counter,
    duration: OnceLock<Histogram>,
    pushes: Mutex<HashMap<(&'static str, &'static str), Counter>>,
    replies: Mutex<HashMap<&'static str, Counter>>,
}

impl std::fmt::Debug for AccountSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountSeries")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl AccountSeries {
    /// The series of the account labelled `label` (the recorder is installed first).
    pub fn new(label: Option<Arc<str>>) -> Self {
        let _ = handle();
        let (retries, misses) = match &label {
            None => (
                metrics::counter!(RETRIES),
                metrics::counter!(DEADLINE_MISSES),
            ),
            Some(name) => (
                metrics::counter!(RETRIES, "account" => Arc::clone(name)),
                metrics::counter!(DEADLINE_MISSES, "account" => Arc::clone(name)),
            ),
        };
        retries.increment(0);
        misses.increment(0);
        AccountSeries {
            label,
            retries,
            misses,
            duration: OnceLock::new(),
            pushes: Mutex::default(),
            replies: Mutex::default(),
        }
    }

    /// `wxgate_pushes_total{msg_type, event[, account]}` + 1: `msg_type` is
    /// `Message::type_label`, `event` its `event_label` or `""` when the push is no event.
    pub fn push(&self, msg_type: &'static str, event: &'static str) {
        let mut pushes = self.pushes.lock().unwrap_or_else(|p| p.into_inner());
        pushes
            .entry((msg_type, event))
            .or_insert_with(|| match &self.label {
                None => metrics::counter!(PUSHES, "msg_type" => msg_type, "event" => event),
                Some(name) => metrics::counter!(PUSHES, "msg_type" => msg_type, "event" => event,
                    "account" => Arc::clone(name)),
            })
            .increment(1);
    }

    /// `wxgate_replies_total{kind[, account]}` + 1: `success`, or a reply's MsgType
    /// (`Reply::kind`).
    pub fn reply(&self, kind: &'static str) {
        let mut replies = self.replies.lock().unwrap_or_else(|p| p.into_inner());
        replies
            .entry(kind)
            .or_insert_with(|| match &self.label {
                None => metrics::counter!(REPLIES, "kind" => kind),
                Some(name) => {
                    metrics::counter!(REPLIES, "kind" => kind, "account" => Arc::clone(name))
                }
            })
            .increment(1);
    }

    /// `wxgate_push_duration_seconds[{account}]` observes `elapsed` (the series appears with
    /// the account's first push).
    pub fn duration(&self, elapsed: Duration) {
        self.duration
            .get_or_init(|| match &self.label {
                None => metrics::histogram!(PUSH_DURATION),
                Some(name) => metrics::histogram!(PUSH_DURATION, "account" => Arc::clone(name)),
            })
            .record(elapsed.as_secs_f64());
    }

    /// `wxgate_retries_total[{account}]` + 1: a resend answered from its first attempt (in
    /// flight, stored before, or found stored at commit).
    pub fn retry(&self) {
        self.retries.increment(1);
    }

    /// `wxgate_deadline_misses_total[{account}]` + 1: a push not recorded in time, or a call
    /// webhook that lost the race against the deadline.
    pub fn deadline_miss(&self) {
        self.misses.increment(1);
    }
}

/// Why a push got no 200 before it was processed: `wxgate_refused_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// the body is over `max_body_bytes` (declared or read)
    TooLarge,
    /// the body was not complete by the deadline
    BodyTimeout,
    /// a check of `server::accept` failed; its bounded reason (`signature`, `xml`, ...)
    Accept(&'static str),
}

/// `wxgate_refused_total{reason}` + 1.
pub fn refused(why: Refused) {
    let reason = match why {
        Refused::TooLarge => "too_large",
        Refused::BodyTimeout => "body_timeout",
        Refused::Accept(reason) => reason,
    };
    metrics::counter!(REFUSED, "reason" => reason).increment(1);
}

/// What became of a reply that came after the deadline: `wxgate_late_replies_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LateOutcome {
    /// sent as a customer-service message
    Sent,
    /// the customer-service API refused it or could not be reached
    Failed,
    /// no appsecret: nothing can send it
    Dropped,
}

/// `wxgate_late_replies_total{outcome}` + 1.
pub fn late_reply(outcome: LateOutcome) {
    let outcome = match outcome {
        LateOutcome::Sent => "sent",
        LateOutcome::Failed => "failed",
        LateOutcome::Dropped => "dropped",
    };
    metrics::counter!(LATE_REPLIES, "outcome" => outcome).increment(1);
}

/// `wxgate_store_batch_writes` observes the writes of one group commit (pushes per fsync).
pub fn store_batch(writes: usize) {
    metrics::histogram!(STORE_BATCH_WRITES).record(writes as f64);
}

/// What became of a notify-webhook delivery: `wxgate_webhook_deliveries_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// the receiver answered 2xx
    Delivered,
    /// an attempt failed; it will be retried
    Failed,
    /// older than its webhook's `max_age`
    Expired,
    /// its webhook is no longer configured as notify
    Dropped,
}

impl DeliveryOutcome {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::Expired => "expired",
            DeliveryOutcome::Dropped => "dropped",
        }
    }
}

/// `wxgate_webhook_deliveries_total{webhook, outcome}` + `n`. `webhook` is `None` for a
/// webhook no longer configured (labelled `(removed)`, so labels stay bounded by the config).
pub fn deliveries(webhook: Option<&str>, outcome: DeliveryOutcome, n: u64) {
    let webhook = webhook.unwrap_or("(removed)").to_string();
    metrics::counter!(DELIVERIES, "webhook" => webhook, "outcome" => outcome.label()).increment(n);
}

/// `wxgate_webhook_deliveries_pending` is set to `n`.
pub fn deliveries_pending(n: i64) {
    metrics::gauge!(DELIVERIES_PENDING).set(n as f64);
}

/// `wxgate_wechat_api_calls_total{family, errcode}` + 1: a call through `/api/wechat/*`.
/// Both labels are bounded by the caller (`server::admin::wechat_proxy`).
pub fn wechat_api_call(family: &'static str, errcode: &'static str) {
    metrics::counter!(WECHAT_CALLS, "family" => family, "errcode" => errcode).increment(1);
}

/// `wxgate_template_messages_total{status}` + 1: a template message reached `status`.
pub fn template_message(status: &'static str) {
    metrics::counter!(TEMPLATE_MESSAGES, "status" => status).increment(1);
}

/// A web sign-in's step: `wxgate_sign_ins_started_total` (sent to WeChat),
/// `wxgate_sign_ins_completed_total` (back with a ticket) or
/// `wxgate_sign_ins_refused_total{reason}` (`reason` bounded by the caller, `web::SignInError`).
pub fn sign_in(step: SignInStep) {
    match step {
        SignInStep::Started => metrics::counter!(SIGN_INS_STARTED).increment(1),
        SignInStep::Completed => metrics::counter!(SIGN_INS_COMPLETED).increment(1),
        SignInStep::Refused(reason) => {
            metrics::counter!(SIGN_INS_REFUSED, "reason" => reason).increment(1)
        }
    }
}

/// The steps [`sign_in`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStep {
    /// a visitor was sent to WeChat's authorisation page
    Started,
    /// a visitor came back and was sent on with a ticket
    Completed,
    /// refused, for this bounded reason
    Refused(&'static str),
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn the_api_clients_names_are_the_gateways_kind_and_clash_with_none_of_its_own() {
        let own = [
            PUSHES,
            REPLIES,
            RETRIES,
            DEADLINE_MISSES,
            REFUSED,
            LATE_REPLIES,
            PUSH_DURATION,
            STORE_BATCH_WRITES,
            DELIVERIES,
            DELIVERIES_PENDING,
            WECHAT_CALLS,
            TEMPLATE_MESSAGES,
            SIGN_INS_STARTED,
            SIGN_INS_COMPLETED,
            SIGN_INS_REFUSED,
        ];
        for name in wechat_api::metrics::ALL {
            assert!(name.starts_with("wxgate_"), "{name}");
            assert!(!own.contains(name), "{name} is counted by both");
        }
    }
}

#[cfg(test)]
mod upkeep_tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn upkeep_runs_on_its_own_timer() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let task = tokio::spawn(every(UPKEEP_EVERY, move || {
            counted.fetch_add(1, Ordering::SeqCst);
        }));
        tokio::time::sleep(UPKEEP_EVERY * 3 + Duration::from_millis(1)).await;
        task.abort();
        // at 0, 5, 10 and 15 s
        assert_eq!(runs.load(Ordering::SeqCst), 4);
    }
}
