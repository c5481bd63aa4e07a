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
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;

use crate::client::ApiClient;
use crate::config::ClientConfig;
use crate::error::ApiError;
use crate::token::fetch::parse_secret;
use crate::token::holder::{Fetched, Holder, Source};
use crate::token::{CachedToken, TokenStore};

/// The holder of one account's jsapi_ticket; one per [`ApiClient`] (clones share it).
pub struct JsapiTickets {
    holder: Holder,
}

impl fmt::Debug for JsapiTickets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsapiTickets")
            .field("appid", &self.holder.key())
            .finish_non_exhaustive()
    }
}

impl JsapiTickets {
    /// A holder for the account of `config`, keeping the ticket in `store`.
    pub(crate) fn new(config: &ClientConfig, store: Arc<dyn TokenStore>) -> Self {
        Self {
            holder: Holder::new(
                "jsapi_ticket",
                config.appid.clone(),
                config.holder_id.clone(),
                config.refresh_margin,
                store,
            ),
        }
    }

    /// A holder of the same account keeping its ticket in `store`.
    fn kept_in(&self, store: Arc<dyn TokenStore>) -> Self {
        Self {
            holder: self.holder.kept_in(store),
        }
    }

    /// The current ticket, fetched first (with `client`'s access token) if it is due.
    pub(crate) async fn get(&self, client: &ApiClient) -> Result<CachedToken, ApiError> {
        self.holder.get(&Getticket(client)).await
    }
}

/// The [`Source`] of a jsapi_ticket: `GET cgi-bin/ticket/getticket?type=jsapi` with the
/// account's token (a refused token is replaced and the call made once more).
struct Getticket<'a>(&'a ApiClient);

#[async_trait]
impl Source for Getticket<'_> {
    async fn fetch(&self, _failed: Option<&str>) -> Result<Fetched, ApiError> {
        let answer = self
            .0
            .authed(
                Method::GET,
                "cgi-bin/ticket/getticket",
                &[("type", "jsapi")],
                None,
            )
            .await?;
        crate::metrics::ticket_fetched();
        parse_secret(&answer, "ticket", "/cgi-bin/ticket/getticket")
    }
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
        let parse = |answer| parse_secret(&answer, "ticket", "/cgi-bin/ticket/getticket");
        let parsed =
            parse(json!({"errcode": 0, "errmsg": "ok", "ticket": "T1", "expires_in": 7200}));
        assert!(parsed
            .is_ok_and(|f| f.token.is("T1") && f.lifetime == std::time::Duration::from_secs(7200)));
        let err = parse(json!({"ticket": "leaky", "expires_in": "soon"})).err();
        let shown = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            shown.contains("expires_in") && !shown.contains("leaky"),
            "{shown}"
        );
    }
}
