//! The authorisation page a platform sends an account's administrator to (spec §11.4).

use reqwest::Url;

/// The host of the authorisation pages.
pub const MP_BASE_URL: &str = "https://mp.weixin.qq.com";

/// Which accounts the page offers (`auth_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// 1: Official Accounts only.
    OfficialAccounts,
    /// 2: mini-programs only.
    MiniPrograms,
    /// 3: both.
    Both,
}

impl AuthType {
    /// WeChat's number: 1, 2 or 3.
    pub fn as_number(self) -> u8 {
        match self {
            AuthType::OfficialAccounts => 1,
            AuthType::MiniPrograms => 2,
            AuthType::Both => 3,
        }
    }

    /// From WeChat's number (1, 2 or 3).
    pub fn from_number(n: u8) -> Option<Self> {
        match n {
            1 => Some(AuthType::OfficialAccounts),
            2 => Some(AuthType::MiniPrograms),
            3 => Some(AuthType::Both),
            _ => None,
        }
    }
}

/// What the page asks for: a kind of account (`auth_type`) or one account (`biz_appid`),
/// never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthTarget {
    /// `auth_type=…`
    Type(AuthType),
    /// `biz_appid=…`: only this account may authorise.
    Account(String),
}

/// The two forms of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeUrls {
    /// `componentloginpage`: a QR code to scan, in a desktop browser.
    pub pc: Url,
    /// `safe/bindcomponent`: inside WeChat on a phone.
    pub mobile: Url,
}

/// The authorisation pages under `mp_base` ([`MP_BASE_URL`], or a mock), for one
/// `pre_auth_code`; after consent the browser lands on `redirect_uri?auth_code=…&expires_in=600`.
pub fn authorize_urls(
    mp_base: &Url,
    component_appid: &str,
    pre_auth_code: &str,
    redirect_uri: &str,
    target: &AuthTarget,
) -> AuthorizeUrls {
    let page = |path: &str, lead: &[(&str, &str)], fragment: Option<&str>| {
        let mut url = mp_base.clone();
        let full = format!("{}/{path}", url.path().trim_end_matches('/'));
        url.set_path(&full);
        url.set_query(None);
        {
            let mut query = url.query_pairs_mut();
            query.extend_pairs(lead);
            query
                .append_pair("component_appid", component_appid)
                .append_pair("pre_auth_code", pre_auth_code)
                .append_pair("redirect_uri", redirect_uri);
            match target {
                AuthTarget::Type(kind) => {
                    query.append_pair("auth_type", &kind.as_number().to_string())
                }
                AuthTarget::Account(appid) => query.append_pair("biz_appid", appid),
            };
        }
        url.set_fragment(fragment);
        url
    };
    AuthorizeUrls {
        pc: page("cgi-bin/componentloginpage", &[], None),
        mobile: page(
            "safe/bindcomponent",
            &[("action", "bindcomponent"), ("no_scan", "1")],
            Some("wechat_redirect"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_have_the_spec_shape() {
        let base = Url::parse(MP_BASE_URL).ok();
        let urls = base.map(|base| {
            authorize_urls(
                &base,
                "wxcomponent0001",
                "preauthcode@@@x",
                "https://wx.example.com/wechat/open/authorized",
                &AuthTarget::Type(AuthType::Both),
            )
        });
        let urls = urls.map(|u| (String::from(u.pc), String::from(u.mobile)));
        assert_eq!(
            urls,
            Some((
                "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid=wxcomponent0001\
                 &pre_auth_code=preauthcode%40%40%40x\
                 &redirect_uri=https%3A%2F%2Fwx.example.com%2Fwechat%2Fopen%2Fauthorized&auth_type=3"
                    .to_owned(),
                "https://mp.weixin.qq.com/safe/bindcomponent?action=bindcomponent&no_scan=1\
                 &component_appid=wxcomponent0001&pre_auth_code=preauthcode%40%40%40x\
                 &redirect_uri=https%3A%2F%2Fwx.example.com%2Fwechat%2Fopen%2Fauthorized\
                 &auth_type=3#wechat_redirect"
                    .to_owned()
            ))
        );
    }

    #[test]
    fn one_account_is_pinned_with_biz_appid_instead_of_auth_type() {
        let base = Url::parse(MP_BASE_URL).ok();
        let urls = base.map(|base| {
            authorize_urls(
                &base,
                "wxc",
                "p",
                "https://r",
                &AuthTarget::Account("wxabc".into()),
            )
        });
        for url in urls.iter().flat_map(|u| [&u.pc, &u.mobile]) {
            let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
            assert!(names.contains(&"biz_appid".to_owned()), "{url}");
            assert!(!names.contains(&"auth_type".to_owned()), "{url}");
        }
        assert!(urls.is_some());
        assert_eq!(AuthType::from_number(2), Some(AuthType::MiniPrograms));
        assert_eq!(AuthType::from_number(4), None);
    }
}
