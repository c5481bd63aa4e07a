//! Every metric this crate counts, by name. Counting goes through the [`metrics`]
//! facade: without a recorder installed by the application it does nothing.
//!
//! The rest of the crate calls the functions here and never names a metric. The names start
//! with `wxgate_` because the gateway is the application that exports them.

/// Counter: access tokens fetched from WeChat (by this process).
pub const TOKEN_REFRESHES: &str = "wxgate_token_refreshes_total";

/// Counter: calls retried once after WeChat refused the access token (40001, 40014, 42001).
pub const TOKEN_RETRIES: &str = "wxgate_token_retries_total";

/// Counter: jsapi tickets fetched from WeChat (`ticket/getticket`, by this process).
pub const TICKET_FETCHES: &str = "wxgate_jsapi_ticket_fetches_total";

/// Every metric name above, for an application that documents or pre-registers them.
pub const ALL: &[&str] = &[TOKEN_REFRESHES, TOKEN_RETRIES, TICKET_FETCHES];

/// [`TOKEN_REFRESHES`] + 1.
pub(crate) fn token_refreshed() {
    ::metrics::counter!(TOKEN_REFRESHES).increment(1);
}

/// [`TOKEN_RETRIES`] + 1.
pub(crate) fn token_retried() {
    ::metrics::counter!(TOKEN_RETRIES).increment(1);
}

/// [`TICKET_FETCHES`] + 1.
pub(crate) fn ticket_fetched() {
    ::metrics::counter!(TICKET_FETCHES).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names are part of the gateway's `/metrics` contract: renaming one is a breaking
    /// change for dashboards, so it must show up here.
    #[test]
    fn names_are_the_published_ones() {
        assert_eq!(
            ALL,
            [
                "wxgate_token_refreshes_total",
                "wxgate_token_retries_total",
                "wxgate_jsapi_ticket_fetches_total"
            ]
        );
    }
}
