//! The way out to the account's own services: `call` webhooks (a synchronous request whose
//! answer may become the reply), `notify` webhooks (a durable outbox delivered at least once,
//! in order per openid) and the payload and signature both share (Standard Webhooks 1.0 plus `X-Wxgate-*`).
mod call;
mod id;
pub mod outbox;
mod payload;
mod sign;

pub use call::{call, CallError};
pub use id::EventId;
pub use payload::payload;
pub use sign::{
    headers, KeyError, WebhookKey, EVENT_ID_HEADER, SIGNATURE_HEADER, WEBHOOK_ID_HEADER,
    WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER,
};
