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

/// The `media` part of a `multipart/form-data` body (WeChat's field name for the file).
#[derive(Debug, PartialEq, Eq)]
struct Media {
    filename: Option<String>,
    content_type: Option<String>,
    size: usize,
}

/// The non-empty `media` part of `body`, parsed by `multer` (axum's multipart parser); None
/// when the Content-Type is not multipart, the body is not well formed or has no such part.
async fn media_part(content_type: &str, body: Bytes) -> Option<Media> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Some(field) = multipart.next_field().await.ok()? {
        if field.name() != Some("media") {
            continue;
        }
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let data = field.bytes().await.ok()?;
        if data.is_empty() {
            return None;
        }
        return Some(Media {
            filename,
            content_type,
            size: data.len(),
        });
    }
    None
}

/// `POST /cgi-bin/media/upload?access_token=&type=image|voice|video|thumb`.
pub async fn upload(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
    raw_query: axum::extract::RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let checked = (|| -> Result<String, WxError> {
        state.begin_call(false)?;
        state.check_token(query.get("access_token").map(String::as_str))?;
        let kind = query.get("type").map(String::as_str).unwrap_or("");
        if !matches!(kind, "image" | "voice" | "video" | "thumb") {
            return Err(WxError(40004));
        }
        Ok(kind.to_owned())
    })();
    let kind = match checked {
        Ok(kind) => kind,
        Err(error) => return error.into_response(),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let Some(media) = media_part(&content_type, body.clone()).await else {
        return WxError(41005).into_response();
    };
    let summary = json!({
        "type": kind,
        "content_type": content_type,
        "media": {
            "filename": media.filename,
            "content_type": media.content_type,
            "size": media.size,
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
    Json(answer).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn finds_the_media_part() {
        let body = Bytes::from_static(
            b"--xy\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
--xy\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\n\
Content-Type: image/png\r\n\r\n\x89PNG\r\n--x\r\n--xy--\r\n",
        );
        let found = media_part("multipart/form-data; boundary=\"xy\"", body.clone()).await;
        assert_eq!(
            found,
            Some(Media {
                filename: Some("a.png".into()),
                content_type: Some("image/png".into()),
                size: 9, // \x89 P N G \r \n - - x
            })
        );
        assert_eq!(media_part("application/json", body).await, None);
        let unfinished = Bytes::from_static(b"--xy\r\nno end");
        assert_eq!(
            media_part("multipart/form-data; boundary=xy", unfinished).await,
            None
        );
    }
}
