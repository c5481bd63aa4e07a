//! `POST /cgi-bin/menu/create`, `GET /cgi-bin/menu/get`, `GET /cgi-bin/menu/delete` and
//! `GET /cgi-bin/get_current_selfmenu_info`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::{ok, WxError};
use crate::qrcode::parse_body;
use crate::state::MockState;

type Params = Query<HashMap<String, String>>;

/// The appid of the call's `access_token` (each account has its own menu).
fn authorize(state: &MockState, query: &HashMap<String, String>) -> Result<String, WxError> {
    state.begin_call(false)?;
    state.check_token(query.get("access_token").map(String::as_str))
}

/// `POST /cgi-bin/menu/create?access_token=` with `{"button":[...]}`.
pub async fn create(State(state): State<MockState>, Query(query): Params, body: Bytes) -> Response {
    let result = authorize(&state, &query).and_then(|appid| {
        let request = parse_body(&body)?;
        let buttons = request.get("button").ok_or(WxError(40016))?;
        check_menu(buttons)?;
        state.set_menu(&appid, Some(buttons.clone()));
        state.record("POST", "/cgi-bin/menu/create", request);
        Ok(ok())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /cgi-bin/menu/get?access_token=`: the menu as WeChat shows it (every leaf gets an
/// empty `sub_button`), 46003 when none exists.
pub async fn get(State(state): State<MockState>, Query(query): Params) -> Response {
    let result = authorize(&state, &query).and_then(|appid| {
        let (buttons, menu_id) = state.menu(&appid).ok_or(WxError(46003))?;
        let buttons = with_empty_sub_buttons(buttons);
        Ok(Json(json!({ "menu": { "button": buttons, "menuid": menu_id } })).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /cgi-bin/menu/delete?access_token=`.
pub async fn delete(State(state): State<MockState>, Query(query): Params) -> Response {
    let result = authorize(&state, &query).map(|appid| {
        state.set_menu(&appid, None);
        state.record("GET", "/cgi-bin/menu/delete", Value::Null);
        ok()
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /cgi-bin/get_current_selfmenu_info?access_token=`: the mock has no admin console,
/// so this shows the API menu in the console's shape, or `is_menu_open: 0`.
pub async fn selfmenu_info(State(state): State<MockState>, Query(query): Params) -> Response {
    let result = authorize(&state, &query).map(|appid| match state.menu(&appid) {
        None => Json(json!({ "is_menu_open": 0 })).into_response(),
        Some((buttons, _)) => {
            let buttons = wrap_sub_buttons(buttons);
            Json(json!({ "is_menu_open": 1, "selfmenu_info": { "button": buttons } }))
                .into_response()
        }
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

fn with_empty_sub_buttons(mut buttons: Value) -> Value {
    for button in buttons.as_array_mut().into_iter().flatten() {
        if let Some(object) = button.as_object_mut() {
            let entry = object.entry("sub_button").or_insert_with(|| json!([]));
            let subs = std::mem::take(entry);
            *entry = with_empty_sub_buttons(subs);
        }
    }
    buttons
}

fn wrap_sub_buttons(mut buttons: Value) -> Value {
    for button in buttons.as_array_mut().into_iter().flatten() {
        if let Some(subs) = button.get_mut("sub_button") {
            let list = std::mem::take(subs);
            *subs = json!({ "list": list });
        }
    }
    buttons
}

const KEY_TYPES: &[&str] = &[
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
];
const URL_TYPES: &[&str] = &["view", "miniprogram"];
const MEDIA_TYPES: &[&str] = &["media_id", "view_limited"];
const ARTICLE_TYPES: &[&str] = &["article_id", "article_view_limited"];

/// The codes for one level of the menu: top-level buttons or sub-buttons.
struct Codes {
    kind: i64,
    name: i64,
    key: i64,
    url: i64,
    max_name: usize,
}

const TOP: Codes = Codes {
    kind: 40017,
    name: 40018,
    key: 40019,
    url: 40020,
    max_name: 16,
};
const SUB: Codes = Codes {
    kind: 40024,
    name: 40025,
    key: 40026,
    url: 40027,
    max_name: 60,
};

/// Checks the button model with WeChat's error codes.
fn check_menu(buttons: &Value) -> Result<(), WxError> {
    let buttons = buttons.as_array().ok_or(WxError(40016))?;
    if !(1..=3).contains(&buttons.len()) {
        return Err(WxError(40016));
    }
    for button in buttons {
        let subs = button
            .get("sub_button")
            .and_then(Value::as_array)
            .filter(|subs| !subs.is_empty());
        match subs {
            Some(subs) => {
                check_name(button, &TOP)?;
                if subs.len() > 5 {
                    return Err(WxError(40023));
                }
                for sub in subs {
                    let nested = sub
                        .get("sub_button")
                        .and_then(Value::as_array)
                        .is_some_and(|n| !n.is_empty());
                    if nested {
                        return Err(WxError(40023));
                    }
                    check_leaf(sub, &SUB)?;
                }
            }
            None => check_leaf(button, &TOP)?,
        }
    }
    Ok(())
}

fn check_name(button: &Value, codes: &Codes) -> Result<(), WxError> {
    match button.get("name").and_then(Value::as_str) {
        Some(name) if (1..=codes.max_name).contains(&name.len()) => Ok(()),
        _ => Err(WxError(codes.name)),
    }
}

fn check_leaf(button: &Value, codes: &Codes) -> Result<(), WxError> {
    check_name(button, codes)?;
    let kind = button.get("type").and_then(Value::as_str).unwrap_or("");
    let text = |field: &str| button.get(field).and_then(Value::as_str);
    let present = |field: &str| text(field).is_some_and(|value| !value.is_empty());
    if let Some(key) = text("key") {
        if key.len() > 128 {
            return Err(WxError(codes.key));
        }
    }
    if let Some(url) = text("url") {
        if url.len() > 1024 {
            return Err(WxError(codes.url));
        }
    }
    if KEY_TYPES.contains(&kind) {
        if !present("key") {
            return Err(WxError(codes.key));
        }
    } else if URL_TYPES.contains(&kind) {
        if !present("url") {
            return Err(WxError(codes.url));
        }
        if kind == "miniprogram" && !(present("appid") && present("pagepath")) {
            return Err(WxError(codes.kind));
        }
    } else if MEDIA_TYPES.contains(&kind) {
        if !present("media_id") {
            return Err(WxError(40007));
        }
    } else if ARTICLE_TYPES.contains(&kind) {
        if !present("article_id") {
            return Err(WxError(codes.kind));
        }
    } else {
        return Err(WxError(codes.kind));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_codes_follow_wechat() {
        let click = json!({"type": "click", "name": "a", "key": "k"});
        assert_eq!(check_menu(&json!([click])), Ok(()));
        assert_eq!(check_menu(&json!([])), Err(WxError(40016)));
        assert_eq!(
            check_menu(&json!([click, click, click, click])),
            Err(WxError(40016))
        );
        assert_eq!(
            check_menu(&json!([{"type": "bogus", "name": "a"}])),
            Err(WxError(40017))
        );
        assert_eq!(
            check_menu(&json!([{"type": "click", "name": "a"}])),
            Err(WxError(40019))
        );
        assert_eq!(
            check_menu(&json!([{"type": "view", "name": "a"}])),
            Err(WxError(40020))
        );
        let long = "x".repeat(17);
        assert_eq!(
            check_menu(&json!([{"type": "click", "name": long, "key": "k"}])),
            Err(WxError(40018))
        );
        let six = json!([{"name": "m", "sub_button": [click, click, click, click, click, click]}]);
        assert_eq!(check_menu(&six), Err(WxError(40023)));
        let bad_sub = json!([{"name": "m", "sub_button": [{"type": "click", "name": "s", "key": "k".repeat(129)}]}]);
        assert_eq!(check_menu(&bad_sub), Err(WxError(40026)));
    }

    #[test]
    fn shown_menus_carry_empty_sub_buttons() {
        let shown = with_empty_sub_buttons(
            json!([{"name": "m", "sub_button": [{"type": "click", "name": "s", "key": "k"}]}]),
        );
        assert_eq!(
            shown,
            json!([{"name": "m", "sub_button": [{"type": "click", "name": "s", "key": "k", "sub_button": []}]}])
        );
    }
}
