//! wxgate: a self-hosted gateway for WeChat Official Accounts.
//!
//! SKELETON: modules are being written.
#![forbid(unsafe_code)]

pub mod api;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod menu;
pub mod push;
pub mod qr;
pub mod rules;
pub mod server;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod webhooks;
