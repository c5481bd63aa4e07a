//! The account's web side: `GET /cgi-bin/ticket/getticket` (the JS-SDK's jsapi_ticket), the
//! OAuth page `GET /connect/oauth2/authorize` (which redirects at once with a code for a test
//! user, as if they had agreed), and the code's exchange `GET /sns/oauth2/access_token` and
//! `GET /sns/userinfo`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::WxError;
use crate::state::{MockState, WebUser};

type Params = Query<HashMap<String, String>>;

/// The openid the mock's OAuth page signs every visitor in as.
pub const WEB_OPENID: &str = "oMockWebUser0000000000000000";
/// That user's unionid.
pub const WEB_UNIONID: &str = "uMockWebUnion000000000000000";

fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> &'a str {
    query.get(name).map(String::as_str).unwrap_or("")
}

/// `GET /cgi-bin/ticket/getticket?access_token=&type=jsapi`.
pub async fn getticket(State(state): State<MockState>, Query(query): Params) -> Response {
    state.count_ticket_request();
    let result = (|| {
        state.begin_call(false)?;
        let appid = state.check_token(query.get("access_token").map(String::as_str))?;
        if param(&query, "type") != "jsapi" {
            return Err(WxError(40097));
        }
        let (ticket, expires_in) = state.issue_jsapi_ticket(&appid);
        Ok(Json(json!({
            "errcode": 0,
            "errmsg": "ok",
            "ticket": ticket,
            "expires_in": expires_in,
        })))
    })();
    result.map_or_else(IntoResponse::into_response, IntoResponse::into_response)
}

/// `GET /connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=`:
/// a 302 to `redirect_uri` with `code` and `state`, at once (no consent page). A bad request
/// gets a 400 page, as WeChat shows its own error page instead of redirecting.
pub async fn authorize(State(state): State<MockState>, Query(query): Params) -> Response {
    let refuse =
        |why: &str| (StatusCode::BAD_REQUEST, format!("mock oauth2: {why}\n")).into_response();
    let appid = param(&query, "appid");
    if !state.knows_appid(appid) {
        return refuse("unknown appid");
    }
    if param(&query, "response_type") != "code" {
        return refuse("response_type must be code");
    }
    let scope = param(&query, "scope");
    if !matches!(scope, "snsapi_base" | "snsapi_userinfo") {
        return refuse("scope must be snsapi_base or snsapi_userinfo");
    }
    let Ok(mut target) = reqwest::Url::parse(param(&query, "redirect_uri")) else {
        return refuse("redirect_uri is not an absolute URL");
    };
    let code = state.issue_code(appid, scope);
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", param(&query, "state"));
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// `GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code`: the
/// code once, within 5 minutes (40029 unknown, 40163 used).
pub async fn sns_access_token(State(state): State<MockState>, Query(query): Params) -> Response {
    let result = (|| {
        state.begin_call(false)?;
        if param(&query, "grant_type") != "authorization_code" {
            return Err(WxError(40002));
        }
        let appid = param(&query, "appid");
        state.check_credentials(appid, param(&query, "secret"))?;
        let WebUser {
            access_token,
            scope,
        } = state.redeem_code(appid, param(&query, "code"))?;
        Ok(Json(json!({
            "access_token": access_token,
            "expires_in": 7200,
            "refresh_token": format!("mock_refresh_{access_token}"),
            "openid": WEB_OPENID,
            "scope": scope,
            "is_snapshotuser": 0,
            "unionid": WEB_UNIONID,
        })))
    })();
    result.map_or_else(IntoResponse::into_response, IntoResponse::into_response)
}

/// `GET /sns/userinfo?access_token=&openid=&lang=`: the test user's profile, for a user token
/// of scope `snsapi_userinfo` (48001 otherwise).
pub async fn sns_userinfo(State(state): State<MockState>, Query(query): Params) -> Response {
    let result = (|| {
        state.begin_call(false)?;
        state.check_user_token(param(&query, "access_token"))?;
        if param(&query, "openid") != WEB_OPENID {
            return Err(WxError(40003));
        }
        Ok(Json(json!({
            "openid": WEB_OPENID,
            "nickname": "测试用户",
            "sex": 0,
            "province": "Guangdong",
            "city": "Shenzhen",
            "country": "CN",
            "headimgurl": "https://thirdwx.qlogo.cn/mmopen/mock/132",
            "privilege": [],
            "unionid": WEB_UNIONID,
        })))
    })();
    result.map_or_else(IntoResponse::into_response, IntoResponse::into_response)
}
