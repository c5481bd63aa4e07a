//! `examples/deploy/Caddyfile` on the Caddy of Debian 12 (2.6): `caddy validate` of the file as
//! written, then every path of the gateway through it over HTTPS.
//!
//! Automatic HTTPS asks an ACME server for a certificate, which a test cannot; the file run here
//! is derived from the example, each replacement checked: a global options block (no admin
//! endpoint, free ports for HTTP and HTTPS, no redirect server, storage in a temp folder), the
//! site address with that port, `tls` with a self-signed certificate made by openssl, and the
//! gateway's address. Everything inside the site block is as written.
use std::process::Command;

use crate::gateway::{certificate, client, derive, exercise, free_port, Gateway, Proxy, HOST};
use crate::tools;

fn example() -> String {
    std::fs::read_to_string(tools::workspace().join("examples/deploy/Caddyfile"))
        .expect("examples/deploy/Caddyfile")
}

/// `caddy` with its home, data and config folders in `dir`.
fn caddy(binary: &std::path::Path, dir: &std::path::Path) -> Command {
    let mut command = Command::new(binary);
    command
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"));
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_the_caddy_example_validates_and_carries_every_path() {
    let binary = tools::on_path("caddy", &["/usr/bin/caddy"])
        .unwrap_or_else(|| tools::missing("caddy (Debian: caddy)"));
    let dir = tempfile::tempdir().expect("tempdir");

    // The example as written.
    let written = dir.path().join("Caddyfile.example");
    std::fs::write(&written, example()).expect("copy");
    let validated = caddy(&binary, dir.path())
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(&written)
        .output()
        .expect("caddy validate");
    assert!(
        validated.status.success(),
        "caddy validate of the example: {}",
        String::from_utf8_lossy(&validated.stderr)
    );

    let gateway = Gateway::start().await;
    let (cert, key) = certificate(dir.path());
    let (https, http) = (free_port(), free_port());
    let site = derive(
        &example(),
        &[
            (
                "wx.example.com {",
                format!(
                    "{{\n\tadmin off\n\thttp_port {http}\n\thttps_port {https}\n\
                     \tauto_https disable_redirects\n\tstorage file_system {{\n\t\troot {}\n\t}}\n}}\n\n\
                     https://{HOST}:{https} {{\n\ttls {} {}\n",
                    dir.path().join("storage").display(),
                    cert.display(),
                    key.display()
                ),
            ),
            ("reverse_proxy 127.0.0.1:8080", format!("reverse_proxy {}", gateway.addr)),
        ],
    );
    let config = dir.path().join("Caddyfile");
    std::fs::write(&config, site).expect("Caddyfile");
    let validated = caddy(&binary, dir.path())
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(&config)
        .output()
        .expect("caddy validate");
    assert!(
        validated.status.success(),
        "caddy validate of the test's file: {}",
        String::from_utf8_lossy(&validated.stderr)
    );

    let mut run = caddy(&binary, dir.path());
    run.args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&config);
    let proxy = Proxy::start("caddy", run, https, &dir.path().join("caddy.out"));
    let through = client(([127, 0, 0, 1], https).into());
    exercise(&gateway, &through, &format!("https://{HOST}:{https}")).await;
    drop(proxy);
}
