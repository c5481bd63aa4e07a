//! wxgate: a self-hosted gateway for WeChat Official Accounts.
//!
//! The binary `wxgate` is a thin `main.rs` over this library, so tests can start the real
//! router on a real socket. The modules follow the life of a push:
//!
//! - [`app`]: the [`app::Application`] built from a config, the one way `serve` and the
//!   tests build it;
//! - [`account`]: one [`account::Account`] at run time per account served, and the
//!   [`account::Registry`] of them that a SIGHUP changes;
//! - [`config`]: defaults → TOML → `WXGATE_*` → a validated [`config::Config`];
//! - [`server`]: the axum router — push endpoint, admin API ([`server::admin`]), metrics;
//! - [`push`]: the [`push::Pipeline`] — retry coalescing, the replay guard, the rules raced against the deadline,
//!   late replies;
//! - [`rules`]: `[[rules]]` compiled once, [`routing`]: the rules and webhooks in force; [`webhooks`]: call webhooks and the notify outbox,
//!   signed with a [`webhook_key`] (a leaf that `config` decodes secrets into);
//! - [`store`]: SQLite / PostgreSQL behind one port (trait) per role, with group commit;
//!   [`jobs`]: the seam between the job queue's dispatcher and the kinds of job;
//! - [`api`], [`qr`], [`menu`]: the WeChat server API features (token, QR codes, menus);
//! - [`follower_sync`]: `wxgate followers sync`, the follower list from WeChat;
//! - [`messages`]: template messages, queued as jobs, with their receipts;
//! - [`open`]: the third-party platform — accounts that authorise it served without their
//!   secrets;
//! - [`web`]: the account's web pages — OAuth sign-in (redirect checks, the one-time flow);
//! - [`dashboard`]: the `/admin` page; [`cli`]: the commands.
#![forbid(unsafe_code)]

pub mod account;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod follower_sync;
pub mod jobs;
pub mod menu;
pub mod messages;
pub mod open;
pub mod push;
pub mod qr;
pub mod rfc3339;
pub mod routing;
pub mod rules;
pub mod server;
pub mod shutdown;
pub mod store;
pub mod tasks;
pub mod telemetry;
pub mod web;
pub mod webhook_key;
pub mod webhooks;
