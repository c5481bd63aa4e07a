//! The way out to the account's own services: `call` webhooks (a synchronous request whose
//! answer may become the reply), `notify` webhooks (a durable outbox delivered at least once,
//! in order per openid) and the payload and signature both share (Standard Webhooks 1.0 plus `X-Wxgate-*`).
mod call;
mod id;
pub mod outbox;
mod payload;
mod sign;

pub use call::{call, CallError, MAX_ANSWER};
pub use id::EventId;
pub use payload::payload;
pub use sign::{
    headers, EVENT_ID_HEADER, SIGNATURE_HEADER, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
};

/// The HTTP client of webhooks, call and notify: it never follows a redirect (a receiver's 3xx
/// is a failed delivery, so a delivery is never re-posted, signed, to wherever a `Location`
/// points — an internal host, say).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        // The builder fails only when the TLS backend cannot start, where
        // `reqwest::Client::new()` panics too: nothing could be delivered.
        .expect("the webhook HTTP client builds")
}
