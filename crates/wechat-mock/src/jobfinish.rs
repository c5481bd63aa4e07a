//! The `TEMPLATESENDJOBFINISH` push WeChat sends after a template message, sent to the
//! gateway's push URL as WeChat would for the account's security mode: plain XML signed with
//! `signature` (SHA-1 of the sorted Token, timestamp and nonce); in compatible mode the same
//! XML plus `<Encrypt>`, in safe mode only the envelope, both with `encrypt_type=aes` and
//! `msg_signature` (protocol from `wechat-proto`).

use std::time::Duration;

use rand::Rng;
use wechat_proto::{msg_signature, render_push_envelope, signature, MessageCrypt};

/// The `ToUserName` of the pushes of a configured account.
pub(crate) const MOCK_USER_NAME: &str = "gh_mock";

/// Tries before giving up, as WeChat resends a push up to three times.
const ATTEMPTS: u32 = 4;

/// How WeChat sends an account's pushes: its message encryption mode in the admin console,
/// with its EncodingAESKey (and AppID) where it encrypts.
#[derive(Clone, Debug, Default)]
pub enum PushSecurity {
    /// 明文: plain XML, `signature` only
    #[default]
    Plain,
    /// 兼容: the plain XML plus `<Encrypt>`, `encrypt_type=aes` and `msg_signature`
    Compatible(MessageCrypt),
    /// 安全: only `<ToUserName>` and `<Encrypt>`, `encrypt_type=aes` and `msg_signature`
    Safe(MessageCrypt),
}

/// Where one push goes and how it is signed and wrapped.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// the gateway's push URL for the account
    pub(crate) url: String,
    /// the account's Token
    pub(crate) token: String,
    /// plain, compatible or safe
    pub(crate) security: PushSecurity,
    /// the account's gh_ id, the push's `ToUserName`
    pub(crate) to_user_name: String,
}

/// The push's XML.
fn xml(to_user_name: &str, openid: &str, msgid: i64, status: &str, now: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{to_user_name}]]></ToUserName>\
         <FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{msgid}</MsgID>\
         <Status><![CDATA[{status}]]></Status></xml>"
    )
}

/// The body and query of the push of `plain` (the XML), as `target` wants it.
fn wrap(
    target: &Target,
    plain: String,
    timestamp: &str,
    nonce: &str,
    random: [u8; 16],
) -> (String, Vec<(&'static str, String)>) {
    let mut query = vec![
        ("signature", signature(&target.token, timestamp, nonce)),
        ("timestamp", timestamp.to_owned()),
        ("nonce", nonce.to_owned()),
    ];
    let (body, encrypt) = match &target.security {
        PushSecurity::Plain => return (plain, query),
        PushSecurity::Compatible(crypt) => {
            let encrypt = crypt.encrypt(&plain, random);
            let body = plain.strip_suffix("</xml>").unwrap_or(&plain).to_owned()
                + "<Encrypt><![CDATA["
                + &encrypt
                + "]]></Encrypt></xml>";
            (body, encrypt)
        }
        PushSecurity::Safe(crypt) => {
            let encrypt = crypt.encrypt(&plain, random);
            (
                render_push_envelope(&target.to_user_name, &encrypt),
                encrypt,
            )
        }
    };
    query.push(("encrypt_type", "aes".to_owned()));
    query.push((
        "msg_signature",
        msg_signature(&target.token, timestamp, nonce, &encrypt),
    ));
    (body, query)
}

/// Sends the push for `msgid` to `target` (shortly after the send was answered, as WeChat
/// does), retrying a failed delivery up to three times a second apart.
pub(crate) async fn send(target: Target, openid: String, msgid: i64, status: String) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let now = chrono::Utc::now().timestamp();
    let timestamp = now.to_string();
    let (nonce, random) = {
        let mut rng = rand::thread_rng();
        (
            rng.gen_range(100_000_000u64..999_999_999).to_string(),
            rng.gen::<[u8; 16]>(),
        )
    };
    let plain = xml(&target.to_user_name, &openid, msgid, &status, now);
    let (body, mut query) = wrap(&target, plain, &timestamp, &nonce, random);
    query.push(("openid", openid));
    let client = reqwest::Client::new();
    for attempt in 1..=ATTEMPTS {
        let answer = client
            .post(&target.url)
            .query(&query)
            .header("content-type", "text/xml")
            .body(body.clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        match answer {
            Ok(response) if response.status().is_success() => return,
            Ok(response) => {
                tracing::warn!(msgid, status = %response.status(), attempt, "job-finish push refused")
            }
            Err(err) => {
                tracing::warn!(msgid, error = %err.without_url(), attempt, "job-finish push failed")
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wechat_proto::{parse_push_envelope, verify_msg_signature, EncodingAesKey};

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    fn target(security: PushSecurity) -> Target {
        Target {
            url: "http://127.0.0.1:1/wechat".to_owned(),
            token: "token".to_owned(),
            security,
            to_user_name: MOCK_USER_NAME.to_owned(),
        }
    }

    fn crypt() -> MessageCrypt {
        MessageCrypt::new(EncodingAesKey::parse(KEY).expect("key"), "wx_app")
    }

    fn get<'a>(query: &'a [(&str, String)], name: &str) -> Option<&'a str> {
        query
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn a_plain_push_is_the_xml_with_signature_only() {
        let plain = xml(MOCK_USER_NAME, "o1", 7, "success", 1);
        let (body, query) = wrap(
            &target(PushSecurity::Plain),
            plain.clone(),
            "1409304348",
            "nonce123",
            [0; 16],
        );
        assert_eq!(body, plain);
        assert_eq!(
            get(&query, "signature"),
            Some(signature("token", "1409304348", "nonce123").as_str())
        );
        assert_eq!(get(&query, "encrypt_type"), None);
        assert_eq!(get(&query, "msg_signature"), None);
    }

    #[test]
    fn safe_and_compatible_pushes_are_encrypted_and_msg_signed() {
        let plain = xml(MOCK_USER_NAME, "o1", 7, "success", 1);
        for (security, keeps_plain) in [
            (PushSecurity::Safe(crypt()), false),
            (PushSecurity::Compatible(crypt()), true),
        ] {
            let (body, query) = wrap(
                &target(security),
                plain.clone(),
                "1409304348",
                "n1",
                [9; 16],
            );
            assert_eq!(body.contains("<MsgID>7</MsgID>"), keeps_plain, "{body}");
            let envelope = parse_push_envelope(body.as_bytes()).expect("envelope");
            assert_eq!(get(&query, "encrypt_type"), Some("aes"));
            let signed = get(&query, "msg_signature").expect("msg_signature");
            verify_msg_signature("token", "1409304348", "n1", &envelope.encrypt, signed)
                .expect("msg_signature verifies");
            assert_eq!(crypt().decrypt(&envelope.encrypt).expect("decrypts"), plain);
        }
    }
}
