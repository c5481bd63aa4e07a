//! `POST /api/messages/template`'s body, checked field by field (a 400 names the field).
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use wechat_api::TemplateMessage;

use crate::store::NewMessage;

/// Longest `idempotency_key` accepted.
pub const MAX_KEY: usize = 128;
/// Longest openid or template id accepted (real ones are 28 and 43 characters).
const MAX_ID: usize = 128;

/// A checked template message request.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRequest {
    /// what is sent to WeChat
    pub message: TemplateMessage,
    /// the caller's key: the same key → the same message, sent once
    pub idempotency_key: Option<String>,
}

/// Why a request was refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// the field at fault, e.g. `data.thing1.value`
    pub field: String,
    /// what is wrong
    pub problem: &'static str,
}

fn bad(field: impl Into<String>, problem: &'static str) -> FieldError {
    FieldError {
        field: field.into(),
        problem,
    }
}

impl TemplateRequest {
    /// Reads `{"touser", "template_id", "url", "miniprogram", "data", "idempotency_key"}`.
    pub fn parse(body: &Value) -> Result<Self, FieldError> {
        let object = body
            .as_object()
            .ok_or_else(|| bad("body", "must be a JSON object"))?;
        let touser = id(object, "touser")?;
        let template_id = id(object, "template_id")?;
        let url = optional_text(object, "url")?;
        if let Some(url) = &url {
            let parsed = reqwest::Url::parse(url).map_err(|_| bad("url", "not a URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(bad("url", "must be an http(s) URL"));
            }
        }
        let miniprogram = match object.get("miniprogram") {
            None | Some(Value::Null) => None,
            Some(Value::Object(mp)) => {
                for key in ["appid", "pagepath"] {
                    if mp
                        .get(key)
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                    {
                        return Err(bad(format!("miniprogram.{key}"), "required, a string"));
                    }
                }
                Some(Value::Object(mp.clone()))
            }
            Some(_) => return Err(bad("miniprogram", "must be an object {appid, pagepath}")),
        };
        let data = match object.get("data") {
            Some(Value::Object(data)) if !data.is_empty() => data,
            Some(_) => {
                return Err(bad(
                    "data",
                    "must be a non-empty object of {\"value\": ...}",
                ))
            }
            None => return Err(bad("data", "required")),
        };
        for (name, field) in data {
            let value = field.get("value");
            if !field.is_object() || !value.is_some_and(|v| v.is_string() || v.is_number()) {
                return Err(bad(format!("data.{name}.value"), "required, a string"));
            }
        }
        let idempotency_key = optional_text(object, "idempotency_key")?;
        if idempotency_key
            .as_ref()
            .is_some_and(|k| k.is_empty() || k.chars().count() > MAX_KEY)
        {
            return Err(bad("idempotency_key", "must be 1 to 128 characters"));
        }
        Ok(TemplateRequest {
            message: TemplateMessage {
                touser,
                template_id,
                url,
                miniprogram,
                data: Value::Object(data.clone()),
                client_msg_id: None,
            },
            idempotency_key,
        })
    }

    /// The row to queue from `account`, at `now`.
    pub fn to_new(&self, account: &str, now: DateTime<Utc>) -> NewMessage {
        NewMessage {
            account: account.to_owned(),
            openid: self.message.touser.clone(),
            template_id: self.message.template_id.clone(),
            idempotency_key: self.idempotency_key.clone(),
            payload: serde_json::to_string(&self.message).unwrap_or_default(),
            created_at: now,
        }
    }
}

/// A required identifier: a non-empty string of printable ASCII without spaces.
fn id(object: &Map<String, Value>, field: &str) -> Result<String, FieldError> {
    let value = match object.get(field) {
        None | Some(Value::Null) => return Err(bad(field, "required")),
        Some(Value::String(s)) => s,
        Some(_) => return Err(bad(field, "must be a string")),
    };
    if value.is_empty() || value.len() > MAX_ID || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(field, "must be 1 to 128 visible ASCII characters"));
    }
    Ok(value.clone())
}

fn optional_text(object: &Map<String, Value>, field: &str) -> Result<Option<String>, FieldError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(field, "must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ok() -> Value {
        json!({"touser": "o1", "template_id": "T1", "data": {"thing1": {"value": "hi"}}})
    }

    #[test]
    fn a_minimal_request_is_read() {
        let request = TemplateRequest::parse(&ok()).expect("valid");
        assert_eq!(request.message.touser, "o1");
        assert_eq!(request.idempotency_key, None);
        let payload: Value =
            serde_json::from_str(&request.to_new("default", Utc::now()).payload).expect("JSON");
        assert_eq!(payload["data"]["thing1"]["value"], "hi");
        assert!(payload.get("url").is_none());
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            ("touser", json!(null), "touser"),
            ("touser", json!(""), "touser"),
            ("template_id", json!(5), "template_id"),
            ("data", json!({}), "data"),
            ("data", json!({"a": "x"}), "data.a.value"),
            ("url", json!("ftp://x"), "url"),
            (
                "miniprogram",
                json!({"appid": "wx1"}),
                "miniprogram.pagepath",
            ),
            ("idempotency_key", json!(""), "idempotency_key"),
        ];
        for (field, value, named) in cases {
            let mut body = ok();
            body[field] = value;
            let err = TemplateRequest::parse(&body).expect_err(field);
            assert_eq!(err.field, named, "{body}");
        }
        assert!(TemplateRequest::parse(&json!([])).is_err());
    }
}
