//! The way out to the account's own services: `call` webhooks (a synchronous request whose
//! answer may become the reply) and the payload/signature they share with `notify` ones.
mod call;
mod payload;
mod sign;

pub use call::{call, CallError};
pub use payload::payload;
pub use sign::{sign, EVENT_ID_HEADER, SIGNATURE_HEADER};
