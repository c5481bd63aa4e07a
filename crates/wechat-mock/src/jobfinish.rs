//! The `TEMPLATESENDJOBFINISH` push WeChat sends after a template message, sent to the
//! gateway's push URL as WeChat would: plain XML, `signature` = SHA-1 of the sorted Token,
//! timestamp and nonce (so the gateway must run in `plain` or `compatible` mode).

use std::time::Duration;

use rand::Rng;
use sha1::{Digest, Sha1};

/// Tries before giving up, as WeChat resends a push up to three times.
const ATTEMPTS: u32 = 4;

/// The push's XML.
fn xml(openid: &str, msgid: i64, status: &str, now: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_mock]]></ToUserName>\
         <FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{msgid}</MsgID>\
         <Status><![CDATA[{status}]]></Status></xml>"
    )
}

/// WeChat's `signature`: hex SHA-1 of the three strings sorted and joined.
fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat().as_bytes()))
}

/// Sends the push for `msgid` to `url` (shortly after the send was answered, as WeChat
/// does), retrying a failed delivery up to three times a second apart.
pub(crate) async fn send(url: String, token: String, openid: String, msgid: i64, status: String) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let now = chrono::Utc::now().timestamp();
    let body = xml(&openid, msgid, &status, now);
    let timestamp = now.to_string();
    let nonce = rand::thread_rng()
        .gen_range(100_000_000u64..999_999_999)
        .to_string();
    let signature = signature(&token, &timestamp, &nonce);
    let client = reqwest::Client::new();
    for attempt in 1..=ATTEMPTS {
        let answer = client
            .post(&url)
            .query(&[
                ("signature", signature.as_str()),
                ("timestamp", timestamp.as_str()),
                ("nonce", nonce.as_str()),
                ("openid", openid.as_str()),
            ])
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

    #[test]
    fn the_signature_is_sha1_of_the_sorted_parts() {
        // The example of the official page (token "token"), as in the spec vectors.
        let expected = hex::encode(Sha1::digest(b"1409304348nonce123token"));
        assert_eq!(signature("token", "1409304348", "nonce123"), expected);
        assert!(xml("o1", 7, "success", 1).contains("<MsgID>7</MsgID>"));
    }
}
