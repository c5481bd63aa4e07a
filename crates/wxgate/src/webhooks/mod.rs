//! The way out to the account's own services: `call` webhooks (a synchronous request whose
//! answer may become the reply), `notify` webhooks (a durable outbox delivered at least once,
//! in order per openid) and the payload/signature both share.
mod call;
pub mod outbox;
mod payload;
mod sign;

pub use call::{call, CallError};
pub use payload::payload;
pub use sign::{sign, EVENT_ID_HEADER, SIGNATURE_HEADER};
