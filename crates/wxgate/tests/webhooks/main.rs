//! End-to-end tests of notify webhooks: a real gateway with its outbox dispatcher, and a
//! receiver stub on 127.0.0.1:0.
mod examples;
mod forgotten;
mod harness;
mod outbox;
mod pending;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/pushes.rs"]
mod pushes;
#[path = "../common/spawn.rs"]
mod spawn;
mod standard;
#[path = "../common/tools.rs"]
mod tools;
