//! wxgate: a self-hosted gateway for WeChat Official Accounts.
//!
//! SKELETON: modules are being written.
#![forbid(unsafe_code)]

pub mod store;
