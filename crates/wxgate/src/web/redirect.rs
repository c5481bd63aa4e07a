//! Where a sign-in may send the visitor back: `[web] allowed_redirects`, compared as parsed
//! URLs (scheme, host after IDNA normalisation, port, path prefix on segment boundaries) —
//! never as strings, so `https://shop.example.com.evil.io/` is not under
//! `https://shop.example.com/`. An open redirect here would hand visitors' identities to
//! anyone, so anything a browser might read differently from this parser is refused outright:
//! userinfo (`user@`), backslashes, control characters and whitespace, and percent-encoded
//! slashes, backslashes or dots in the path.
use url::{Host, Url};

/// Why a URL cannot be a redirect (or an allowed prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    /// not an absolute URL
    #[error("is not an absolute URL")]
    NotUrl,
    /// a scheme other than http/https (`javascript:`, `data:`, ...)
    #[error("must be an http(s) URL")]
    Scheme,
    /// `user:password@` before the host
    #[error("must not carry a user name or password")]
    Userinfo,
    /// backslashes, whitespace, control characters, or an encoded `/`, `\` or `.` in the path
    #[error("holds characters a browser may read differently (\\, whitespace, %2f, %5c, %2e)")]
    Ambiguous,
    /// a prefix with a query or fragment
    #[error("must not have a query or fragment")]
    NotPrefix,
    /// under none of the allowed prefixes
    #[error("is not under any of [web] allowed_redirects")]
    NotAllowed,
}

/// One entry of `[web] allowed_redirects`: the scheme, host, port and path a redirect must
/// have (the path as a prefix on segment boundaries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectPrefix {
    scheme: String,
    host: String,
    port: Option<u16>,
    path: String,
}

impl RedirectPrefix {
    /// The prefix `text`: an absolute http(s) URL without userinfo, query or fragment.
    pub fn parse(text: &str) -> Result<Self, RedirectError> {
        let url = strict(text)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(RedirectError::NotPrefix);
        }
        Ok(RedirectPrefix {
            scheme: url.scheme().to_owned(),
            host: host(&url)?,
            port: url.port_or_known_default(),
            path: url.path().to_owned(),
        })
    }

    /// Whether `url` (already checked by [`strict`]) is under this prefix.
    fn covers(&self, url: &Url) -> bool {
        let path = url.path();
        let under = if self.path.ends_with('/') {
            path.starts_with(&self.path)
        } else {
            path == self.path
                || path
                    .strip_prefix(&self.path)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        url.scheme() == self.scheme
            && host(url).is_ok_and(|h| h == self.host)
            && url.port_or_known_default() == self.port
            && under
    }
}

/// `candidate` parsed, if it is under one of `allowed`.
pub fn check(allowed: &[RedirectPrefix], candidate: &str) -> Result<Url, RedirectError> {
    let url = strict(candidate)?;
    if allowed.iter().any(|prefix| prefix.covers(&url)) {
        Ok(url)
    } else {
        Err(RedirectError::NotAllowed)
    }
}

/// `text` parsed as an absolute http(s) URL with a host and no userinfo, refusing anything a
/// browser might read differently.
fn strict(text: &str) -> Result<Url, RedirectError> {
    if text
        .chars()
        .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    {
        return Err(RedirectError::Ambiguous);
    }
    let url = Url::parse(text).map_err(|_| RedirectError::NotUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(RedirectError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RedirectError::Userinfo);
    }
    let path = url.path().to_ascii_lowercase();
    if ["%2f", "%5c", "%2e"]
        .iter()
        .any(|encoded| path.contains(encoded))
    {
        return Err(RedirectError::Ambiguous);
    }
    host(&url)?;
    Ok(url)
}

/// The host as the URL standard serialises it: an IDN in its punycode (IDNA-normalised,
/// lower case), an IP address in its canonical form.
fn host(url: &Url) -> Result<String, RedirectError> {
    match url.host() {
        Some(Host::Domain(domain)) if !domain.is_empty() => Ok(domain.to_owned()),
        Some(Host::Ipv4(ip)) => Ok(ip.to_string()),
        Some(Host::Ipv6(ip)) => Ok(format!("[{ip}]")),
        _ => Err(RedirectError::NotUrl),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<RedirectPrefix> {
        [
            "https://shop.example.com/",
            "https://h5.example.com/app/",
            "http://127.0.0.1:9000/cb",
        ]
        .iter()
        .map(|p| RedirectPrefix::parse(p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .collect()
    }

    /// Tricks an open-redirect attacker tries, each refused.
    #[test]
    fn the_tricks_are_refused() {
        let allowed = allowed();
        let tricks = [
            // other hosts, and hosts that only start or end like an allowed one
            "https://evil.io/",
            "https://shop.example.com.evil.io/",
            "https://evilshop.example.com/",
            "https://shop.example.com./",
            "https://sub.shop.example.com/",
            // userinfo: the host is what follows the @
            "https://shop.example.com@evil.io/",
            "https://shop.example.com:443@evil.io/",
            "https://user:pw@shop.example.com/",
            "https://evil.io#@shop.example.com/",
            "https://evil.io?@shop.example.com/",
            // scheme-relative, relative and other schemes
            "//evil.io/",
            "/\\evil.io/",
            "shop.example.com/",
            "javascript:alert(document.domain)//https://shop.example.com/",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://shop.example.com/",
            // backslashes, whitespace and control characters
            "https:\\\\evil.io\\shop.example.com/",
            "https://shop.example.com\\@evil.io/",
            "https://h5.example.com/app\\..\\admin",
            "https://shop.exa\tmple.com/",
            "https://shop.example.com/\nSet-Cookie:x",
            " https://shop.example.com/",
            // encoded slashes, backslashes and dots
            "https://h5.example.com/app/..%2fadmin",
            "https://h5.example.com/app/%2e%2e/admin",
            "https://h5.example.com/app%2F../admin",
            "https://h5.example.com/app/%5c..%5cadmin",
            // dot segments leaving the prefix
            "https://h5.example.com/app/../admin",
            // a path prefix that only matches as a string
            "https://h5.example.com/application",
            "https://h5.example.com/app",
            "http://127.0.0.1:9000/cbevil",
            // scheme downgrade, other ports
            "http://shop.example.com/",
            "https://shop.example.com:8443/",
            "http://127.0.0.1:9001/cb",
            // IDN look-alikes (Cyrillic о, and its punycode)
            "https://shоp.example.com/",
            "https://xn--shp-ved.example.com/",
            // a host encoded to hide a dot
            "https://shop.example.com%2eevil.io/",
            // empty and nonsense
            "",
            "https://",
        ];
        assert!(tricks.len() >= 15);
        for trick in tricks {
            assert!(check(&allowed, trick).is_err(), "{trick:?} was allowed");
        }
    }

    #[test]
    fn pages_under_a_prefix_are_allowed() {
        let allowed = allowed();
        for good in [
            "https://shop.example.com/",
            "https://shop.example.com",
            "https://shop.example.com/cart?item=3&next=%2Fhome#top",
            "HTTPS://SHOP.EXAMPLE.COM/Cart",
            "https://shop.example.com:443/",
            "https://h5.example.com/app/",
            "https://h5.example.com/app/orders/7",
            "http://127.0.0.1:9000/cb",
            "http://127.0.0.1:9000/cb/inner?x=1",
        ] {
            assert!(check(&allowed, good).is_ok(), "{good:?} was refused");
        }
    }

    #[test]
    fn an_idn_prefix_is_compared_after_normalisation() {
        let Ok(prefix) = RedirectPrefix::parse("https://bücher.example/") else {
            panic!("an IDN prefix parses");
        };
        let allowed = [prefix];
        assert!(check(&allowed, "https://xn--bcher-kva.example/a").is_ok());
        assert!(check(&allowed, "https://BÜCHER.example/a").is_ok());
        assert!(check(&allowed, "https://bucher.example/a").is_err());
    }

    #[test]
    fn a_prefix_is_an_http_url_without_query_or_userinfo() {
        assert_eq!(
            RedirectPrefix::parse("https://a.example/?x=1"),
            Err(RedirectError::NotPrefix)
        );
        assert_eq!(
            RedirectPrefix::parse("ftp://a.example/"),
            Err(RedirectError::Scheme)
        );
        assert_eq!(
            RedirectPrefix::parse("https://u@a.example/"),
            Err(RedirectError::Userinfo)
        );
        assert_eq!(
            RedirectPrefix::parse("a.example/"),
            Err(RedirectError::NotUrl)
        );
    }
}
