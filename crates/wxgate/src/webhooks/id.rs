//! The id of a webhook event (`webhook-id`, `X-Wxgate-Event-Id` and the body's `id`): ASCII
//! whatever the push held, and the same on every attempt and every WeChat resend.
//!
//! `msg_` + base64url (no padding) of the first 16 bytes of SHA-256 of the push's dedupe key:
//! 26 characters, e.g. `msg_eQJpm-Qsio5G-7tFAXJlFw` (MsgId 7). A dedupe key can hold anything a push
//! holds (an EventKey of `菜单`, control characters, the openid); a header must be ASCII for
//! the Standard Webhooks libraries to verify it, and 128 bits keep two keys apart.
//!
//! Outbox rows queued by a gateway from before this id hold the dedupe key itself in their
//! event id; [`EventId::stored`] turns either into the id at delivery, so such a row is sent
//! (and verifies) like any other instead of blocking its user's queue.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The prefix of every id.
const PREFIX: &str = "msg_";
/// Digest bytes kept (128 bits).
const KEPT: usize = 16;
/// Length of an id: the prefix and 16 bytes in unpadded base64 (22 characters).
const LEN: usize = PREFIX.len() + 22;

/// A webhook event id: `msg_` and 22 base64url characters (ASCII, safe in a header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventId(String);

impl EventId {
    /// The id of the push whose dedupe key is `dedupe_key`.
    pub fn of(dedupe_key: &str) -> Self {
        let digest = Sha256::digest(dedupe_key.as_bytes());
        EventId(format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(&digest[..KEPT])
        ))
    }

    /// The id of a queued delivery from its stored event id: an id already, or (a row queued
    /// before ids were hashed) the dedupe key, hashed now. A dedupe key is a MsgId (digits) or
    /// starts with `ev:`, so it is never mistaken for an id.
    pub fn stored(event_id: &str) -> Self {
        let is_id = event_id.len() == LEN
            && event_id.starts_with(PREFIX)
            && event_id[PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if is_id {
            EventId(event_id.to_string())
        } else {
            EventId::of(event_id)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_ascii_fixed_length_and_stable() {
        let click = "ev:28:oUser:10:1700000000:5:CLICK:6:菜单";
        let id = EventId::of(click);
        assert_eq!(
            id,
            EventId::of(click),
            "the same on every attempt and resend"
        );
        assert_eq!(id.as_str().len(), LEN);
        assert!(id.as_str().starts_with("msg_"));
        assert!(id.as_str().bytes().all(|b| b.is_ascii_graphic()));
        assert!(reqwest::header::HeaderValue::from_str(id.as_str()).is_ok());
        assert_ne!(id, EventId::of("ev:28:oUser:10:1700000000:5:CLICK:6:菜单2"));
        assert_ne!(EventId::of("7"), EventId::of("8"));
        // Python: "msg_" + urlsafe_b64encode(sha256(b"7").digest()[:16]) without "=".
        assert_eq!(EventId::of("7").as_str(), "msg_eQJpm-Qsio5G-7tFAXJlFw");
    }

    #[test]
    fn a_stored_id_is_kept_and_a_stored_dedupe_key_is_hashed() {
        let id = EventId::of("ev:1:a:1:1:0::0:");
        assert_eq!(EventId::stored(id.as_str()), id, "a row queued with its id");
        for old in ["1234567890123456", "ev:5:oUser:1:1:5:CLICK:6:菜单", "a\nb"] {
            assert_eq!(EventId::stored(old), EventId::of(old), "{old:?}");
        }
    }
}
