//! `POST /cgi-bin/media/upload?access_token=&type=`: a temporary media upload, multipart as
//! WeChat takes it (the file in the part named `media`). Answered as WeChat does
//! (`{"type", "media_id", "created_at"}`), recorded in `/mock/sent` as a summary
//! (`{"type", "content_type", "media": {"filename", "content_type", "size"}}`) and kept byte
//! for byte for tests ([`MockState::uploads`](crate::MockState::uploads)).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::WxError;
use crate::state::{MockState, Upload};

/// One part of a `multipart/form-data` body.
struct Part<'a> {
    name: Option<String>,
    filename: Option<String>,
    content_type: Option<String>,
    data: &'a [u8],
}

/// The boundary of a `multipart/form-data` Content-Type.
fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A header parameter such as `name="media"` of a Content-Disposition.
fn param(disposition: &str, key: &str) -> Option<String> {
    disposition
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}

/// The parts of `body` between `--boundary` lines; None when it is not well formed.
fn parts<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("\r\n--{boundary}");
    // The first delimiter has no CRLF before it.
    let start = find(body, &delimiter.as_bytes()[2..])?;
    let mut rest = &body[start + delimiter.len() - 2..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(parts); // the closing delimiter
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let end = find(rest, delimiter.as_bytes())?;
        let part = &rest[..end];
        rest = &rest[end + delimiter.len()..];
        let split = find(part, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&part[..split]).ok()?;
        let mut found = Part {
            name: None,
            filename: None,
            content_type: None,
            data: &part[split + 4..],
        };
        for line in head.split("\r\n") {
            let (name, value) = line.split_once(':')?;
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                found.name = param(value, "name");
                found.filename = param(value, "filename");
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                found.content_type = Some(value.trim().to_owned());
            }
        }
        parts.push(found);
    }
}

/// `POST /cgi-bin/media/upload?access_token=&type=image|voice|video|thumb`.
pub async fn upload(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
    raw_query: axum::extract::RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = (|| -> Result<Response, WxError> {
        state.begin_call(false)?;
        state.check_token(query.get("access_token").map(String::as_str))?;
        let kind = query.get("type").map(String::as_str).unwrap_or("");
        if !matches!(kind, "image" | "voice" | "video" | "thumb") {
            return Err(WxError(40004));
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let boundary = boundary(&content_type).ok_or(WxError(41005))?;
        let parts = parts(&body, &boundary).ok_or(WxError(41005))?;
        let media = parts
            .iter()
            .find(|p| p.name.as_deref() == Some("media") && !p.data.is_empty())
            .ok_or(WxError(41005))?;
        let summary = json!({
            "type": kind,
            "content_type": content_type,
            "media": {
                "filename": media.filename,
                "content_type": media.content_type,
                "size": media.data.len(),
            },
        });
        let media_id = state.next_media_id();
        state.record("POST", "/cgi-bin/media/upload", summary);
        state.keep_upload(Upload {
            query: raw_query.0.unwrap_or_default(),
            content_type,
            body: body.to_vec(),
        });
        let created_at = chrono::Utc::now().timestamp();
        let answer: Value = json!({ "type": kind, "media_id": media_id, "created_at": created_at });
        Ok(Json(answer).into_response())
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_multipart_body() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(boundary("application/json"), None);
        let body = b"--xy\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\n\
Content-Type: image/png\r\n\r\n\x89PNG\r\n--x\r\n--xy\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--xy--\r\n";
        let found = parts(body, "xy").expect("well formed");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name.as_deref(), Some("media"));
        assert_eq!(found[0].filename.as_deref(), Some("a.png"));
        assert_eq!(found[0].content_type.as_deref(), Some("image/png"));
        assert_eq!(found[0].data, b"\x89PNG\r\n--x");
        assert_eq!(found[1].data, b"hi");
        assert!(parts(b"--xy\r\nno end", "xy").is_none());
    }
}
