//! The spans the gateway opens and the values they carry: identifiers that let a log reader
//! follow one push, never a message's content nor a secret. An openid is shown only as a hash
//! (the README promises the raw openid at `debug` only, and unfollow forgets it).
//!
//! | span | fields |
//! | --- | --- |
//! | `push` | `dedupe_key` ([`key_label`]), `msg_type`, `event`, `openid` ([`openid_hash`]); recorded at the end: `reply`, `outcome`, `ms` |
//! | `call` | `webhook`; recorded: `outcome`, `ms` (a child of its push's span) |
//! | `delivery` | `webhook`, `id`, `event_id` ([`key_label`]), `attempt`; recorded: `outcome`, `ms` |
//! | `wechat_api` | `path` (no query: it holds the token); recorded: `errcode`, `attempts`, `ms` (in `wechat-api`) |
use std::fmt;
use std::time::Instant;

use sha2::{Digest, Sha256};
use tracing::field::Empty;
use tracing::Span;
use wechat_proto::Message;

/// The span of one push, from its acceptance to its answer. `outcome` is recorded at the end:
/// `success`, `reply`, `failed` (500) or `not_in_time` (503).
pub fn push(msg: &Message) -> Span {
    tracing::info_span!(
        "push",
        dedupe_key = %KeyLabel(msg.dedupe_key().as_str()),
        msg_type = msg.type_label(),
        event = msg.event_label(),
        openid = %ShortHash(&msg.from_user_name),
        reply = Empty,
        outcome = Empty,
        ms = Empty,
    )
}

/// The span of one call-webhook request.
pub fn call(webhook: &str) -> Span {
    tracing::info_span!("call", webhook, outcome = Empty, ms = Empty)
}

/// The span of one attempt at a queued job: a notify-webhook delivery (`kind` `webhook`,
/// the webhook's name, the push's event id) or a template send (`template`, no webhook, the
/// message's id).
pub fn delivery(kind: &'static str, webhook: &str, id: i64, event_id: &str, attempt: i64) -> Span {
    tracing::info_span!(
        "delivery",
        kind,
        webhook,
        id,
        event_id = %KeyLabel(event_id),
        attempt,
        outcome = Empty,
        ms = Empty,
    )
}

/// Record `outcome` and the milliseconds since `started` on `span`.
pub fn finish(span: &Span, outcome: &'static str, started: Instant) {
    span.record("outcome", outcome);
    span.record("ms", elapsed_ms(started));
}

/// Milliseconds since `started`.
pub fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A dedupe key (or webhook event id) as logs show it: a MsgId as it is; an event's key,
/// which holds the sender's openid, as `ev#` and the first 16 hex digits of its SHA-256 (the
/// same for every resend, so they still line up).
pub fn key_label(key: &str) -> String {
    KeyLabel(key).to_string()
}

/// An openid as logs show it: the first 16 hex digits of its SHA-256.
pub fn openid_hash(openid: &str) -> String {
    ShortHash(openid).to_string()
}

/// [`key_label`] written straight into the log line (no `String` of its own on the push path).
struct KeyLabel<'a>(&'a str);

impl fmt::Display for KeyLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.starts_with("ev:") {
            write!(f, "ev#{}", ShortHash(self.0))
        } else {
            f.write_str(self.0)
        }
    }
}

/// The first 16 hex digits of a text's SHA-256, written without allocating.
struct ShortHash<'a>(&'a str);

impl fmt::Display for ShortHash<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digest = Sha256::digest(self.0.as_bytes());
        let mut hex = [0u8; 16];
        // 8 bytes make 16 digits; the buffer is exactly that long.
        hex::encode_to_slice(&digest[..8], &mut hex).map_err(|_| fmt::Error)?;
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_keys_show_event_keys_are_hashed() {
        assert_eq!(key_label("24001234567890"), "24001234567890");
        let event = "ev:6:oUser1:10:1700000000:9:subscribe0:";
        let shown = key_label(event);
        assert!(shown.starts_with("ev#") && shown.len() == 19, "{shown}");
        assert!(!shown.contains("oUser1"));
        assert_eq!(shown, key_label(event), "stable across resends");
        assert_eq!(openid_hash("oUser1").len(), 16);
        assert_ne!(openid_hash("oUser1"), openid_hash("oUser2"));
    }
}
