//! The gateway's WeChat API features end to end: the gateway in process (or the real binary)
//! against `wechat-mock` over real sockets — QR codes and their limits, drawing, counters,
//! menus, the central access token, `wxgate mock-api`, and the OpenAPI document checked by
//! schemathesis against a live gateway.
mod cli;
mod followers_sync;
mod helpers;
mod menu;
mod messages;
mod openapi;
mod papercuts;
mod proxy_hardening;
mod qrcode_counts;
mod qrcodes;
#[path = "../common/spawn.rs"]
mod spawn;
mod token;
#[path = "../common/tools.rs"]
mod tools;
mod wechat_proxy;
