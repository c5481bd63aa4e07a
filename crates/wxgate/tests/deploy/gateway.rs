//! A gateway in process (two accounts, an admin token, a rule) and what a proxy in front of it
//! must pass through: the same requests sent directly and through the proxy.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The host name the examples serve.
pub const HOST: &str = "wx.example.com";
pub const ADMIN_TOKEN: &str = "deploy-test-admin-token";
/// The accounts' Tokens (`one`, `shop`).
pub const TOKENS: [(&str, &str); 2] = [("one", "tokenone"), ("shop", "tokenshop")];

/// A running gateway (stopped when dropped).
pub struct Gateway {
    pub addr: SocketAddr,
    _gateway: crate::spawn::App,
    _dir: TempDir,
}

impl Gateway {
    pub async fn start() -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\nurl = \"sqlite://{}\"\n\
             [admin]\ntoken = \"{ADMIN_TOKEN}\"\n\
             [[rules]]\nwhen = {{ event = \"subscribe\" }}\nreply = {{ text = \"Welcome through the proxy\" }}\n",
            dir.path().join("wx.db").display()
        );
        for (name, token) in TOKENS {
            text.push_str(&format!(
                "[[accounts]]\nname = \"{name}\"\ntoken = \"{token}\"\n"
            ));
        }
        let gateway = crate::spawn::spawn_app(crate::spawn::config(&text, dir.path())).await;
        Gateway {
            addr: gateway.addr,
            _gateway: gateway,
            _dir: dir,
        }
    }
}

/// A proxy process, killed on drop.
pub struct Proxy {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// Start `command` and wait (bounded) until `port` on 127.0.0.1 accepts connections;
    /// its output goes to `log`, shown when it does not come up.
    pub fn start(name: &'static str, mut command: Command, port: u16, log: &Path) -> Proxy {
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut proxy = Proxy {
            child,
            name,
            log: log.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = proxy.child.try_wait() {
                panic!("{name} exited ({status}): {}", proxy.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not listen on {port} within 20 s: {}",
                proxy.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        proxy
    }

    /// What it logged.
    pub fn log_text(&self) -> String {
        format!(
            "{}: {}",
            self.name,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        )
    }
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// `text` with each `(from, to)` replaced; every `from` must occur, so an example that
/// changes shape fails here rather than being tested half.
pub fn derive(text: &str, replacements: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (from, to) in replacements {
        assert!(out.contains(from), "the example no longer holds {from:?}");
        out = out.replace(from, to);
    }
    out
}

/// A self-signed certificate for [`HOST`] made with `openssl` in `dir`: (cert, key).
pub fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let openssl = crate::tools::on_path("openssl", &["/usr/bin/openssl"])
        .unwrap_or_else(|| crate::tools::missing("openssl (Debian: openssl)"));
    let out = Command::new(openssl)
        .args(["req", "-x509", "-nodes", "-days", "2", "-newkey", "ec"])
        .args(["-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args(["-subj", &format!("/CN={HOST}")])
        .args(["-addext", &format!("subjectAltName=DNS:{HOST}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

/// A client that reaches [`HOST`] at `addr` (TLS accepted as is: the certificate is made up).
pub fn client(addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .resolve(HOST, addr)
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// An answer: status, content type, body.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.text().await.expect("body");
    Answer {
        status,
        content_type,
        body,
    }
}

/// A signed query for account `name`'s Token.
pub fn signed_query(name: &str, extra: &str) -> String {
    let token = TOKENS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .expect("an account of the test");
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let nonce = format!("{}", rand::random::<u32>());
    let signature = wechat_proto::signature(token, &timestamp, &nonce);
    format!("signature={signature}&timestamp={timestamp}&nonce={nonce}{extra}")
}

fn subscribe_xml(openid: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
         <FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>",
        chrono::Utc::now().timestamp()
    )
}

/// Every kind of path the gateway serves, through the proxy at `base` (`https://HOST:PORT`
/// or `http://HOST:PORT`, reached by `client`), checked against the gateway's own answers.
pub async fn exercise(gateway: &Gateway, client: &reqwest::Client, base: &str) {
    let what = |path: &str| format!("{base}{path}");
    // Health.
    let health = send(client.get(what("/healthz"))).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"), "{base}");

    // URL verification and a signed push at an account's own push URL, /wechat/{name}.
    for (name, _) in TOKENS {
        let query = signed_query(name, "&echostr=through-the-proxy");
        let check = send(client.get(what(&format!("/wechat/{name}?{query}")))).await;
        assert_eq!(
            (check.status, check.body.as_str()),
            (200, "through-the-proxy"),
            "{base} /wechat/{name}"
        );
        let openid = format!("oDeploy{name}{}", rand::random::<u32>());
        let push = send(
            client
                .post(what(&format!("/wechat/{name}?{}", signed_query(name, ""))))
                .body(subscribe_xml(&openid)),
        )
        .await;
        assert_eq!(push.status, 200, "{base} push to {name}: {push:?}");
        assert!(
            push.body.contains("Welcome through the proxy"),
            "{base} push to {name}: {push:?}"
        );
    }

    // The admin API and the dashboard, from an allowed address (127.0.0.1).
    let accounts = send(client.get(what("/api/accounts")).bearer_auth(ADMIN_TOKEN)).await;
    assert_eq!(accounts.status, 200, "{base} /api/accounts: {accounts:?}");
    let accounts: serde_json::Value = serde_json::from_str(&accounts.body).expect("JSON");
    assert_eq!(accounts["accounts"].as_array().map(Vec::len), Some(2));
    let dashboard = send(client.get(what("/admin"))).await;
    assert_eq!(dashboard.status, 200, "{base} /admin");
    assert!(dashboard.body.contains("<html"), "{base} /admin");

    // Paths the proxy must pass on whatever the gateway makes of them (the platform's and
    // the sign-in pages' among them): the proxy answers exactly what the gateway answers.
    let direct = reqwest::Client::new();
    for path in [
        "/wechat/open",
        "/wechat/open/wx0123456789abcdef",
        "/oauth/one/authorize?redirect=https%3A%2F%2Fshop.example.com%2F&scope=base",
        "/oauth/one/callback?code=c&state=s",
        "/api/openapi.json",
        "/metrics",
    ] {
        let through = send(client.get(what(path))).await;
        let own = send(direct.get(format!("http://{}{path}", gateway.addr))).await;
        if path == "/metrics" {
            // The counters moved between the two reads: the status and type tell.
            assert_eq!(
                (through.status, &through.content_type),
                (own.status, &own.content_type),
                "{base}{path}"
            );
        } else {
            assert_eq!(
                through, own,
                "{base}{path}: the proxy's answer is not the gateway's"
            );
        }
    }
}
