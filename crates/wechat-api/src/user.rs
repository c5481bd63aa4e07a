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
