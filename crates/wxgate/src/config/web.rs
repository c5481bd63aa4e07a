//! `[web]`, `[server] public_url` and `[wechat_api] open_base_url`: the account's web pages.
use url::Url;

use super::raw::RawConfig;
use super::ConfigError;
use crate::web::RedirectPrefix;

/// `[web]`: the account's web pages are served (OAuth sign-in, JS-SDK signatures).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// `[server] public_url`: how browsers and WeChat reach the gateway
    pub public_url: Url,
    /// `allowed_redirects`: the prefixes a sign-in may return under (at least one)
    pub allowed_redirects: Vec<RedirectPrefix>,
}

impl WebConfig {
    /// Where WeChat sends a visitor of `account` back to: `{public_url}/oauth/{account}/callback`.
    pub fn callback(&self, account: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}/oauth/{account}/callback")
    }
}

/// `open_base_url` (checked, always) and `[web]` with its `public_url` (when `[web]` is set).
pub(super) fn validate(raw: &RawConfig) -> Result<(Url, Option<WebConfig>), ConfigError> {
    let open_base = http_url(&raw.wechat_api.open_base_url, "wechat_api.open_base_url")?;
    let public_url = raw
        .server
        .public_url
        .as_deref()
        .map(|text| http_url(text, "server.public_url"))
        .transpose()?;
    let Some(web) = &raw.web else {
        return Ok((open_base, None));
    };
    let public_url = public_url.ok_or_else(|| {
        ConfigError::new(
            "server.public_url",
            "required with [web]: WeChat sends visitors back to {public_url}/oauth/{account}/callback",
        )
    })?;
    if web.allowed_redirects.is_empty() {
        return Err(ConfigError::new(
            "web.allowed_redirects",
            "must list at least one URL prefix a sign-in may return under",
        ));
    }
    let allowed_redirects = web
        .allowed_redirects
        .iter()
        .enumerate()
        .map(|(i, text)| {
            RedirectPrefix::parse(text)
                .map_err(|e| ConfigError::new(format!("web.allowed_redirects[{i}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        open_base,
        Some(WebConfig {
            public_url,
            allowed_redirects,
        }),
    ))
}

/// `text` as an absolute http(s) URL with a host, no userinfo, query or fragment.
fn http_url(text: &str, key: &str) -> Result<Url, ConfigError> {
    let url =
        Url::parse(text).map_err(|_| ConfigError::new(key, format!("{text:?} is not a URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::new(key, "must be an http(s) URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            key,
            "must not carry a user name or password",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(key, "must not have a query or fragment"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {

    use crate::config::tests::build;

    fn key(text: &str) -> String {
        build(text, &[]).err().map(|e| e.key).unwrap_or_default()
    }

    #[test]
    fn web_needs_a_public_url_and_allowed_redirects() {
        assert_eq!(
            key("[web]\nallowed_redirects = [\"https://shop.example.com/\"]"),
            "server.public_url"
        );
        let public = "[server]\npublic_url = \"https://wx.example.com/\"\n";
        assert_eq!(key(&format!("{public}[web]\n")), "web.allowed_redirects");
        assert_eq!(
            key(&format!(
                "{public}[web]\nallowed_redirects = [\"https://a.example/\", \"javascript:x\"]"
            )),
            "web.allowed_redirects[1]"
        );
        assert_eq!(
            key(&format!(
                "{public}[web]\nallowed_redirects = [\"https://u@a.example/\"]"
            )),
            "web.allowed_redirects[0]"
        );
        let config = build(
            &format!("{public}[web]\nallowed_redirects = [\"https://a.example/\"]"),
            &[],
        );
        let web = config.ok().and_then(|c| c.web);
        assert_eq!(
            web.map(|w| w.callback("default")).as_deref(),
            Some("https://wx.example.com/oauth/default/callback")
        );
    }

    #[test]
    fn public_url_comes_from_the_environment_too() {
        let text = "[web]\nallowed_redirects = [\"https://a.example/\"]";
        let config = build(text, &[("WXGATE_PUBLIC_URL", "http://127.0.0.1:8080")]);
        let web = config.ok().and_then(|c| c.web);
        assert_eq!(
            web.map(|w| w.public_url.to_string()).as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        let bad = build(text, &[("WXGATE_PUBLIC_URL", "wx.example.com")]).err();
        assert_eq!(bad.map(|e| e.key).as_deref(), Some("server.public_url"));
    }

    #[test]
    fn open_base_url_defaults_to_wechat_and_must_be_http() {
        let config = build("", &[]).ok();
        assert_eq!(
            config.map(|c| c.open_base_url.to_string()).as_deref(),
            Some("https://open.weixin.qq.com/")
        );
        assert_eq!(
            key("[wechat_api]\nopen_base_url = \"ftp://open.example\""),
            "wechat_api.open_base_url"
        );
    }
}
