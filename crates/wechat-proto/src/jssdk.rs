//! The JS-SDK signature a page passes to `wx.config`: SHA1 over
//! `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, keys in that (ASCII) order, values raw (not
//! URL-encoded), `url` the page's full address without its `#fragment`.
use sha1::{Digest, Sha1};

/// The page address WeChat signs: `url` up to (not including) its first `#`.
pub fn page_url(url: &str) -> &str {
    url.split_once('#').map_or(url, |(page, _)| page)
}

/// Lowercase hex SHA1 of `jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}`.
///
/// `url` is signed as given: pass it through [`page_url`] first (the caller decides, so that
/// what it answers and what it signs are the same string).
pub fn jssdk_signature(ticket: &str, nonce: &str, timestamp: u64, url: &str) -> String {
    let mut hasher = Sha1::new();
    for part in [
        "jsapi_ticket=",
        ticket,
        "&noncestr=",
        nonce,
        "&timestamp=",
        &timestamp.to_string(),
        "&url=",
        url,
    ] {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of WeChat's JS-SDK documentation (附录1).
    #[test]
    fn the_official_vector_holds() {
        let signature = jssdk_signature(
            "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            "Wm3WZYTPz0wzccnW",
            1_414_587_457,
            "http://mp.weixin.qq.com?params=value",
        );
        assert_eq!(signature, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
    }

    #[test]
    fn the_fragment_is_not_part_of_the_page() {
        assert_eq!(
            page_url("https://h5.example.com/a?b=1#/route?c=2"),
            "https://h5.example.com/a?b=1"
        );
        assert_eq!(
            page_url("https://h5.example.com/a"),
            "https://h5.example.com/a"
        );
    }
}
