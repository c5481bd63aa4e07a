//! `examples/deploy/nginx.conf` on the nginx of Debian 12 (1.22): `nginx -t`, then every path
//! of the gateway through it, over HTTPS (443 in the example) and plain HTTP (80).
//!
//! The file is used as written but for what only a test must change, each replacement checked:
//! the listen addresses (127.0.0.1 and free ports instead of 443 and 80, no IPv6), the
//! certificate (self-signed, made by openssl) and the gateway's address. It is included from a
//! minimal main config that runs nginx in the foreground as one process in a temp folder.
use std::process::Command;

use crate::gateway::{certificate, client, derive, exercise, free_port, Gateway, Proxy, HOST};
use crate::tools;

fn example() -> String {
    std::fs::read_to_string(tools::workspace().join("examples/deploy/nginx.conf"))
        .expect("examples/deploy/nginx.conf")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_the_nginx_example_passes_nginx_t_and_carries_every_path() {
    let nginx = tools::on_path("nginx", &["/usr/sbin/nginx"])
        .unwrap_or_else(|| tools::missing("nginx (Debian: nginx)"));
    let gateway = Gateway::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = certificate(dir.path());
    let (https, http) = (free_port(), free_port());
    let site = derive(
        &example(),
        &[
            (
                "listen 443 ssl http2;",
                format!("listen 127.0.0.1:{https} ssl http2;"),
            ),
            ("    listen [::]:443 ssl http2;\n", String::new()),
            ("listen 80;", format!("listen 127.0.0.1:{http};")),
            ("    listen [::]:80;\n", String::new()),
            (
                "/etc/letsencrypt/live/wx.example.com/fullchain.pem",
                cert.display().to_string(),
            ),
            (
                "/etc/letsencrypt/live/wx.example.com/privkey.pem",
                key.display().to_string(),
            ),
            (
                "server 127.0.0.1:8080;",
                format!("server {};", gateway.addr),
            ),
        ],
    );
    let d = dir.path().display();
    std::fs::write(dir.path().join("wxgate.conf"), site).expect("site");
    let main = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{}}\nhttp {{\n    access_log off;\n    client_body_temp_path {d}/body;\n\
         proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n\
         uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n    include {d}/wxgate.conf;\n}}\n"
    );
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, main).expect("main config");
    let args = |command: &mut Command| {
        command
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&conf);
    };

    let mut test = Command::new(&nginx);
    args(&mut test);
    let checked = test.arg("-t").output().expect("nginx -t");
    let said = String::from_utf8_lossy(&checked.stderr);
    assert!(checked.status.success(), "nginx -t: {said}");
    assert!(said.contains("test is successful"), "{said}");

    let mut run = Command::new(&nginx);
    args(&mut run);
    let proxy = Proxy::start("nginx", run, https, &dir.path().join("nginx.out"));
    let through = client(([127, 0, 0, 1], https).into());
    exercise(&gateway, &through, &format!("https://{HOST}:{https}")).await;

    // Port 80 carries the push URLs (for an http:// URL in the console) and sends the rest to
    // HTTPS.
    let plain = client(([127, 0, 0, 1], http).into());
    let base = format!("http://{HOST}:{http}");
    let health = plain
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("GET");
    assert_eq!(health.status(), 301, "{}", proxy.log_text());
    let verify = plain
        .get(format!(
            "{base}/wechat/shop?{}",
            crate::gateway::signed_query("shop", "&echostr=over-http")
        ))
        .send()
        .await
        .expect("GET");
    assert_eq!(verify.status(), 200, "{}", proxy.log_text());
    assert_eq!(verify.text().await.expect("body"), "over-http");
}
