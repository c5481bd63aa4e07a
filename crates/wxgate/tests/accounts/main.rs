//! Several accounts on one gateway, over real sockets: two accounts (`one` plain, `two` safe)
//! each verify their own URL and refuse the other's signatures, and keep their own followers,
//! scenes, tokens (two appids at the mock WeChat API), menus and QR codes; the single-account
//! config and a database from before several accounts keep working; the WeChat API proxy,
//! template messages and follower sync act for the account named.
mod harness;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/pushes.rs"]
mod pushes;
#[path = "../common/spawn.rs"]
mod spawn;

mod api;
mod cli;
mod endpoint;
mod reach;
mod reload;
mod scale;
mod upgrade;
