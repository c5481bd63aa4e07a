//! How a delivery is signed: Standard Webhooks 1.0, plus the older `X-Wxgate-*` headers.
//!
//! ```text
//! webhook-id:         the event id (`msg_…`, ASCII, the same on every attempt and resend)
//! webhook-timestamp:  unix seconds of this attempt
//! webhook-signature:  v1,BASE64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))
//! X-Wxgate-Signature: sha256=HEX(HMAC-SHA256(key, body))
//! X-Wxgate-Event-Id:  the event id
//! ```
//!
//! The key and the signatures themselves are [`crate::webhook_key`]'s.
use super::EventId;
use crate::webhook_key::WebhookKey;

/// Header carrying the body-only signature (kept for receivers written before Standard Webhooks).
pub const SIGNATURE_HEADER: &str = "X-Wxgate-Signature";
/// Header carrying the event id.
pub const EVENT_ID_HEADER: &str = "X-Wxgate-Event-Id";
/// Standard Webhooks: the message id.
pub const WEBHOOK_ID_HEADER: &str = "webhook-id";
/// Standard Webhooks: unix seconds of the attempt.
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// Standard Webhooks: `v1,` and the base64 signature.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "webhook-signature";

/// Every header of one delivery attempt of event `id` at `timestamp` (unix seconds): the ids
/// always, the signatures when the webhook has a key.
pub fn headers(
    key: Option<&WebhookKey>,
    id: &EventId,
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let id = id.as_str();
    let mut out = Vec::with_capacity(5);
    if let Some(key) = key {
        out.push((
            WEBHOOK_SIGNATURE_HEADER,
            key.sign_standard(id, timestamp, body),
        ));
        out.push((SIGNATURE_HEADER, key.sign_body(body)));
    }
    out.push((WEBHOOK_TIMESTAMP_HEADER, timestamp.to_string()));
    out.push((EVENT_ID_HEADER, id.to_string()));
    out.push((WEBHOOK_ID_HEADER, id.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> WebhookKey {
        WebhookKey::from_secret(secret).expect("valid secret")
    }

    #[test]
    fn headers_carry_ids_always_and_signatures_with_a_key() {
        let k = key("s");
        let id = EventId::of("ev:1:a");
        let h = headers(Some(&k), &id, 1700000000, b"{}");
        let get = |name: &str| h.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(get(WEBHOOK_ID_HEADER), Some(id.as_str()));
        assert_eq!(get(EVENT_ID_HEADER), Some(id.as_str()));
        assert_eq!(get(WEBHOOK_TIMESTAMP_HEADER), Some("1700000000"));
        assert_eq!(
            get(WEBHOOK_SIGNATURE_HEADER),
            Some(k.sign_standard(id.as_str(), 1700000000, b"{}").as_str())
        );
        assert_eq!(get(SIGNATURE_HEADER), Some(k.sign_body(b"{}").as_str()));
        let open = headers(None, &EventId::of("a\nb"), 1, b"{}");
        assert_eq!(open.len(), 3);
        assert!(open
            .iter()
            .all(|(n, _)| *n != SIGNATURE_HEADER && *n != WEBHOOK_SIGNATURE_HEADER));
        assert!(open
            .iter()
            .all(|(_, v)| reqwest::header::HeaderValue::from_str(v).is_ok()));
    }
}
