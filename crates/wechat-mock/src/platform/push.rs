//! The platform's pushes, as WeChat sends them: encrypted with the platform's key (the
//! envelope's appid is the component_appid), `encrypt_type=aes`, `msg_signature` and
//! `signature` signed with the platform's Token. Platform events go to `{push_to}/open` in
//! the envelope `<xml><AppId/><Encrypt/></xml>`; an account's pushes to
//! `{push_to}/open/{appid}` in `<xml><ToUserName/><Encrypt/></xml>`.

use std::time::Duration;

use tokio::time::Instant;

use rand::Rng;
use wechat_proto::{
    msg_signature, render_platform_envelope, render_push_envelope, signature, PlatformEvent,
};

use super::{authorizer_user_name, Platform};
use crate::state::MockState;

/// How long to wait before pushing a ticket the gateway did not take again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Failed tries of one ticket push that are logged (the rest are retried quietly).
const TICKET_WARNINGS: u32 = 3;

/// One push, ready to send.
struct Sealed {
    body: String,
    query: Vec<(&'static str, String)>,
}

/// Encrypts `plain` with the platform's keys; `to_user_name` None: a platform event's
/// envelope (`AppId`), else an account push's (`ToUserName`).
fn seal(platform: &Platform, plain: &str, to_user_name: Option<&str>) -> Sealed {
    let now = chrono::Utc::now().timestamp().to_string();
    let (nonce, random) = {
        let mut rng = rand::thread_rng();
        (
            rng.gen_range(100_000_000u64..999_999_999).to_string(),
            rng.gen::<[u8; 16]>(),
        )
    };
    let encrypt = platform.crypt().encrypt(plain, random);
    let body = match to_user_name {
        None => render_platform_envelope(&platform.component_appid, &encrypt),
        Some(to) => render_push_envelope(to, &encrypt),
    };
    let query = vec![
        ("signature", signature(&platform.token, &now, &nonce)),
        ("timestamp", now.clone()),
        ("nonce", nonce.clone()),
        ("encrypt_type", "aes".to_owned()),
        (
            "msg_signature",
            msg_signature(&platform.token, &now, &nonce, &encrypt),
        ),
    ];
    Sealed { body, query }
}

/// POSTs `sealed` to `url`: the gateway's status and body.
async fn post(url: &str, sealed: &Sealed) -> Result<(u16, String), String> {
    let response = reqwest::Client::new()
        .post(url)
        .query(&sealed.query)
        .header("content-type", "text/xml")
        .body(sealed.body.clone())
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|err| err.without_url().to_string())?;
    let status = response.status().as_u16();
    let body = response
        .text()
        .await
        .map_err(|err| err.without_url().to_string())?;
    Ok((status, body))
}

impl MockState {
    /// Sends a platform event to `{push_to}/open`, once: the gateway's HTTP status, or None
    /// when there is nowhere to push or it could not be reached.
    pub(crate) async fn push_event(&self, event: &PlatformEvent) -> Option<u16> {
        let platform = self.config().platform.as_ref()?;
        let url = format!("{}/open", self.platform_push_to()?.trim_end_matches('/'));
        let plain = event.render(chrono::Utc::now().timestamp());
        match post(&url, &seal(platform, &plain, None)).await {
            Ok((status, _)) => Some(status),
            Err(error) => {
                tracing::warn!(info_type = event.info_type(), %error, "platform push failed");
                None
            }
        }
    }

    /// Sends `plain` (a decrypted push's XML) as WeChat sends an authorised account's pushes:
    /// encrypted with the platform's keys, addressed to the account's gh_ id, to
    /// `{push_to}/open/{appid}`. The gateway's status and body (a passive reply stays sealed:
    /// open it with `wechat_proto::open_reply_envelope` and the platform's keys); Err when
    /// there is no platform or push URL, or the gateway could not be reached.
    pub async fn send_account_push(
        &self,
        appid: &str,
        plain: &str,
    ) -> Result<(u16, String), String> {
        let platform = self
            .config()
            .platform
            .as_ref()
            .ok_or("the mock has no platform")?;
        let push_to = self.platform_push_to().ok_or("no push URL")?;
        let url = format!("{}/open/{appid}", push_to.trim_end_matches('/'));
        let sealed = seal(platform, plain, Some(&authorizer_user_name(appid)));
        post(&url, &sealed).await
    }
}

impl MockState {
    /// Issues a new ticket and pushes it to `{push_to}/open` once, as WeChat does every 10
    /// minutes: the gateway's HTTP status, or None when there is nowhere to push (no ticket is
    /// issued then) or it could not be reached.
    pub async fn push_ticket(&self) -> Option<u16> {
        let event = self.ticket_event()?;
        self.push_event(&event).await
    }

    /// A new ticket's event, if there is a platform and somewhere to push it.
    fn ticket_event(&self) -> Option<PlatformEvent> {
        let platform = self.config().platform.as_ref()?;
        self.platform_push_to()?;
        Some(PlatformEvent::VerifyTicket {
            appid: platform.component_appid.clone(),
            create_time: chrono::Utc::now().timestamp(),
            ticket: self.issue_ticket(),
        })
    }
}

/// One round: a new ticket pushed, the same push retried every second until the gateway takes
/// it or `until` (so a gateway started after the mock still gets the first ticket).
async fn ticket_round(state: &MockState, until: Instant) {
    let Some(event) = state.ticket_event() else {
        return;
    };
    let mut attempt = 1u32;
    loop {
        let status = state.push_event(&event).await;
        if status == Some(200) {
            return;
        }
        if attempt <= TICKET_WARNINGS {
            tracing::warn!(
                ?status,
                attempt,
                "ticket push not taken; retrying every second"
            );
        }
        attempt += 1;
        if Instant::now() + RETRY_AFTER >= until {
            return;
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

/// `api_start_push_ticket`: a round now, retried for at most a minute.
pub(crate) async fn push_ticket(state: MockState) {
    ticket_round(&state, Instant::now() + Duration::from_secs(60)).await;
}

/// A ticket round at once and every `ticket_interval` (nothing without a platform).
pub(crate) async fn ticket_pushes(state: MockState) {
    let Some(interval) = state.config().platform.as_ref().map(|p| p.ticket_interval) else {
        return;
    };
    let interval = interval.max(Duration::from_millis(10));
    loop {
        let next = Instant::now() + interval;
        ticket_round(&state, next).await;
        tokio::time::sleep_until(next).await;
    }
}
