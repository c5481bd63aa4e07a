//! The component calls (`POST /cgi-bin/component/…`, spec §11.3) and the web sign-in's
//! `GET /sns/oauth2/component/access_token`, answering WeChat's error codes: 40013 unknown
//! component_appid, 40125 wrong component_appsecret, 61006 unknown ticket, 61005 expired
//! ticket, 41001/40001/42001 for the component token, 61009/61010 for an authorisation code,
//! 61023 for a refresh token, 61003 for an account that has not authorised the platform.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::{new_refresh_token, push, REFRESH_OVERLAP};
use super::{AuthorizerRecordView, PRE_AUTH_TTL};
use crate::error::{ok, WxError};
use crate::qrcode::parse_body;
use crate::state::{chrono_duration, new_token, random_from, MockState, ALPHANUMERIC};
use crate::web::{WEB_OPENID, WEB_UNIONID};

type Params = Query<HashMap<String, String>>;

/// Most entries `api_get_authorizer_list` gives in one page.
const MAX_PAGE: u64 = 500;

fn field<'a>(body: &'a Value, name: &str) -> &'a str {
    body.get(name).and_then(Value::as_str).unwrap_or("")
}

fn answer(result: Result<Value, WxError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(err) => err.into_response(),
    }
}

impl MockState {
    /// Checks the component_appid of a call (40013 when it is not the platform's).
    fn check_component_appid(&self, appid: &str) -> Result<(), WxError> {
        let platform = self.platform_config()?;
        if appid.is_empty() {
            return Err(WxError(41002));
        }
        if appid != platform.component_appid {
            return Err(WxError(40013));
        }
        Ok(())
    }

    /// Checks `component_access_token`: 41001 missing, 40001 unknown, 42001 expired.
    fn check_component_token(&self, token: Option<&str>) -> Result<(), WxError> {
        self.platform_config()?;
        let token = match token {
            None | Some("") => return Err(WxError(41001)),
            Some(token) => token,
        };
        match self.platform_data().component_tokens.get(token) {
            None => Err(WxError(40001)),
            Some(until) if *until <= Utc::now() => Err(WxError(42001)),
            Some(_) => Ok(()),
        }
    }

    /// A component call's common checks: counted, injected errors, the token, the appid.
    fn begin_component_call(
        &self,
        query: &HashMap<String, String>,
        body: &Value,
    ) -> Result<(), WxError> {
        self.begin_call(false)?;
        self.check_component_token(query.get("component_access_token").map(String::as_str))?;
        self.check_component_appid(field(body, "component_appid"))
    }
}

/// `POST /cgi-bin/component/api_component_token`.
pub async fn api_component_token(State(state): State<MockState>, body: Bytes) -> Response {
    state.platform_data().component_token_requests += 1;
    answer((|| {
        // Not an account's token endpoint: under the daily quota like the other calls.
        state.begin_call(false)?;
        let body = parse_body(&body)?;
        state.check_component_appid(field(&body, "component_appid"))?;
        let platform = state.platform_config()?;
        let secret = field(&body, "component_appsecret");
        if secret.is_empty() {
            return Err(WxError(41004));
        }
        if secret != platform.component_secret {
            return Err(WxError(40125));
        }
        let ticket = field(&body, "component_verify_ticket");
        let now = Utc::now();
        let mut data = state.platform_data();
        match data.tickets.iter().find(|(t, _)| t == ticket) {
            None => return Err(WxError(61006)),
            Some((_, until)) if *until <= now => return Err(WxError(61005)),
            Some(_) => {}
        }
        let ttl = state.config().token_ttl;
        let token = new_token();
        data.component_tokens
            .insert(token.clone(), now + chrono_duration(ttl));
        Ok(json!({ "component_access_token": token, "expires_in": ttl.as_secs().max(1) }))
    })())
}

/// `POST /cgi-bin/component/api_start_push_ticket`: a ticket push now.
pub async fn api_start_push_ticket(State(state): State<MockState>, body: Bytes) -> Response {
    let checked = (|| {
        state.begin_call(false)?;
        let body = parse_body(&body)?;
        state.check_component_appid(field(&body, "component_appid"))?;
        if field(&body, "component_secret") != state.platform_config()?.component_secret {
            return Err(WxError(40125));
        }
        Ok(())
    })();
    match checked {
        Ok(()) => {
            tokio::spawn(push::push_ticket(state.clone()));
            ok()
        }
        Err(err) => err.into_response(),
    }
}

/// `POST /cgi-bin/component/api_create_preauthcode`.
pub async fn api_create_preauthcode(
    State(state): State<MockState>,
    Query(query): Params,
    body: Bytes,
) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        state.begin_component_call(&query, &body)?;
        let code = format!("preauthcode@@@{}", random_from(ALPHANUMERIC, 64));
        let until = Utc::now() + chrono_duration(PRE_AUTH_TTL);
        state
            .platform_data()
            .pre_auth_codes
            .insert(code.clone(), until);
        Ok(json!({ "pre_auth_code": code, "expires_in": PRE_AUTH_TTL.as_secs() }))
    })())
}

/// The `func_info` the mock grants every authorizer.
fn func_info() -> Value {
    json!([1, 2, 3, 4, 7, 11, 15]
        .iter()
        .map(|id| json!({ "funcscope_category": { "id": id } }))
        .collect::<Vec<_>>())
}

/// `POST /cgi-bin/component/api_query_auth`: an authorisation code, once, within its hour.
pub async fn api_query_auth(
    State(state): State<MockState>,
    Query(query): Params,
    body: Bytes,
) -> Response {
    state.platform_data().query_auth_requests += 1;
    answer((|| {
        let body = parse_body(&body)?;
        state.begin_component_call(&query, &body)?;
        let code = field(&body, "authorization_code");
        let appid = {
            let mut data = state.platform_data();
            let found = data.codes.get_mut(code).ok_or(WxError(61009))?;
            if found.used {
                return Err(WxError(61009));
            }
            if found.expires_at <= Utc::now() {
                return Err(WxError(61010));
            }
            found.used = true;
            found.appid.clone()
        };
        let refresh = state.refresh_token(&appid).ok_or(WxError(61009))?;
        let (token, expires_in) = state.issue_account_token(&appid);
        Ok(json!({
            "authorization_info": {
                "authorizer_appid": appid,
                "authorizer_access_token": token,
                "expires_in": expires_in,
                "authorizer_refresh_token": refresh,
                "func_info": func_info(),
            }
        }))
    })())
}

/// `POST /cgi-bin/component/api_authorizer_token`: a new access token and a new refresh
/// token (the old one keeps working 5 minutes); 61023 for a refresh token not (or no longer)
/// valid.
pub async fn api_authorizer_token(
    State(state): State<MockState>,
    Query(query): Params,
    body: Bytes,
) -> Response {
    state.platform_data().authorizer_token_requests += 1;
    answer((|| {
        let body = parse_body(&body)?;
        state.begin_component_call(&query, &body)?;
        let appid = field(&body, "authorizer_appid");
        let given = field(&body, "authorizer_refresh_token");
        let now = Utc::now();
        let fresh = {
            let mut data = state.platform_data();
            let old_ok = data
                .old_refresh
                .get(given)
                .is_some_and(|(owner, until)| owner == appid && *until > now);
            let authorizer = data.authorizers.get_mut(appid).ok_or(WxError(61023))?;
            if authorizer.refresh_token != given && !old_ok {
                return Err(WxError(61023));
            }
            let replaced = std::mem::replace(&mut authorizer.refresh_token, new_refresh_token());
            let fresh = authorizer.refresh_token.clone();
            let until = now + chrono_duration(REFRESH_OVERLAP);
            data.old_refresh.insert(replaced, (appid.to_owned(), until));
            fresh
        };
        let (token, expires_in) = state.issue_account_token(appid);
        Ok(json!({
            "authorizer_access_token": token,
            "expires_in": expires_in,
            "authorizer_refresh_token": fresh,
        }))
    })())
}

/// `POST /cgi-bin/component/api_get_authorizer_info`: 61003 for an account that has not
/// authorised the platform.
pub async fn api_get_authorizer_info(
    State(state): State<MockState>,
    Query(query): Params,
    body: Bytes,
) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        state.begin_component_call(&query, &body)?;
        let appid = field(&body, "authorizer_appid");
        let view: AuthorizerRecordView = state.authorizer_view(appid).ok_or(WxError(61003))?;
        Ok(json!({
            "authorizer_info": {
                "nick_name": view.nick_name,
                "head_img": format!("https://wx.qlogo.cn/mmopen/mock/{appid}/0"),
                "service_type_info": { "id": 2 },
                "verify_type_info": { "id": 0 },
                "user_name": view.user_name,
                "principal_name": "Mock Company Ltd.",
                "alias": "",
                "business_info": { "open_store": 0, "open_scan": 0, "open_pay": 0, "open_card": 0, "open_shake": 0 },
                "qrcode_url": format!("https://mmbiz.qpic.cn/mmbiz_jpg/mock/{appid}/0"),
            },
            "authorization_info": {
                "authorizer_appid": appid,
                "func_info": func_info(),
            }
        }))
    })())
}

/// `POST /cgi-bin/component/api_get_authorizer_list`: `offset`, `count` (1 to 500, else
/// 40097), in appid order.
pub async fn api_get_authorizer_list(
    State(state): State<MockState>,
    Query(query): Params,
    body: Bytes,
) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        state.begin_component_call(&query, &body)?;
        let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0);
        let count = body.get("count").and_then(Value::as_u64).unwrap_or(0);
        if !(1..=MAX_PAGE).contains(&count) {
            return Err(WxError(40097));
        }
        let data = state.platform_data();
        let list: Vec<Value> = data
            .authorizers
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(count).unwrap_or(0))
            .map(|(appid, a)| {
                json!({
                    "authorizer_appid": appid,
                    "refresh_token": a.refresh_token,
                    "auth_time": a.auth_time,
                })
            })
            .collect();
        Ok(json!({ "total_count": data.authorizers.len(), "list": list }))
    })())
}

/// `GET /sns/oauth2/component/access_token?appid=&code=&grant_type=authorization_code
/// &component_appid=&component_access_token=`: a code of the mock's authorize page for an
/// authorizer, once, within 5 minutes (40029 unknown, 40163 used).
pub async fn sns_component_access_token(
    State(state): State<MockState>,
    Query(query): Params,
) -> Response {
    let param = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    answer((|| {
        state.begin_call(false)?;
        state.check_component_token(query.get("component_access_token").map(String::as_str))?;
        state.check_component_appid(param("component_appid"))?;
        if param("grant_type") != "authorization_code" {
            return Err(WxError(40002));
        }
        let appid = param("appid");
        if !state.is_authorizer(appid) {
            return Err(WxError(61003));
        }
        let user = state.redeem_code(appid, param("code"))?;
        Ok(json!({
            "access_token": user.access_token,
            "expires_in": 7200,
            "refresh_token": format!("mock_refresh_{}", user.access_token),
            "openid": WEB_OPENID,
            "scope": user.scope,
            "unionid": WEB_UNIONID,
        }))
    })())
}
