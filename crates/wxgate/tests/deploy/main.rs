//! Issue 17 items 3 and 7: the deployment examples work as written. `examples/deploy/nginx.conf`
//! and `examples/deploy/Caddyfile` pass `nginx -t` / `caddy validate` of the Debian 12
//! packages and carry every path the gateway serves to a running gateway; the `Dockerfile`
//! has the stages, user, port and volume it promises, and its defaults start a gateway.
//!
//! nginx and Caddy run as the Debian packages install them (`.ci/setup`); a missing one fails
//! the test, naming that script.
mod caddy;
mod dockerfile;
mod gateway;
mod nginx;
#[path = "../common/spawn.rs"]
mod spawn;
#[path = "../common/tools.rs"]
mod tools;
