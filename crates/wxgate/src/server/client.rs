//! Who the client is: the connection's peer, or — when the peer is one of
//! `[server] trusted_proxies` — the rightmost address of its `X-Forwarded-For` (else
//! `Forwarded`) that is not a trusted proxy. The sign-in throttle counts by it and the
//! request's log lines carry it.
//!
//! A client can put anything in those headers, but a proxy appends the address it saw, so
//! walking from the right and stopping at the first untrusted hop never goes past what a
//! trusted proxy wrote. A hop that is not an address (`unknown`, a garbled value) stops the
//! walk at the nearest trusted hop: the client is then counted as that proxy, never as a
//! value it chose. `X-Forwarded-For` wins over `Forwarded` when both came: a proxy that sets
//! only `Forwarded` must remove a client's `X-Forwarded-For`.
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{HeaderMap, FORWARDED};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::config::{canonical, TrustedProxies};

/// The client's address, as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Middleware: find the client (the peer when the request did not come from a socket: the
/// unspecified address), keep it as a [`ClientAddr`] extension and run the request in a
/// `request{client}` span.
pub async fn identify(
    State(trusted): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let client = client_of(peer, req.headers(), &trusted);
    req.extensions_mut().insert(ClientAddr(client));
    let span = tracing::info_span!("request", client = %client);
    next.run(req).instrument(span).await
}

/// The client of a request from `peer` with `headers`.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    let xff = headers.get_all("x-forwarded-for");
    let hops: Vec<&str> = if xff.iter().next().is_some() {
        xff.iter()
            .flat_map(|v| v.to_str().unwrap_or("garbled").split(','))
            .collect()
    } else {
        headers
            .get_all(FORWARDED)
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("for=garbled").split(','))
            .filter_map(forwarded_for)
            .collect()
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(addr) = address(hop) else {
            return client;
        };
        client = addr;
        if !trusted.contains(addr) {
            return addr;
        }
    }
    client
}

/// The `for=` value of one `Forwarded` element (`for=192.0.2.1;proto=https`); an element
/// without one is not a hop.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// A hop as an address: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:80`.
fn address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>())
            .expect("valid")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let t = trusted(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "1.1.1.1"), ("forwarded", "for=2.2.2.2")]);
        assert_eq!(client_of(ip("203.0.113.9"), &h, &t), ip("203.0.113.9"));
        assert_eq!(client_of(ip("10.0.0.1"), &h, &trusted(&[])), ip("10.0.0.1"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let t = trusted(&["10.0.0.0/8", "127.0.0.1"]);
        let cases: &[(&[(&'static str, &str)], &str)] = &[
            (&[("x-forwarded-for", "198.51.100.7")], "198.51.100.7"),
            // a forged left part is ignored
            (
                &[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.1.1.1")],
                "198.51.100.7",
            ),
            // several header lines read as one list
            (
                &[
                    ("x-forwarded-for", "6.6.6.6"),
                    ("x-forwarded-for", "198.51.100.7"),
                ],
                "198.51.100.7",
            ),
            (&[("x-forwarded-for", "198.51.100.7:5555")], "198.51.100.7"),
            (&[("x-forwarded-for", "[2001:db8::7]:80")], "2001:db8::7"),
            (
                &[("forwarded", "for=198.51.100.7;proto=https")],
                "198.51.100.7",
            ),
            (
                &[("forwarded", "for=6.6.6.6, For=\"[2001:db8::7]:4711\"")],
                "2001:db8::7",
            ),
            // every hop trusted: the leftmost
            (&[("x-forwarded-for", "10.2.2.2, 10.1.1.1")], "10.2.2.2"),
            // not an address: the nearest trusted hop, never a chosen value
            (
                &[("x-forwarded-for", "6.6.6.6, unknown, 10.1.1.1")],
                "10.1.1.1",
            ),
            (&[("x-forwarded-for", "garbage")], "127.0.0.1"),
            (&[("forwarded", "for=_hidden")], "127.0.0.1"),
            // X-Forwarded-For wins over Forwarded
            (
                &[
                    ("forwarded", "for=6.6.6.6"),
                    ("x-forwarded-for", "198.51.100.7"),
                ],
                "198.51.100.7",
            ),
            (&[], "127.0.0.1"),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                client_of(ip("127.0.0.1"), &headers(pairs), &t),
                ip(expected),
                "{pairs:?}"
            );
        }
        assert_eq!(
            client_of(
                ip("::ffff:127.0.0.1"),
                &headers(&[("x-forwarded-for", "198.51.100.7")]),
                &t
            ),
            ip("198.51.100.7"),
            "an IPv4-mapped peer is its IPv4 address"
        );
    }
}
