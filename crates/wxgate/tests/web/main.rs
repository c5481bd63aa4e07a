//! The account's web pages over real sockets against the mock WeChat API: OAuth sign-in
//! (`signin`) and JS-SDK signatures (`jssdk`).
mod harness;
mod jssdk;
mod signin;
#[path = "../common/spawn.rs"]
mod spawn;
