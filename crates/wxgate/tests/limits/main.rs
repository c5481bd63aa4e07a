//! Issue 9 items 1 and 2 over real sockets: slow clients, connection floods, oversized
//! declared bodies, header and body timeouts, and SIGTERM while a client holds a partial
//! request. A binary of its own, its tests one at a time, so that the timing assertions do not
//! compete with the rest of the suite for the CPU.
#![allow(dead_code, unused_imports)]
#[path = "../it/helpers.rs"]
mod helpers;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/pushes.rs"]
mod pushes;
mod raw;
#[path = "../common/spawn.rs"]
mod spawn;

mod admin;
mod clients;
mod readers;
mod shutdown;
mod slow;
mod webhooks;

/// One test at a time in this binary.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
