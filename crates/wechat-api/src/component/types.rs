//! What the component calls answer, typed (spec §11.3).

use serde::{Deserialize, Serialize};

use crate::token::CachedToken;
use crate::SecretString;

/// `api_create_preauthcode`: a single-use code for the authorisation page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreAuthCode {
    /// `pre_auth_code`
    pub code: String,
    /// `expires_in`, seconds (WeChat: 600)
    pub expires_in: u64,
}

/// `api_query_auth`: what an authorisation code gives.
#[derive(Debug, Clone)]
pub struct AuthorizationInfo {
    /// The account that authorised the platform.
    pub authorizer_appid: String,
    /// Its first access token (with its expiry).
    pub access_token: CachedToken,
    /// Its refresh token: the one secret that must never be lost.
    pub refresh_token: SecretString,
    /// The permission sets granted (`func_info[].funcscope_category.id`).
    pub func_info: Vec<i64>,
}

/// `api_authorizer_token`: a new access token and the refresh token to keep from now on.
#[derive(Debug, Clone)]
pub struct AuthorizerToken {
    /// The new access token (with its expiry).
    pub access_token: CachedToken,
    /// The refresh token to save (before the access token is used).
    pub refresh_token: SecretString,
}

/// `api_get_authorizer_info`: the account's public details.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthorizerInfo {
    /// Nickname.
    pub nick_name: String,
    /// Avatar URL.
    pub head_img: String,
    /// The account's original id, `gh_…`: the `ToUserName` of its pushes.
    pub user_name: String,
    /// The registered principal (company) name.
    pub principal_name: String,
    /// The WeChat ID the account chose, if any.
    pub alias: String,
    /// `service_type_info.id`: 0 subscription account, 1 upgraded one, 2 service account.
    pub service_type: i64,
    /// `verify_type_info.id`: -1 unverified, 0 WeChat-verified, others per WeChat.
    pub verify_type: i64,
    /// The account's QR code image URL.
    pub qrcode_url: String,
    /// The permission sets granted (`authorization_info.func_info[].funcscope_category.id`).
    pub func_info: Vec<i64>,
}

/// One entry of `api_get_authorizer_list`.
#[derive(Debug, Clone)]
pub struct AuthorizerEntry {
    /// The account.
    pub authorizer_appid: String,
    /// Its current refresh token.
    pub refresh_token: SecretString,
    /// When it authorised the platform, unix seconds.
    pub auth_time: i64,
}

/// One page of `api_get_authorizer_list`.
#[derive(Debug, Clone)]
pub struct AuthorizerPage {
    /// How many accounts have authorised the platform in all.
    pub total_count: u64,
    /// This page.
    pub list: Vec<AuthorizerEntry>,
}
