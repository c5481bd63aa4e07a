//! `[server] trusted_proxies`: the reverse proxies whose `X-Forwarded-For` / `Forwarded` the
//! gateway believes, as addresses or CIDR blocks (the `ipnet` crate parses them).
use std::net::IpAddr;

use ipnet::IpNet;

use super::ConfigError;

/// The trusted proxies; empty (the default) trusts no forwarded header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// Parse each entry, an address (`127.0.0.1`, `::1`) or a CIDR block (`10.0.0.0/8`);
    /// a bad one is an error naming `server.trusted_proxies[i]`.
    pub fn parse(entries: &[String]) -> Result<Self, ConfigError> {
        let nets = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let text = entry.trim();
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        ConfigError::new(
                            format!("server.trusted_proxies[{i}]"),
                            format!(
                                "{entry:?} is not an IP address or a CIDR block like 10.0.0.0/8"
                            ),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { nets })
    }

    /// Whether `addr` is one of them (an IPv4-mapped IPv6 address counts as its IPv4 one).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.nets.iter().any(|net| net.contains(&addr))
    }

    /// Whether none is trusted.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }
}

/// `::ffff:a.b.c.d` as `a.b.c.d` (a dual-stack socket shows IPv4 peers so).
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[&str]) -> Result<TrustedProxies, ConfigError> {
        TrustedProxies::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn addresses_and_blocks() {
        let trusted = parse(&["127.0.0.1", "10.0.0.0/8", "fd00::/8", "::1"]).expect("valid");
        for yes in ["127.0.0.1", "10.1.2.3", "fd12::1", "::1", "::ffff:10.9.9.9"] {
            assert!(trusted.contains(yes.parse().expect("ip")), "{yes}");
        }
        for no in ["127.0.0.2", "11.0.0.1", "fe80::1", "192.168.0.1"] {
            assert!(!trusted.contains(no.parse().expect("ip")), "{no}");
        }
        assert!(parse(&[]).expect("empty").is_empty());
        // host bits set are accepted as the block they fall in
        assert!(parse(&["10.1.2.3/8"])
            .expect("valid")
            .contains("10.200.0.1".parse().expect("ip")));
    }

    #[test]
    fn a_bad_entry_names_its_index() {
        for bad in ["", "localhost", "10.0.0.0/33", "1.2.3.4:80", "10.0.0.0/8/8"] {
            let err = parse(&["127.0.0.1", bad]).expect_err(bad);
            assert_eq!(err.key, "server.trusted_proxies[1]", "{bad}");
        }
    }
}
