//! [`JsapiTickets`]: the account's one central jsapi_ticket (JS-SDK), held like the access
//! token (see [`AccessTokens`](crate::AccessTokens)):
//!
//! - served from memory while fresh; refreshed when less than the margin remains (at most
//!   half its life); a caller that finds it due but still valid refreshes it while the others
//!   keep using the old one;
//! - single-flight: one `getticket` at a time in the process, however many callers wait;
//! - kept in a [`TokenStore`] of its own (one row per appid), read before asking WeChat, so a
//!   restart or a second instance reuses it; across instances a lease lets one of them fetch
//!   while the others wait for the row to change;
//! - fetched through the client's authenticated call: a `getticket` answered 40001/42001
//!   expires that access token (compare-and-expire), takes a new one and asks again.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::client::ApiClient;
use crate::config::ClientConfig;
use crate::error::ApiError;
use crate::token::{CachedToken, TokenStore};

/// How long a fetch lease lasts if its holder dies without releasing it.
const LEASE_TTL: Duration = Duration::from_secs(30);
/// How long to wait for another instance's fetch before fetching anyway.
const LEASE_WAIT: Duration = Duration::from_secs(5);
/// How often to look at the store while waiting for another instance.
const LEASE_POLL: Duration = Duration::from_millis(100);

/// The ticket in memory and when to refresh it.
#[derive(Clone)]
struct Held {
    ticket: CachedToken,
    refresh_after: DateTime<Utc>,
}

/// The holder of one account's jsapi_ticket; one per [`ApiClient`] (clones share it).
pub struct JsapiTickets {
    appid: String,
    holder_id: String,
    margin: Duration,
    store: Arc<dyn TokenStore>,
    held: RwLock<Option<Held>>,
    refresh: Mutex<()>,
}

impl fmt::Debug for JsapiTickets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsapiTickets")
            .field("appid", &self.appid)
            .field("holder_id", &self.holder_id)
            .finish_non_exhaustive()
    }
}

impl JsapiTickets {
    /// A holder for the account of `config`, keeping the ticket in `store`.
    pub(crate) fn new(config: &ClientConfig, store: Arc<dyn TokenStore>) -> Self {
        Self {
            appid: config.appid.clone(),
            holder_id: config.holder_id.clone(),
            margin: config.refresh_margin,
            store,
            held: RwLock::new(None),
            refresh: Mutex::new(()),
        }
    }

    /// A holder of the same account keeping its ticket in `store`.
    fn kept_in(&self, store: Arc<dyn TokenStore>) -> Self {
        Self {
            appid: self.appid.clone(),
            holder_id: self.holder_id.clone(),
            margin: self.margin,
            store,
            held: RwLock::new(None),
            refresh: Mutex::new(()),
        }
    }

    /// The current ticket, fetched first (with `client`'s access token) if it is due.
    pub(crate) async fn get(&self, client: &ApiClient) -> Result<CachedToken, ApiError> {
        if let Some(held) = self.held() {
            let now = Utc::now();
            if now < held.refresh_after {
                return Ok(held.ticket);
            }
            if held.ticket.is_valid_at(now) {
                // Due but still valid: one caller fetches, the others keep the old ticket.
                let Ok(_fetching) = self.refresh.try_lock() else {
                    return Ok(held.ticket);
                };
                return match self.refresh_locked(client).await {
                    Ok(ticket) => Ok(ticket),
                    Err(err) => {
                        tracing::warn!(appid = %self.appid, error = %err, "jsapi_ticket refresh failed; old ticket still valid");
                        Ok(held.ticket)
                    }
                };
            }
        }
        let _fetching = self.refresh.lock().await;
        self.refresh_locked(client).await
    }

    fn held(&self) -> Option<Held> {
        self.held
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn hold(&self, ticket: CachedToken, refresh_after: DateTime<Utc>) -> CachedToken {
        *self
            .held
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Held {
            ticket: ticket.clone(),
            refresh_after,
        });
        ticket
    }

    /// With the fetch lock held: the ticket in memory if a fetch happened meanwhile, else the
    /// store's if fresh, else a new one from WeChat (under the store's lease).
    async fn refresh_locked(&self, client: &ApiClient) -> Result<CachedToken, ApiError> {
        if let Some(held) = self.held().filter(|h| Utc::now() < h.refresh_after) {
            return Ok(held.ticket);
        }
        if let Some(ticket) = self.adopt_stored().await {
            return Ok(ticket);
        }
        let leased = match self
            .store
            .try_lease(&self.appid, &self.holder_id, LEASE_TTL)
            .await
        {
            Ok(leased) => leased,
            Err(err) => {
                tracing::warn!(appid = %self.appid, error = %err, "ticket store: lease failed; fetching anyway");
                true
            }
        };
        if leased {
            // Another instance may have saved a ticket between our look and our lease.
            if let Some(ticket) = self.adopt_stored().await {
                self.release().await;
                return Ok(ticket);
            }
        } else {
            let deadline = Instant::now() + LEASE_WAIT;
            while Instant::now() < deadline {
                tokio::time::sleep(LEASE_POLL).await;
                if let Some(ticket) = self.adopt_stored().await {
                    return Ok(ticket);
                }
            }
            tracing::warn!(appid = %self.appid, "ticket lease holder too slow; fetching anyway");
        }
        let fetched = fetch(client).await;
        // Saved before the lease is given back: the next instance finds it instead of
        // fetching another.
        if let Ok((ticket, _)) = &fetched {
            if let Err(err) = self.store.save(&self.appid, ticket).await {
                tracing::warn!(appid = %self.appid, error = %err, "ticket store: save failed");
            }
        }
        if leased {
            self.release().await;
        }
        let (ticket, lifetime) = fetched?;
        let early = self.margin.min(lifetime / 2);
        let refresh_after = ticket.expires_at
            - chrono::Duration::from_std(early).unwrap_or(chrono::Duration::zero());
        tracing::info!(appid = %self.appid, expires_at = %ticket.expires_at, "jsapi_ticket fetched");
        Ok(self.hold(ticket, refresh_after))
    }

    async fn release(&self) {
        if let Err(err) = self.store.release_lease(&self.appid, &self.holder_id).await {
            tracing::warn!(appid = %self.appid, error = %err, "ticket store: lease release failed");
        }
    }

    /// The stored ticket, taken into memory, if it is not due for refresh.
    async fn adopt_stored(&self) -> Option<CachedToken> {
        let stored = match self.store.load(&self.appid).await {
            Ok(stored) => stored?,
            Err(err) => {
                tracing::warn!(appid = %self.appid, error = %err, "ticket store: load failed");
                return None;
            }
        };
        let margin = chrono::Duration::from_std(self.margin).unwrap_or(chrono::Duration::MAX);
        let refresh_after = stored.expires_at.checked_sub_signed(margin)?;
        if Utc::now() >= refresh_after {
            return None;
        }
        Some(self.hold(stored, refresh_after))
    }
}

/// `GET cgi-bin/ticket/getticket?type=jsapi` with the account's token: the ticket and how
/// long WeChat said it lives.
async fn fetch(client: &ApiClient) -> Result<(CachedToken, Duration), ApiError> {
    let answer = client
        .authed(
            Method::GET,
            "cgi-bin/ticket/getticket",
            &[("type", "jsapi")],
            None,
        )
        .await?;
    crate::metrics::ticket_fetched();
    parse(&answer)
}

/// Reads `ticket` and `expires_in`; errors name the field only, never its value.
fn parse(answer: &Value) -> Result<(CachedToken, Duration), ApiError> {
    let decode = |reason: &str| ApiError::Decode {
        path: "/cgi-bin/ticket/getticket".to_owned(),
        reason: reason.to_owned(),
        source: None,
    };
    let ticket = answer
        .get("ticket")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| decode("no ticket"))?;
    let seconds = answer
        .get("expires_in")
        .and_then(Value::as_u64)
        .filter(|&s| s > 0)
        .ok_or_else(|| decode("no expires_in"))?;
    let lifetime = Duration::from_secs(seconds);
    let expires_at = Utc::now()
        + chrono::Duration::from_std(lifetime).map_err(|_| decode("expires_in too large"))?;
    Ok((
        CachedToken {
            token: SecretString::from(ticket),
            expires_at,
        },
        lifetime,
    ))
}

impl ApiClient {
    /// The account's central jsapi_ticket and its expiry (fetched first if due), for the
    /// JS-SDK signature and `GET /api/jssdk/ticket`.
    pub async fn jsapi_ticket(&self) -> Result<CachedToken, ApiError> {
        self.tickets.get(self).await
    }

    /// The same client keeping its jsapi_ticket in `store` (one row per appid) instead of
    /// process memory, so a restart or another instance reuses it.
    pub fn with_ticket_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.tickets = Arc::new(self.tickets.kept_in(store));
        self
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parse_reads_ticket_and_lifetime_without_echoing_it() {
        let parsed =
            parse(&json!({"errcode": 0, "errmsg": "ok", "ticket": "T1", "expires_in": 7200}));
        assert!(parsed.is_ok_and(|(t, life)| t.is("T1") && life == Duration::from_secs(7200)));
        let err = parse(&json!({"ticket": "leaky", "expires_in": "soon"})).err();
        let shown = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            shown.contains("expires_in") && !shown.contains("leaky"),
            "{shown}"
        );
    }
}
