//! A gateway with two accounts on 127.0.0.1:0 (in process, `Application::build`), the mock
//! WeChat API serving both appids, and pushes signed (and for `two` encrypted) as WeChat would.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use wechat_mock::{MockConfig, MockServer, MockState, PushAccount, PushSecurity};
use wechat_proto::{
    msg_signature, open_reply_envelope, render_push_envelope, signature, EncodingAesKey,
    MessageCrypt,
};

pub const ADMIN: &str = "test-admin-token";
pub const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// One configured account as the tests sign for it.
#[derive(Clone)]
pub struct Account {
    pub name: &'static str,
    pub appid: &'static str,
    pub secret: &'static str,
    pub token: &'static str,
    /// Some for a safe-mode account
    pub crypt: Option<MessageCrypt>,
}

/// `one`: plain mode.
pub fn one() -> Account {
    Account {
        name: "one",
        appid: "wx1111111111111111",
        secret: "11111111111111111111111111111111",
        token: "tokenone",
        crypt: None,
    }
}

/// `two`: safe mode.
pub fn two() -> Account {
    Account {
        name: "two",
        appid: "wx2222222222222222",
        secret: "22222222222222222222222222222222",
        token: "tokentwo",
        crypt: Some(MessageCrypt::new(
            EncodingAesKey::parse(KEY).expect("key"),
            "wx2222222222222222".to_string(),
        )),
    }
}

/// A running gateway with two accounts and the mock API behind it (kept running with it).
pub struct Gateway {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    gateway: crate::spawn::App,
    _dir: TempDir,
}

/// The config of the two accounts; `extra` is appended (rules, webhooks).
pub fn two_accounts_toml(db: &std::path::Path, base_url: &str, extra: &str) -> String {
    let (a, b) = (one(), two());
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npath = \"/wechat\"\n\
         [[accounts]]\nname = \"{}\"\nappid = \"{}\"\nappsecret = \"{}\"\ntoken = \"{}\"\n\
         [[accounts]]\nname = \"{}\"\nappid = \"{}\"\nappsecret = \"{}\"\ntoken = \"{}\"\n\
         security = \"safe\"\nencoding_aes_key = \"{KEY}\"\n\
         [storage]\nurl = \"sqlite://{}\"\n[admin]\ntoken = \"{ADMIN}\"\n\
         [wechat_api]\nbase_url = \"{base_url}\"\n{extra}\n",
        a.name,
        a.appid,
        a.secret,
        a.token,
        b.name,
        b.appid,
        b.secret,
        b.token,
        db.display()
    )
}

impl Gateway {
    /// Two accounts, with `extra` config.
    pub async fn start(extra: &str) -> Gateway {
        let b = two();
        let mock = MockServer::spawn(MockConfig {
            appid: one().appid.into(),
            appsecret: one().secret.into(),
            more_apps: vec![(b.appid.into(), b.secret.into())],
            // Job-finish pushes (once a test sets `push_to`) go to `push_to/{name}`.
            push_accounts: [one(), b]
                .into_iter()
                .map(|a| {
                    let route = PushAccount {
                        name: a.name.into(),
                        token: a.token.into(),
                        security: a.crypt.map_or(PushSecurity::Plain, PushSecurity::Safe),
                    };
                    (a.appid.to_string(), route)
                })
                .collect(),
            ..MockConfig::default()
        })
        .await
        .expect("mock starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let text = two_accounts_toml(&dir.path().join("wx.db"), &mock.base_url(), extra);
        Gateway::start_with(dir, &text, mock).await
    }

    /// A gateway on the config `text` in `dir`.
    pub async fn start_with(dir: TempDir, text: &str, mock: MockServer) -> Gateway {
        let config = crate::spawn::config(text, dir.path());
        let gateway = crate::spawn::Spawn::new(config).mock(mock).start().await;
        Gateway {
            addr: gateway.addr,
            http: reqwest::Client::new(),
            gateway,
            _dir: dir,
        }
    }

    /// The mock WeChat API's base URL.
    pub fn mock_url(&self) -> String {
        self.gateway.mock().base_url()
    }

    /// The mock WeChat API's state, to steer it.
    pub fn mock_state(&self) -> &MockState {
        &self.gateway.mock().state
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signs `xml` as WeChat would for `signer` (encrypted when it is a safe account) and POSTs
    /// it to `path`; (status, the reply — decrypted — or the answer text).
    pub async fn push_as(&self, signer: &Account, path: &str, xml: &str) -> (StatusCode, String) {
        let (ts, nonce) = (crate::pushes::now().to_string(), fresh());
        let mut query = format!(
            "signature={}&timestamp={ts}&nonce={nonce}",
            signature(signer.token, &ts, &nonce)
        );
        let body = match &signer.crypt {
            None => xml.to_string(),
            Some(crypt) => {
                let encrypt = crypt.encrypt(xml, [7u8; 16]);
                query.push_str(&format!(
                    "&encrypt_type=aes&msg_signature={}",
                    msg_signature(signer.token, &ts, &nonce, &encrypt)
                ));
                render_push_envelope(crate::pushes::GH, &encrypt)
            }
        };
        let resp = self
            .http
            .post(format!("{}?{query}", self.url(path)))
            .body(body)
            .send()
            .await
            .expect("POST push");
        let status = resp.status();
        let text = resp.text().await.expect("answer");
        let shown = match &signer.crypt {
            Some(crypt) if status == StatusCode::OK && text != "success" => {
                open_reply_envelope(crypt, signer.token, text.as_bytes()).expect("reply opens")
            }
            _ => text,
        };
        (status, shown)
    }

    /// A push to the account's own path.
    pub async fn push(&self, account: &Account, xml: &str) -> (StatusCode, String) {
        self.push_as(account, &format!("/wechat/{}", account.name), xml)
            .await
    }

    /// URL verification of `path` signed with `token`.
    pub async fn verify(&self, path: &str, token: &str) -> StatusCode {
        let (ts, nonce) = (crate::pushes::now().to_string(), fresh());
        let query = format!(
            "signature={}&timestamp={ts}&nonce={nonce}&echostr=hello",
            signature(token, &ts, &nonce)
        );
        self.http
            .get(format!("{}?{query}", self.url(path)))
            .send()
            .await
            .expect("GET")
            .status()
    }

    /// An admin API call: [`App::api`](crate::spawn::App::api).
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.gateway.api(method, path, body).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.api(Method::GET, path, None).await
    }

    /// Stops the gateway (drains, closes the store).
    pub async fn stop(self) {
        self.gateway.stop().await;
    }
}

static NONCE: AtomicU64 = AtomicU64::new(1);

/// A nonce never used before in this process.
pub fn fresh() -> String {
    format!(
        "{}{:06}",
        std::process::id(),
        NONCE.fetch_add(1, Ordering::Relaxed)
    )
}
