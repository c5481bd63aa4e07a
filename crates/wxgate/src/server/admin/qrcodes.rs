//! `POST /api/qrcodes`, `GET /api/qrcodes`, `GET /api/qrcodes/{scene}.svg` / `.png`.
//!
//! Creating needs the API client (503 without an appsecret); listing and drawing read only
//! the store, so recorded codes stay visible whatever the config.
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use wechat_api::{ApiClient, QrLimitError, QrRequest};

use super::accounts::{filter, one, AccountParam};
use super::wechat::{client, upstream};
use super::ApiError;
use crate::qr::{self, CreateError};
use crate::server::state::AppState;
use crate::store::QrCode;

/// `POST /api/qrcodes?account=` `{"scene", "permanent", "expire_seconds", "label",
/// "account"}` → 201 with the code; 400 naming the limit at fault (or `account`, required with
/// several accounts) before any call.
pub async fn create(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (request, label, named) = parse_create(&body)?;
    let account = one(&app, scope.name().or(named.as_deref()))?;
    let api = client(&account)?;
    let code = qr::create(
        &api,
        app.store.as_ref(),
        &account.config.name,
        &request,
        label,
    )
    .await
    .map_err(|err| match err {
        CreateError::Api(err) => upstream(err),
        CreateError::Store(err) => ApiError::Store(err),
    })?;
    let shown = app.config.lists_accounts();
    Ok((
        StatusCode::CREATED,
        Json(code_json(&code, Some(&api), shown)),
    ))
}

/// `GET /api/qrcodes?account=` → `{"qrcodes": [ the code + "subscribes", "scans" ]}`, newest
/// first (every account's without `account`).
pub async fn list(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<Value>, ApiError> {
    let account = filter(&app, scope.name())?;
    let codes = app.store.qrcodes(account.as_deref()).await?;
    let codes: Vec<Value> = codes
        .iter()
        .map(|(code, subscribes, scans)| {
            let api = app.account(&code.account).and_then(|a| a.api.as_deref());
            let mut value = code_json(code, api, app.config.lists_accounts());
            if let Some(object) = value.as_object_mut() {
                object.insert("subscribes".into(), json!(subscribes));
                object.insert("scans".into(), json!(scans));
            }
            value
        })
        .collect();
    Ok(Json(json!({ "qrcodes": codes })))
}

/// `GET /api/qrcodes/{scene}.svg` or `.png` `?account=`: the recorded code drawn from its
/// `url`; without `account`, the one account's code of that scene (400 naming the accounts
/// when several have one).
pub async fn image(
    State(app): State<AppState>,
    Path(file): Path<String>,
    Query(scope): Query<AccountParam>,
) -> Result<Response, ApiError> {
    let (scene, extension) = file.rsplit_once('.').ok_or(ApiError::NotFound)?;
    if extension != "svg" && extension != "png" {
        return Err(ApiError::NotFound);
    }
    let code = match filter(&app, scope.name())? {
        Some(account) => app.store.qrcode(&account, scene).await?,
        None => {
            let mut found: Vec<QrCode> = app
                .store
                .qrcodes(None)
                .await?
                .into_iter()
                .map(|(code, _, _)| code)
                .filter(|code| code.scene == scene)
                .collect();
            if found.len() > 1 {
                let names: Vec<&str> = found.iter().map(|c| c.account.as_str()).collect();
                return Err(ApiError::BadRequest(format!(
                    "account: required: accounts {} each have a code of this scene",
                    names.join(", ")
                )));
            }
            found.pop()
        }
    }
    .ok_or(ApiError::NotFound)?;
    let drawn = if extension == "svg" {
        qr::svg(&code.url).map(|svg| ("image/svg+xml", svg.into_bytes()))
    } else {
        qr::png(&code.url).map(|png| ("image/png", png))
    };
    let (content_type, bytes) = drawn.map_err(|err| {
        tracing::error!(error = %err, "drawing a QR code failed");
        ApiError::Upstream(format!("cannot draw the code: {err}"))
    })?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// The contract's code: `{"scene", "action_name", "ticket", "url", "show_url",
/// "expire_seconds", "expires_at", "label", "created_at"}`, with `"account"` when `account`
/// (a config of `[[accounts]]`).
fn code_json(code: &QrCode, api: Option<&ApiClient>, account: bool) -> Value {
    let value = json!({
        "scene": code.scene,
        "action_name": code.action_name,
        "ticket": code.ticket,
        "url": code.url,
        "show_url": qr::show_url(api, &code.ticket),
        "expire_seconds": code.expire_seconds,
        "expires_at": code.expires_at.as_ref().map(time),
        "label": code.label,
        "created_at": time(&code.created_at),
    });
    super::json::with_account(value, &code.account, account)
}

fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The request body as a checked [`QrRequest`], label and account (its `"account"` field).
/// The scene may be a JSON string or number; every WeChat limit is checked here.
fn parse_create(body: &[u8]) -> Result<(QrRequest, Option<String>, Option<String>), ApiError> {
    let bad = |message: &str| ApiError::BadRequest(message.to_owned());
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("body: not JSON: {e}")))?;
    let fields: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| bad("body: must be a JSON object"))?;
    let field = |name: &str| fields.get(name).filter(|v| !v.is_null());
    let permanent = match field("permanent") {
        None => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| bad("permanent: must be true or false"))?,
    };
    let out_of_range = if permanent {
        QrLimitError::PermanentSceneId
    } else {
        QrLimitError::TemporarySceneId
    };
    let scene = match field("scene") {
        None => return Err(bad("scene: required")),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| n.to_string())
            .ok_or_else(|| ApiError::BadRequest(out_of_range.to_string()))?,
        Some(_) => return Err(bad("scene: must be a string or an integer")),
    };
    let expire_seconds = match field("expire_seconds") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| ApiError::BadRequest(QrLimitError::Expire.to_string()))?,
        ),
    };
    let label = match field("label") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("label: must be a string")),
    };
    let account = match field("account") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("account: must be a string")),
    };
    let request = QrRequest::new(&scene, permanent, expire_seconds)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok((request, label, account))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(body: &str) -> String {
        parse_create(body.as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn numbers_and_strings_are_scenes() {
        let number = parse_create(br#"{"scene": 42}"#).map(|(r, _, _)| r.scene().to_string());
        assert_eq!(number.ok().as_deref(), Some("42"));
        let string = parse_create(br#"{"scene": "poster", "label": "p"}"#).map(|(_, l, _)| l);
        assert_eq!(string.ok().flatten().as_deref(), Some("p"));
        let account = parse_create(br#"{"scene": "p", "account": "two"}"#).map(|(_, _, a)| a);
        assert_eq!(account.ok().flatten().as_deref(), Some("two"));
    }

    #[test]
    fn bad_bodies_name_the_field() {
        assert_eq!(error(r#"{"permanent": true}"#), "scene: required");
        assert_eq!(
            error(r#"{"scene": -1, "permanent": true}"#),
            "scene: a permanent integer scene must be 1..=100000"
        );
        assert_eq!(
            error(r#"{"scene": "a", "expire_seconds": -3}"#),
            "expire_seconds: must be 1..=2592000"
        );
        assert_eq!(
            error(r#"{"scene": "a", "label": 1}"#),
            "label: must be a string"
        );
        assert!(error("[").starts_with("body: not JSON"));
    }
}
