//! The account's web pages over real sockets against the mock WeChat API: OAuth sign-in
//! (`signin`) and JS-SDK signatures (`jssdk`).
mod harness;
mod jssdk;
#[path = "../common/postgres.rs"]
mod postgres;
mod signin;
#[path = "../common/spawn.rs"]
mod spawn;
