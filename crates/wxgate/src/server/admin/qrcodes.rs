//! `POST /api/qrcodes`, `GET /api/qrcodes`, `GET /api/qrcodes/{scene}.svg` / `.png`.
//!
//! Creating needs the API client (503 without an appsecret); listing and drawing read only
//! the store, so recorded codes stay visible whatever the config.
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::ToSchema;
use wechat_api::{ApiClient, QrLimitError, QrRequest};

use super::accounts::{filter, one, AccountParam};
use super::json::{time, ErrorBody};
use super::wechat::{client, upstream};
use super::ApiError;
use crate::qr::{self, CreateError};
use crate::server::state::AppState;
use crate::store::{QrCode, QrCodeTotals};

/// A new parameterised QR code: `scene` and WeChat's limits on it. A 400 names the field or
/// limit at fault.
// Its fields are taken as raw JSON and checked one by one by `parse_create`, for that 400.
#[derive(Deserialize, ToSchema)]
pub struct NewQrCode {
    /// an integer (QR_SCENE / QR_LIMIT_SCENE: 1..=4294967295, permanent 1..=100000) or any
    /// other string of 1..=64 printable ASCII characters (QR_STR_SCENE / QR_LIMIT_STR_SCENE)
    #[schema(schema_with = scene_schema, required)]
    scene: Option<Value>,
    /// a permanent code (default: temporary); takes no `expire_seconds`
    #[schema(value_type = Option<bool>)]
    permanent: Option<Value>,
    /// lifetime of a temporary code in seconds (default 2592000)
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 2592000)]
    expire_seconds: Option<Value>,
    /// a name for the code (which poster it is on)
    #[schema(value_type = Option<String>)]
    label: Option<Value>,
    /// the account to create it for (instead of the `account` query parameter; required
    /// with several accounts)
    #[schema(value_type = Option<String>)]
    account: Option<Value>,
}

/// `scene` of [`NewQrCode`]: a positive 32-bit integer or a printable ASCII string.
fn scene_schema() -> Schema {
    let id = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(u32::MAX));
    let text = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(64))
        // printable ASCII; a number in digits is an integer scene (not 0, at most 9 digits here)
        .pattern(Some("^(?!0$)(?![1-9][0-9]{9,}$)[!-~]+$"));
    Schema::OneOf(OneOfBuilder::new().item(id).item(text).build())
}

/// A recorded QR code.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = QrCode)]
pub struct QrCodeJson {
    /// the account it was created for (only when the config lists `[[accounts]]`)
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    /// the scene (always a string)
    scene: String,
    /// QR_SCENE / QR_STR_SCENE / QR_LIMIT_SCENE / QR_LIMIT_STR_SCENE
    action_name: String,
    /// WeChat's ticket
    ticket: String,
    /// the content of the code
    url: String,
    /// WeChat's address of the code's image
    show_url: String,
    /// lifetime in seconds; null for a permanent code
    expire_seconds: Option<i64>,
    /// when a temporary code expires (RFC 3339 UTC); null for a permanent code
    #[schema(format = DateTime)]
    expires_at: Option<String>,
    /// the code's name
    label: Option<String>,
    /// when it was created (RFC 3339 UTC)
    #[schema(format = DateTime)]
    created_at: String,
}

/// A recorded QR code with its scene's anonymous counters.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedQrCode {
    #[serde(flatten)]
    code: QrCodeJson,
    /// follows through the code
    subscribes: i64,
    /// scans by users who already followed
    scans: i64,
    /// unfollows of users who came through the code
    unsubscribes: i64,
}

/// `GET /api/qrcodes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct QrCodes {
    /// the recorded codes, newest first
    qrcodes: Vec<ListedQrCode>,
}

/// `POST /api/qrcodes?account=` `{"scene", "permanent", "expire_seconds", "label",
/// "account"}` → 201 with the code; 400 naming the limit at fault (or `account`, required with
/// several accounts) before any call.
#[utoipa::path(post, path = "/qrcodes", tag = "qrcodes", request_body = NewQrCode,
    params(AccountParam),
    responses(
        (status = 201, description = "the code, created through WeChat and recorded", body = QrCodeJson),
        (status = 400, description = "the field or WeChat limit at fault", body = ErrorBody),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn create(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
    body: Bytes,
) -> Result<(StatusCode, Json<QrCodeJson>), ApiError> {
    let (request, label, named) = parse_create(&body)?;
    let account = one(&app, scope.name().or(named.as_deref()))?;
    let api = client(&account)?;
    let name = &account.config.name;
    let code = qr::create(&api, app.store.as_ref(), name, &request, label)
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

/// `GET /api/qrcodes?account=` → `{"qrcodes": [ the code + "subscribes", "scans",
/// "unsubscribes" ]}`, newest first (every account's without `account`).
#[utoipa::path(get, path = "/qrcodes", tag = "qrcodes", params(AccountParam),
    responses(
        (status = 200, description = "the recorded codes with their counters", body = QrCodes),
        (status = 400, description = "an unknown account", body = ErrorBody),
    ))]
pub async fn list(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<QrCodes>, ApiError> {
    let account = filter(&app, scope.name())?;
    let codes = app.store.qrcodes(account.as_deref()).await?;
    let shown = app.config.lists_accounts();
    let qrcodes = codes
        .iter()
        .map(|t: &QrCodeTotals| ListedQrCode {
            code: {
                let api = app.account(&t.code.account).and_then(|a| a.api());
                code_json(&t.code, api.as_deref(), shown)
            },
            subscribes: t.subscribes,
            scans: t.scans,
            unsubscribes: t.unsubscribes,
        })
        .collect();
    Ok(Json(QrCodes { qrcodes }))
}

/// `GET /api/qrcodes/{scene}.svg` or `.png` `?account=`: the recorded code drawn from its
/// `url`; without `account`, the one account's code of that scene (400 naming the accounts
/// when several have one).
#[utoipa::path(get, path = "/qrcodes/{file}", tag = "qrcodes",
    params(("file" = String, Path, description = "`SCENE.svg` or `SCENE.png`",
        pattern = r"^.+\.(svg|png)$", example = "42.svg"), AccountParam),
    responses(
        (status = 400, description = "several accounts have a code of the scene, or an unknown account", body = ErrorBody),
        (status = 200, description = "the code drawn locally from its `url`",
            content((String = "image/svg+xml"), (Vec<u8> = "image/png"))),
        // (binary bodies are strings of their media type in the document: see openapi.rs)
        (status = 404, description = "no code recorded for the scene, or another extension", body = ErrorBody),
        (status = 502, description = "the code could not be drawn", body = ErrorBody),
    ))]
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
                .map(|totals| totals.code)
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
/// "expire_seconds", "expires_at", "label", "created_at"}`, with `"account"` when `shown` (a
/// config of `[[accounts]]`).
fn code_json(code: &QrCode, api: Option<&ApiClient>, shown: bool) -> QrCodeJson {
    QrCodeJson {
        account: shown.then(|| code.account.clone()),
        scene: code.scene.clone(),
        action_name: code.action_name.clone(),
        ticket: code.ticket.clone(),
        url: code.url.clone(),
        show_url: qr::show_url(api, &code.ticket),
        expire_seconds: code.expire_seconds,
        expires_at: code.expires_at.as_ref().map(time),
        label: code.label.clone(),
        created_at: time(&code.created_at),
    }
}

/// The request body as a checked [`QrRequest`], label and account (its `"account"` field).
/// The scene may be a JSON string or number; every WeChat limit is checked here.
fn parse_create(body: &[u8]) -> Result<(QrRequest, Option<String>, Option<String>), ApiError> {
    let bad = |message: &str| ApiError::BadRequest(message.to_owned());
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("body: not JSON: {e}")))?;
    if !value.is_object() {
        return Err(bad("body: must be a JSON object"));
    }
    let fields: NewQrCode =
        serde_json::from_value(value).map_err(|e| ApiError::BadRequest(format!("body: {e}")))?;
    let permanent = match &fields.permanent {
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
    let scene = match &fields.scene {
        None => return Err(bad("scene: required")),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| n.to_string())
            .ok_or_else(|| ApiError::BadRequest(out_of_range.to_string()))?,
        Some(_) => return Err(bad("scene: must be a string or an integer")),
    };
    let expire_seconds = match &fields.expire_seconds {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| ApiError::BadRequest(QrLimitError::Expire.to_string()))?,
        ),
    };
    let label = match &fields.label {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("label: must be a string")),
    };
    let account = match &fields.account {
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
