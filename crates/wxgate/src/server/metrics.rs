//! Prometheus metrics: one process-wide recorder, labels kept bounded.
use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use wechat_proto::Message;

const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's Prometheus handle (installed on first use).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("wxgate_push_duration_seconds".into()),
                    BUCKETS,
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests): then ours only renders.
            let _ = metrics::set_global_recorder(recorder);
            // The counters of the contract exist from the start, at zero.
            for name in ["wxgate_retries_total", "wxgate_deadline_misses_total"] {
                metrics::counter!(name).increment(0);
            }
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

/// The series every answered push updates, their handles registered once: a `counter!` call
/// builds its key and looks it up in the recorder's registry each time.
pub struct PushSeries {
    pushes: std::sync::Mutex<std::collections::HashMap<(&'static str, &'static str), Counter>>,
    replies: std::sync::Mutex<std::collections::HashMap<&'static str, Counter>>,
    duration: Histogram,
}

impl PushSeries {
    /// The process's series (the recorder is installed first).
    pub fn get() -> &'static PushSeries {
        static SERIES: OnceLock<PushSeries> = OnceLock::new();
        SERIES.get_or_init(|| {
            let _ = handle();
            PushSeries {
                pushes: Default::default(),
                replies: Default::default(),
                duration: metrics::histogram!("wxgate_push_duration_seconds"),
            }
        })
    }

    /// `wxgate_pushes_total{msg_type, event}` + 1 (labels from [`push_labels`]).
    pub fn push(&self, msg_type: &'static str, event: &'static str) {
        let mut pushes = self.pushes.lock().unwrap_or_else(|p| p.into_inner());
        pushes
            .entry((msg_type, event))
            .or_insert_with(|| {
                metrics::counter!("wxgate_pushes_total", "msg_type" => msg_type, "event" => event)
            })
            .increment(1);
    }

    /// `wxgate_replies_total{kind}` + 1.
    pub fn reply(&self, kind: &'static str) {
        let mut replies = self.replies.lock().unwrap_or_else(|p| p.into_inner());
        replies
            .entry(kind)
            .or_insert_with(|| metrics::counter!("wxgate_replies_total", "kind" => kind))
            .increment(1);
    }

    /// `wxgate_push_duration_seconds` observes `seconds`.
    pub fn duration(&self, seconds: f64) {
        self.duration.record(seconds);
    }
}

/// Bounded label values for `wxgate_pushes_total{msg_type, event}`.
pub fn push_labels(msg: &Message) -> (&'static str, &'static str) {
    const TYPES: &[&str] = &[
        "text",
        "image",
        "voice",
        "video",
        "shortvideo",
        "location",
        "link",
        "event",
    ];
    const EVENTS: &[&str] = &[
        "subscribe",
        "unsubscribe",
        "scan",
        "location",
        "click",
        "view",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
        "view_miniprogram",
        "templatesendjobfinish",
        "masssendjobfinish",
    ];
    let msg_type = TYPES
        .iter()
        .find(|t| msg.msg_type().eq_ignore_ascii_case(t))
        .copied()
        .unwrap_or("other");
    let event = match msg.event() {
        None => "",
        Some(e) => EVENTS
            .iter()
            .find(|t| e.eq_ignore_ascii_case(t))
            .copied()
            .unwrap_or("other"),
    };
    (msg_type, event)
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
