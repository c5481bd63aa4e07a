//! `notify` webhooks: the durable outbox (the store's job queue) and its dispatcher.
//!
//! A push's deliveries are written in the same transaction as the push itself (see
//! [`deliveries`], called by `push::run`), so a push is never stored without them. The
//! [`Dispatcher`] then loops:
//!
//! ```text
//! claim due jobs (oldest pending per kind+webhook+openid, leased) ─ run them all at once:
//!   template jobs to the TemplateRunner it was given (crate::jobs), webhook jobs POSTed
//!   ├ 2xx            → delete (done)
//!   ├ other / error  → attempts+1, due again after an exponential, jittered backoff
//!   └ webhook gone, or older than its max_age → delete (dropped / expired)
//! wait: woken by a commit that wrote deliveries, else poll every second
//! ```
//!
//! Per-openid order holds because the store hands out only the oldest pending delivery of a
//! (webhook, openid); the next one waits until it is deleted. Delivery is at-least-once: a
//! crash between the receiver's 2xx and the delete sends it again, so receivers dedupe by
//! `webhook-id` (also `X-Wxgate-Event-Id` and the body's `id`: an [`EventId`]). A row queued
//! by an older gateway holds the raw dedupe key there; its id is computed at delivery (see
//! [`EventId::stored`]), in the headers and the body alike.
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use wechat_api::NetError;
use wechat_proto::Message;

use super::{headers, payload, EventId};
use crate::config::{AccountConfig, WebhookConfig, WebhookMode};
use crate::jobs::TemplateRunner;
use crate::routing::{Routing, RoutingHandle};
use crate::store::{ClaimedJob, Job, JobQueue, NewDelivery, TemplateJob, WebhookJob};
use crate::telemetry::metrics::{self, DeliveryOutcome};
use crate::telemetry::spans;

/// Whether `hook`'s `events` select `msg`: `*`, or a name equal (case-insensitively) to the
/// push's msg_type or its event.
pub fn selects(hook: &WebhookConfig, msg: &Message) -> bool {
    hook.events.iter().any(|name| {
        name == "*"
            || name.eq_ignore_ascii_case(msg.msg_type())
            || msg.event().is_some_and(|e| name.eq_ignore_ascii_case(e))
    })
}

/// The outbox rows a push to `account` writes: one per `notify` webhook that serves the
/// account and whose `events` select the push, all sharing one payload text and the push's
/// [`EventId`].
pub fn deliveries(
    webhooks: &[WebhookConfig],
    account: &AccountConfig,
    msg: &Message,
) -> Vec<NewDelivery> {
    let mut hooks = webhooks
        .iter()
        .filter(|h| h.mode == WebhookMode::Notify && h.serves(&account.name) && selects(h, msg))
        .peekable();
    if hooks.peek().is_none() {
        return Vec::new();
    }
    let body = payload(account, msg).to_string();
    let event_id = EventId::of(msg.dedupe_key().as_str()).as_str().to_string();
    hooks
        .map(|h| NewDelivery {
            webhook: h.name.clone(),
            payload: body.clone(),
            event_id: event_id.clone(),
        })
        .collect()
}

/// Why one POST did not deliver.
#[derive(Debug, thiserror::Error)]
enum PostError {
    /// transport failure or timeout: "connection refused", "timed out after 5000 ms" (the
    /// URL is not shown: it may hold credentials)
    #[error("request failed: {0}")]
    Transport(#[source] NetError),
    /// non-2xx status
    #[error("receiver answered HTTP {0}")]
    Status(u16),
}

/// The dispatcher of `notify` deliveries. Defaults: batches of 64, a poll every second,
/// backoff 1 s doubling up to 10 min, a `max_age` sweep every minute.
pub struct Dispatcher {
    store: Arc<dyn JobQueue>,
    routing: RoutingHandle,
    http: reqwest::Client,
    wake: Arc<tokio::sync::Notify>,
    batch: u32,
    poll: Duration,
    backoff_base: Duration,
    backoff_cap: Duration,
    sweep_every: Duration,
    shutdown_grace: Duration,
    templates: Option<Arc<dyn TemplateRunner>>,
}

impl Dispatcher {
    /// A dispatcher of `store`'s job queue to the webhooks `routing` holds at each moment,
    /// posting with `http`, woken early by `wake` (the push pipeline's `outbox`).
    pub fn new(
        store: Arc<dyn JobQueue>,
        routing: RoutingHandle,
        http: reqwest::Client,
        wake: Arc<tokio::sync::Notify>,
    ) -> Self {
        Dispatcher {
            store,
            routing,
            http,
            wake,
            batch: 64,
            poll: Duration::from_secs(1),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(600),
            sweep_every: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(5),
            templates: None,
        }
    }

    /// Template jobs go to `runner` (without one they wait, with backoff).
    pub fn templates(mut self, runner: Arc<dyn TemplateRunner>) -> Self {
        self.templates = Some(runner);
        self
    }

    /// Backoff after the n-th failure: `base · 2ⁿ⁻¹`, at most `cap`, jittered to 50–100 %.
    /// (Not a config key: tests shorten it.)
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_cap = cap.max(base);
        self
    }

    /// How often deliveries older than their webhook's `max_age` are swept, and how often
    /// the outbox is polled without a wake-up. (Not config keys: tests shorten them.)
    pub fn intervals(mut self, sweep_every: Duration, poll: Duration) -> Self {
        self.sweep_every = sweep_every;
        self.poll = poll;
        self
    }

    /// Start the dispatcher task.
    pub fn spawn(self) -> DispatcherHandle {
        let stop = CancellationToken::new();
        let task = tokio::spawn(Arc::new(self).run(stop.clone()));
        DispatcherHandle { stop, task }
    }

    async fn run(self: Arc<Self>, stop: CancellationToken) {
        let mut next_sweep = tokio::time::Instant::now();
        // Whether the outbox may have changed since the pending gauge was last set: a push
        // wrote deliveries (a wake-up) or some were attempted. The gauge is set again before
        // a wait, at most once a poll (a count over a large backlog is not free), so it
        // follows the outbox within about a poll, not a sweep.
        let mut changed = false;
        let mut counted = tokio::time::Instant::now();
        loop {
            if stop.is_cancelled() {
                break;
            }
            let routing = self.routing.current();
            if tokio::time::Instant::now() >= next_sweep {
                self.sweep(&routing).await;
                next_sweep = tokio::time::Instant::now() + self.sweep_every;
            }
            let claimed = self.claim(&routing).await;
            if !claimed.is_empty() {
                changed = true;
                let batch = futures::future::join_all(
                    claimed
                        .into_iter()
                        .map(|d| Arc::clone(&self).deliver(Arc::clone(&routing), d)),
                );
                tokio::pin!(batch);
                tokio::select! {
                    _ = &mut batch => {}
                    () = stop.cancelled() => {
                        // Let the POSTs under way finish, briefly; what is cut off stays
                        // in the outbox (claimed until its lease ends) and is sent again.
                        let _ = tokio::time::timeout(self.shutdown_grace, batch).await;
                        break;
                    }
                }
                // More may be due (an openid's next delivery, a bigger backlog).
                continue;
            }
            if changed && counted.elapsed() >= self.poll {
                self.count_pending().await;
                (changed, counted) = (false, tokio::time::Instant::now());
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.wake.notified() => changed = true,
                () = tokio::time::sleep(self.poll) => {}
            }
        }
        tracing::debug!("outbox dispatcher stopped");
    }

    /// Due jobs, leased long enough for the slowest webhook to answer.
    async fn claim(&self, routing: &Routing) -> Vec<ClaimedJob> {
        let slowest = routing
            .webhooks
            .iter()
            .map(|h| h.timeout)
            .max()
            .unwrap_or_default();
        let lease = (slowest + Duration::from_secs(30)).max(Duration::from_secs(60));
        match self.store.claim_jobs(Utc::now(), lease, self.batch).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "claiming webhook deliveries failed");
                Vec::new()
            }
        }
    }

    /// Delete what is past its webhook's `max_age`; refresh the pending gauge.
    async fn sweep(&self, routing: &Routing) {
        let now = Utc::now();
        for hook in routing
            .webhooks
            .iter()
            .filter(|h| h.mode == WebhookMode::Notify)
        {
            let Some(cutoff) = cutoff(now, hook.max_age) else {
                continue;
            };
            match self.store.drop_webhook_jobs(&hook.name, cutoff).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::warn!(webhook = %hook.name, deliveries = n, "dropped deliveries past max_age");
                    metrics::deliveries(Some(&hook.name), DeliveryOutcome::Expired, n);
                }
                Err(e) => tracing::warn!(error = %e, "dropping old deliveries failed"),
            }
        }
        self.count_pending().await;
    }

    /// Set `wxgate_webhook_deliveries_pending` to what the outbox holds.
    async fn count_pending(&self) {
        match self.store.pending_jobs().await {
            Ok(n) => metrics::deliveries_pending(n),
            Err(e) => tracing::warn!(error = %e, "counting pending deliveries failed"),
        }
    }

    /// One attempt at one job, and what follows from it in the store.
    async fn deliver(self: Arc<Self>, routing: Arc<Routing>, d: ClaimedJob) {
        // A template job names its message; a webhook's, its event.
        let attempt = i64::from(d.attempts) + 1;
        let span = match &d.job {
            Job::Template(t) => {
                spans::delivery("template", "", d.id, &t.message_id.to_string(), attempt)
            }
            Job::Webhook(w) => spans::delivery(
                "webhook",
                &w.webhook,
                d.id,
                EventId::stored(&w.event_id).as_str(),
                attempt,
            ),
        };
        let started = Instant::now();
        async move {
            let outcome = match &d.job {
                Job::Template(t) => self.send_template(&d, t).await,
                Job::Webhook(w) => self.attempt(&routing, &d, w).await,
            };
            spans::finish(&tracing::Span::current(), outcome.label(), started);
            tracing::debug!("delivery attempt done");
        }
        .instrument(span)
        .await
    }

    /// One attempt at webhook job `w` of `d`, and what follows from it in the store and the
    /// metrics.
    async fn attempt(&self, routing: &Routing, d: &ClaimedJob, w: &WebhookJob) -> DeliveryOutcome {
        // The openid at debug level only.
        tracing::debug!(openid = %d.openid, "delivering");
        let store = &self.store;
        let now = Utc::now();
        let hook = routing
            .webhooks
            .iter()
            .find(|h| h.name == w.webhook && h.mode == WebhookMode::Notify);
        let Some(hook) = hook else {
            tracing::warn!("webhook no longer configured (as notify): delivery dropped");
            if let Err(e) = store.job_done(d.id).await {
                tracing::warn!(error = %e, "deleting a dropped delivery failed");
            }
            metrics::deliveries(None, DeliveryOutcome::Dropped, 1);
            return DeliveryOutcome::Dropped;
        };
        if cutoff(now, hook.max_age).is_some_and(|cutoff| d.created_at < cutoff) {
            tracing::warn!("delivery older than max_age: dropped");
            if let Err(e) = store.job_done(d.id).await {
                tracing::warn!(error = %e, "deleting an expired delivery failed");
            }
            metrics::deliveries(Some(&hook.name), DeliveryOutcome::Expired, 1);
            return DeliveryOutcome::Expired;
        }
        let outcome = match post(&self.http, hook, w).await {
            Ok(()) => {
                if let Err(e) = store.job_done(d.id).await {
                    // It will be sent again when the lease ends: at-least-once.
                    tracing::warn!(error = %e, "marking a delivery done failed");
                }
                DeliveryOutcome::Delivered
            }
            Err(e) => {
                self.retry_later(d, &e.to_string()).await;
                DeliveryOutcome::Failed
            }
        };
        metrics::deliveries(Some(&hook.name), outcome, 1);
        outcome
    }

    /// A template job: run by the [`TemplateRunner`] (which settles it in the store), or due
    /// again after the backoff.
    async fn send_template(&self, d: &ClaimedJob, t: &TemplateJob) -> DeliveryOutcome {
        let sent = match &self.templates {
            Some(runner) => runner.run(d, t).await,
            None => Err("no template runner: template messages wait".to_string()),
        };
        match sent {
            Ok(()) => DeliveryOutcome::Delivered,
            Err(e) => {
                self.retry_later(d, &e).await;
                DeliveryOutcome::Failed
            }
        }
    }

    /// Schedules `d` again after the backoff of its attempts, counted from now: the attempt
    /// that failed may have taken long (a receiver's timeout, WeChat's busy retries).
    async fn retry_later(&self, d: &ClaimedJob, error: &str) {
        let delay = self.delay(d.attempts);
        let next_at =
            Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::zero());
        // Every failed attempt is a warning: the backoff (doubling up to its cap) bounds how
        // many lines a receiver that is down for hours costs.
        tracing::warn!(
            error,
            attempt = i64::from(d.attempts) + 1,
            retry_in = ?delay,
            next_attempt_at = %crate::rfc3339::time(&next_at),
            "delivery failed, will retry"
        );
        if let Err(e) = self.store.job_failed(d.id, next_at).await {
            tracing::warn!(error = %e, "rescheduling a delivery failed");
        }
    }

    /// The wait after a failure, when `attempts` failures came before it.
    fn delay(&self, attempts: i32) -> Duration {
        backoff(
            self.backoff_base,
            self.backoff_cap,
            attempts,
            rand::thread_rng().gen_range(0.0..=1.0),
        )
    }
}

/// `base · 2^attempts` capped at `cap`, then scaled to 50–100 % by `jitter` (0..=1).
fn backoff(base: Duration, cap: Duration, attempts: i32, jitter: f64) -> Duration {
    let exp = u32::try_from(attempts).unwrap_or(0).min(30);
    let full = base.saturating_mul(1u32 << exp).min(cap);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// `now - max_age`, or None when that is before any representable time (keep forever).
fn cutoff(now: DateTime<Utc>, max_age: Duration) -> Option<DateTime<Utc>> {
    chrono::Duration::from_std(max_age)
        .ok()
        .and_then(|age| now.checked_sub_signed(age))
}

/// POST one delivery: its stored payload, signed when the webhook has a secret (the Standard
/// Webhooks timestamp is this attempt's).
async fn post(
    http: &reqwest::Client,
    hook: &WebhookConfig,
    d: &WebhookJob,
) -> Result<(), PostError> {
    let id = EventId::stored(&d.event_id);
    let body = body_of(d, &id);
    let mut req = http
        .post(hook.url.clone())
        .timeout(hook.timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    for (name, value) in headers(hook.secret.as_ref(), &id, Utc::now().timestamp(), &body) {
        req = req.header(name, value);
    }
    let resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| PostError::Transport(NetError::new(e, hook.timeout, hook.timeout)))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(PostError::Status(resp.status().as_u16()))
    }
}

/// The body of delivery `d` of event `id`: its stored payload, whose `id` is `id` — except in
/// a row queued by an older gateway, whose payload holds the raw dedupe key: that one is
/// replaced, so the body says what the headers say.
fn body_of(d: &WebhookJob, id: &EventId) -> Vec<u8> {
    if d.event_id == id.as_str() {
        return d.payload.clone().into_bytes();
    }
    match serde_json::from_str::<serde_json::Value>(&d.payload) {
        Ok(mut body) => {
            if let Some(object) = body.as_object_mut() {
                object.insert("id".into(), serde_json::json!(id.as_str()));
            }
            body.to_string().into_bytes()
        }
        // Only the gateway writes payloads: one that is not JSON goes as it is.
        Err(_) => d.payload.clone().into_bytes(),
    }
}

/// A running dispatcher.
pub struct DispatcherHandle {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl DispatcherHandle {
    /// Stop it: the POSTs under way get a short grace, nothing undelivered is lost (it stays
    /// in the outbox for the next start).
    pub async fn stop(self) {
        self.stop.cancel();
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "outbox dispatcher panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(events: &[&str], mode: WebhookMode) -> WebhookConfig {
        WebhookConfig {
            name: "h".into(),
            url: reqwest::Url::parse("http://127.0.0.1:1/h").expect("url"),
            secret: None,
            mode,
            events: events.iter().map(|e| e.to_string()).collect(),
            max_age: Duration::from_secs(3600),
            timeout: Duration::from_secs(1),
            accounts: None,
        }
    }

    /// Two accounts: `one` (appid wx1) and `two` (no appid).
    fn two_accounts() -> crate::config::Config {
        let raw = crate::config::parse_toml(
            "[[accounts]]\nname = \"one\"\nappid = \"wx1\"\n[[accounts]]\nname = \"two\"\n",
        )
        .expect("parses");
        crate::config::Config::from_raw(raw, std::path::Path::new("/"), |_| None).expect("valid")
    }

    fn msg(xml: &str) -> Message {
        wechat_proto::parse_message(xml.as_bytes()).expect("test push parses")
    }

    const TEXT: &str = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>\
        <CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>7</MsgId></xml>";
    const CLICK: &str = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>\
        <CreateTime>1</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>k</EventKey></xml>";

    #[test]
    fn events_select_by_msg_type_or_event_case_insensitively() {
        let (text, click) = (msg(TEXT), msg(CLICK));
        assert!(selects(&hook(&["*"], WebhookMode::Notify), &text));
        assert!(selects(&hook(&["text"], WebhookMode::Notify), &text));
        assert!(!selects(&hook(&["text"], WebhookMode::Notify), &click));
        assert!(selects(&hook(&["click"], WebhookMode::Notify), &click));
        assert!(selects(&hook(&["event"], WebhookMode::Notify), &click));
        assert!(!selects(
            &hook(&["subscribe", "image"], WebhookMode::Notify),
            &click
        ));
    }

    #[test]
    fn deliveries_only_for_selecting_notify_hooks_with_one_payload() {
        let mut call = hook(&["*"], WebhookMode::Call);
        call.name = "call".into();
        let mut a = hook(&["text"], WebhookMode::Notify);
        a.name = "a".into();
        let mut b = hook(&["click"], WebhookMode::Notify);
        b.name = "b".into();
        let mut c = hook(&["*"], WebhookMode::Notify);
        c.name = "c".into();
        let text = msg(TEXT);
        let config = two_accounts();
        let one = &config.accounts[0];
        let out = deliveries(&[call, a, b, c], one, &text);
        let names: Vec<_> = out.iter().map(|d| d.webhook.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(out[0].event_id, EventId::of("7").as_str());
        assert_eq!(out[0].payload, out[1].payload);
        let v: serde_json::Value = serde_json::from_str(&out[0].payload).expect("JSON");
        assert_eq!(v, payload(one, &text));
        assert_eq!(
            (v["account"].as_str(), v["appid"].as_str()),
            (Some("one"), Some("wx1"))
        );
        assert!(deliveries(&[hook(&["image"], WebhookMode::Notify)], one, &text).is_empty());
    }

    #[test]
    fn a_webhook_narrowed_to_accounts_gets_only_their_pushes() {
        let config = two_accounts();
        let (one, two) = (&config.accounts[0], &config.accounts[1]);
        let mut narrowed = hook(&["*"], WebhookMode::Notify);
        narrowed.accounts = Some(vec!["two".into()]);
        let text = msg(TEXT);
        assert!(deliveries(std::slice::from_ref(&narrowed), one, &text).is_empty());
        let out = deliveries(std::slice::from_ref(&narrowed), two, &text);
        assert_eq!(out.len(), 1);
        let v: serde_json::Value = serde_json::from_str(&out[0].payload).expect("JSON");
        assert_eq!(v["account"], "two");
        assert!(v["appid"].is_null(), "an account without appid");
        // With `[account]` alone the body keeps the shape of before.
        let single = crate::config::Config::from_raw(
            crate::config::parse_toml("[account]\nappid = \"wx1\"\n").expect("parses"),
            std::path::Path::new("/"),
            |_| None,
        )
        .expect("valid");
        let body = payload(&single.accounts[0], &text);
        assert!(
            body.get("account").is_none() && body.get("appid").is_none(),
            "{body}"
        );
    }

    #[test]
    fn a_row_queued_with_the_raw_dedupe_key_is_sent_with_its_id() {
        let key = "ev:5:oUser:10:1700000000:5:CLICK:6:菜单";
        let old = WebhookJob {
            webhook: "h".into(),
            event_id: key.into(),
            payload: serde_json::json!({"id": key, "openid": "oUser"}).to_string(),
        };
        let id = EventId::stored(&old.event_id);
        assert_eq!(id, EventId::of(key));
        let body: serde_json::Value =
            serde_json::from_slice(&body_of(&old, &id)).expect("JSON body");
        assert_eq!(
            body,
            serde_json::json!({"id": id.as_str(), "openid": "oUser"})
        );
        // A row queued with its id goes byte for byte as stored.
        let new = WebhookJob {
            event_id: id.to_string(),
            payload: serde_json::json!({"id": id.as_str()}).to_string(),
            ..old
        };
        assert_eq!(body_of(&new, &id), new.payload.as_bytes());
    }

    /// The job queue port alone, in memory: hands out its jobs once, notes which are done.
    #[derive(Default)]
    struct MemoryQueue {
        jobs: std::sync::Mutex<Vec<ClaimedJob>>,
        done: std::sync::Mutex<Vec<i64>>,
    }

    #[async_trait::async_trait]
    impl JobQueue for MemoryQueue {
        async fn claim_jobs(
            &self,
            _now: DateTime<Utc>,
            _lease: Duration,
            _limit: u32,
        ) -> Result<Vec<ClaimedJob>, crate::store::StoreError> {
            Ok(std::mem::take(&mut *self.jobs.lock().unwrap()))
        }

        async fn job_done(&self, id: i64) -> Result<(), crate::store::StoreError> {
            self.done.lock().unwrap().push(id);
            Ok(())
        }

        async fn job_failed(
            &self,
            id: i64,
            _next_at: DateTime<Utc>,
        ) -> Result<(), crate::store::StoreError> {
            panic!("job {id} failed");
        }

        async fn drop_webhook_jobs(
            &self,
            _webhook: &str,
            _cutoff: DateTime<Utc>,
        ) -> Result<u64, crate::store::StoreError> {
            Ok(0)
        }

        async fn pending_jobs(&self) -> Result<i64, crate::store::StoreError> {
            Ok(self.jobs.lock().unwrap().len() as i64)
        }
    }

    /// A template runner that notes the messages it is handed (and settles nothing itself:
    /// the queue is told nothing, as a real runner tells the store).
    #[derive(Default)]
    struct NotingRunner(std::sync::Mutex<Vec<(String, String, i64)>>);

    #[async_trait::async_trait]
    impl TemplateRunner for NotingRunner {
        async fn run(&self, job: &ClaimedJob, template: &TemplateJob) -> Result<(), String> {
            self.0.lock().unwrap().push((
                job.account.clone(),
                job.openid.clone(),
                template.message_id,
            ));
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_template_job_and_a_webhook_job_of_one_openid_are_both_delivered() {
        let (posted, mut bodies) = tokio::sync::mpsc::unbounded_channel::<String>();
        let receiver = axum::Router::new().route(
            "/h",
            axum::routing::post(move |body: String| async move {
                let _ = posted.send(body);
                "ok"
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move { axum::serve(listener, receiver).await });
        let mut crm = hook(&["*"], WebhookMode::Notify);
        crm.url = reqwest::Url::parse(&format!("http://{addr}/h")).expect("url");
        let base = Routing::of(&two_accounts());
        let routing = RoutingHandle::new(Routing {
            rules: base.rules,
            webhooks: Arc::new(vec![crm]),
        });
        let job = |id, job| ClaimedJob {
            id,
            account: "one".into(),
            openid: "oUser".into(),
            attempts: 0,
            created_at: Utc::now(),
            job,
        };
        let queue = Arc::new(MemoryQueue::default());
        *queue.jobs.lock().unwrap() = vec![
            job(
                1,
                Job::Webhook(WebhookJob {
                    webhook: "h".into(),
                    event_id: EventId::of("7").to_string(),
                    payload: r#"{"hello":1}"#.into(),
                }),
            ),
            job(
                2,
                Job::Template(TemplateJob {
                    message_id: 41,
                    payload: "{}".into(),
                }),
            ),
        ];
        let runner = Arc::new(NotingRunner::default());
        let dispatcher = Dispatcher::new(
            Arc::clone(&queue) as Arc<dyn JobQueue>,
            routing,
            crate::webhooks::client(),
            Arc::default(),
        )
        .templates(Arc::clone(&runner) as Arc<dyn TemplateRunner>)
        .spawn();
        let body = tokio::time::timeout(Duration::from_secs(10), bodies.recv())
            .await
            .expect("the webhook job is POSTed")
            .expect("a body");
        assert_eq!(body, r#"{"hello":1}"#);
        let deadline = Instant::now() + Duration::from_secs(10);
        while queue.done.lock().unwrap().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        dispatcher.stop().await;
        server.abort();
        assert_eq!(
            *queue.done.lock().unwrap(),
            [1],
            "the delivered webhook job is done"
        );
        assert_eq!(
            *runner.0.lock().unwrap(),
            [("one".to_string(), "oUser".to_string(), 41)],
            "the template job went to the runner"
        );
    }

    #[test]
    fn backoff_doubles_caps_and_jitters_down_to_half() {
        let s = Duration::from_secs;
        assert_eq!(backoff(s(1), s(600), 0, 1.0), s(1));
        assert_eq!(backoff(s(1), s(600), 1, 1.0), s(2));
        assert_eq!(backoff(s(1), s(600), 3, 1.0), s(8));
        assert_eq!(backoff(s(1), s(600), 10, 1.0), s(600));
        assert_eq!(backoff(s(1), s(600), i32::MAX, 1.0), s(600));
        assert_eq!(backoff(s(1), s(600), 2, 0.0), s(2));
        assert_eq!(backoff(s(1), s(600), -1, 1.0), s(1));
    }

    #[test]
    fn cutoff_of_a_huge_max_age_is_none() {
        let now = Utc::now();
        assert_eq!(
            cutoff(now, Duration::from_secs(60)),
            Some(now - chrono::Duration::seconds(60))
        );
        assert_eq!(cutoff(now, Duration::MAX), None);
    }
}
