//! `GET /cgi-bin/user/info`: what WeChat still tells about a follower.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::ApiClient;
use crate::error::ApiError;

/// A user as `user/info` describes them (nickname, avatar and region are no longer given).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserInfo {
    /// 1 if following the account; when 0, only `openid` (and `unionid`) are set.
    pub subscribe: u8,
    /// The user's openid.
    pub openid: String,
    /// Language, e.g. `zh_CN`.
    #[serde(default)]
    pub language: Option<String>,
    /// When they followed (Unix seconds).
    #[serde(default)]
    pub subscribe_time: Option<i64>,
    /// Their unionid, when the account is bound to an Open Platform account.
    #[serde(default)]
    pub unionid: Option<String>,
    /// The account's remark on them.
    #[serde(default)]
    pub remark: Option<String>,
    /// Legacy group id.
    #[serde(default)]
    pub groupid: Option<i64>,
    /// Tag ids.
    #[serde(default)]
    pub tagid_list: Vec<i64>,
    /// How they followed, e.g. `ADD_SCENE_QR_CODE`.
    #[serde(default)]
    pub subscribe_scene: Option<String>,
    /// Integer QR scene they followed through (0 if none).
    #[serde(default)]
    pub qr_scene: Option<u64>,
    /// String QR scene they followed through (empty if none).
    #[serde(default)]
    pub qr_scene_str: Option<String>,
}

impl ApiClient {
    /// `user/info` for `openid` (language `zh_CN`).
    pub async fn user_info(&self, openid: &str) -> Result<UserInfo, ApiError> {
        let query = [("openid", openid), ("lang", "zh_CN")];
        self.authed_json(Method::GET, "cgi-bin/user/info", &query, None)
            .await
    }
}

/// One page of `user/get`: up to 10,000 openids.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct FollowerPage {
    /// How many followers the account has.
    #[serde(default)]
    pub total: u64,
    /// How many openids this page holds (0 when the list is done).
    #[serde(default)]
    pub count: u64,
    /// The openids.
    #[serde(default)]
    pub data: Option<OpenIds>,
    /// The cursor for the next page (the last openid of this one).
    #[serde(default)]
    pub next_openid: Option<String>,
}

/// The `data` of a [`FollowerPage`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct OpenIds {
    /// The openids, in WeChat's order.
    #[serde(default)]
    pub openid: Vec<String>,
}

impl FollowerPage {
    /// The openids of this page.
    pub fn openids(&self) -> &[String] {
        self.data.as_ref().map_or(&[], |d| d.openid.as_slice())
    }
}

#[derive(Deserialize)]
struct Batch {
    #[serde(default)]
    user_info_list: Vec<UserInfo>,
}

/// At most this many openids per `user/info/batchget` call.
pub const BATCH_GET_MAX: usize = 100;

impl ApiClient {
    /// `user/get`: the page after `next_openid` (the first page for `None` or empty).
    pub async fn followers_page(
        &self,
        next_openid: Option<&str>,
    ) -> Result<FollowerPage, ApiError> {
        let query: Vec<(&str, &str)> = match next_openid.filter(|n| !n.is_empty()) {
            Some(next) => vec![("next_openid", next)],
            None => Vec::new(),
        };
        self.authed_json(Method::GET, "cgi-bin/user/get", &query, None)
            .await
    }

    /// `user/info/batchget` for up to [`BATCH_GET_MAX`] openids (language `zh_CN`).
    pub async fn users_info(&self, openids: &[String]) -> Result<Vec<UserInfo>, ApiError> {
        if openids.len() > BATCH_GET_MAX {
            return Err(ApiError::InvalidMessage(format!(
                "user_list: at most {BATCH_GET_MAX} openids a call"
            )));
        }
        let list: Vec<serde_json::Value> = openids
            .iter()
            .map(|o| serde_json::json!({ "openid": o, "lang": "zh_CN" }))
            .collect();
        let body = serde_json::json!({ "user_list": list });
        let batch: Batch = self
            .authed_json(Method::POST, "cgi-bin/user/info/batchget", &[], Some(&body))
            .await?;
        Ok(batch.user_info_list)
    }
}
