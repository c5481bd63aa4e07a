//! [`NetError`]: a failed HTTP request that says why in a few words ("connection refused",
//! "timed out after 3000 ms") instead of reqwest's "error sending request", its URL removed.
//!
//! Shared with the gateway's webhooks, which use the same HTTP client crate.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

/// Why a request failed, in words a log reader can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetCause {
    /// Nothing listens at the address (`ECONNREFUSED`).
    Refused,
    /// The peer closed or reset the connection (`ECONNRESET`, `ECONNABORTED`, `EPIPE`).
    Reset,
    /// No answer within the limit (connect or whole request).
    TimedOut(Duration),
    /// The connection could not be made for another reason (DNS, TLS, unreachable): the
    /// innermost cause's text.
    Connect(String),
    /// The answer's body could not be read: the innermost cause's text.
    Body(String),
    /// Anything else: the innermost cause's text.
    Other(String),
}

impl fmt::Display for NetCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetCause::Refused => f.write_str("connection refused"),
            NetCause::Reset => f.write_str("connection reset by the peer"),
            NetCause::TimedOut(limit) => write!(f, "timed out after {} ms", limit.as_millis()),
            NetCause::Connect(why) => write!(f, "could not connect: {why}"),
            NetCause::Body(why) => write!(f, "reading the answer failed: {why}"),
            NetCause::Other(why) => write!(f, "request failed: {why}"),
        }
    }
}

/// A request that failed before an HTTP answer was read. Its `Display` is the [`NetCause`];
/// the reqwest error (without its URL, which may hold credentials) is the `source`.
#[derive(Debug, thiserror::Error)]
#[error("{cause}")]
pub struct NetError {
    cause: NetCause,
    #[source]
    source: reqwest::Error,
}

impl NetError {
    /// Classify `err`, a request sent with `connect_timeout` to connect and `timeout` for
    /// the whole exchange (they name the limit in "timed out after N ms").
    pub fn new(err: reqwest::Error, connect_timeout: Duration, timeout: Duration) -> Self {
        let err = err.without_url();
        let cause = classify(&err, connect_timeout, timeout);
        NetError { cause, source: err }
    }

    /// Why the request failed.
    pub fn cause(&self) -> &NetCause {
        &self.cause
    }
}

fn classify(err: &reqwest::Error, connect_timeout: Duration, timeout: Duration) -> NetCause {
    if let Some(io) = io_error(err) {
        match io.kind() {
            io::ErrorKind::ConnectionRefused => return NetCause::Refused,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => return NetCause::Reset,
            io::ErrorKind::TimedOut if err.is_connect() => {
                return NetCause::TimedOut(connect_timeout)
            }
            _ => {}
        }
    }
    if err.is_timeout() {
        // reqwest reports a connect timeout as a connect error with a timeout inside
        let limit = if err.is_connect() {
            connect_timeout.min(timeout)
        } else {
            timeout
        };
        return NetCause::TimedOut(limit);
    }
    let why = innermost(err);
    if err.is_connect() {
        NetCause::Connect(why)
    } else if err.is_body() || err.is_decode() {
        NetCause::Body(why)
    } else {
        NetCause::Other(why)
    }
}

/// The first `std::io::Error` in `err`'s chain.
fn io_error(err: &reqwest::Error) -> Option<&io::Error> {
    let mut next: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io);
        }
        next = e.source();
    }
    None
}

/// The text of the deepest error in the chain (the most specific one).
fn innermost(err: &reqwest::Error) -> String {
    let mut last: &(dyn StdError + 'static) = err;
    while let Some(e) = last.source() {
        last = e;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_read_as_a_person_would_say_them() {
        assert_eq!(NetCause::Refused.to_string(), "connection refused");
        assert_eq!(
            NetCause::TimedOut(Duration::from_millis(3000)).to_string(),
            "timed out after 3000 ms"
        );
        assert_eq!(
            NetCause::Connect("dns error".into()).to_string(),
            "could not connect: dns error"
        );
    }
}
