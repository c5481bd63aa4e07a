//! Parametric ("channel") QR codes: `POST /cgi-bin/qrcode/create` and the showqrcode address.
//!
//! A scene is an integer when it is written in canonical decimal (digits, no leading zero
//! unless it is `0`), and a string otherwise, so that `qrscene_` + the scene in the pushed
//! EventKey reads back exactly as written (`"007"` stays the string `007`). String scenes
//! are 1..=64 visible ASCII characters (`!`..=`~`): the doc does not say whether its limit
//! counts bytes or characters, and a space or non-ASCII character is not worth the risk.

use std::fmt;

use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::ApiClient;
use crate::config::OFFICIAL_BASE_URL;
use crate::error::ApiError;

/// Largest temporary integer scene (wxgate rule: the doc's "non-zero 32-bit" read as unsigned).
pub const MAX_TEMPORARY_SCENE_ID: u64 = 4_294_967_295;
/// Largest permanent integer scene.
pub const MAX_PERMANENT_SCENE_ID: u64 = 100_000;
/// Longest string scene, in characters.
pub const MAX_SCENE_STR_CHARS: usize = 64;
/// Longest lifetime of a temporary code, and the lifetime sent when none is given (30 days).
pub const MAX_EXPIRE_SECONDS: u32 = 2_592_000;

/// A scene value: what the code carries back in the follow / scan push.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QrScene {
    /// `scene_id`: QR_SCENE / QR_LIMIT_SCENE.
    Id(u64),
    /// `scene_str`: QR_STR_SCENE / QR_LIMIT_STR_SCENE.
    Str(String),
}

impl QrScene {
    /// Reads a scene as written by a user: canonical decimal → integer, else string.
    /// Only the kind is decided here; limits are checked by [`QrRequest::new`].
    pub fn parse(scene: &str) -> Result<Self, QrLimitError> {
        if scene.is_empty() {
            return Err(QrLimitError::EmptyScene);
        }
        let canonical =
            scene.bytes().all(|b| b.is_ascii_digit()) && (scene == "0" || !scene.starts_with('0'));
        if canonical {
            // Too many digits for u64 is simply out of range.
            return Ok(Self::Id(scene.parse().unwrap_or(u64::MAX)));
        }
        Ok(Self::Str(scene.to_owned()))
    }
}

impl fmt::Display for QrScene {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Str(s) => f.write_str(s),
        }
    }
}

/// The four kinds of parametric code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QrAction {
    /// Temporary, integer scene.
    #[serde(rename = "QR_SCENE")]
    Scene,
    /// Temporary, string scene.
    #[serde(rename = "QR_STR_SCENE")]
    StrScene,
    /// Permanent, integer scene.
    #[serde(rename = "QR_LIMIT_SCENE")]
    LimitScene,
    /// Permanent, string scene.
    #[serde(rename = "QR_LIMIT_STR_SCENE")]
    LimitStrScene,
}

impl QrAction {
    /// WeChat's name, e.g. `QR_LIMIT_STR_SCENE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scene => "QR_SCENE",
            Self::StrScene => "QR_STR_SCENE",
            Self::LimitScene => "QR_LIMIT_SCENE",
            Self::LimitStrScene => "QR_LIMIT_STR_SCENE",
        }
    }
}

/// A limit of the QR code API that a request breaks; `Display` names the field and limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrLimitError {
    /// An empty scene.
    #[error("scene: must not be empty")]
    EmptyScene,
    /// A temporary integer scene outside 1..=4294967295.
    #[error("scene: a temporary integer scene must be 1..={MAX_TEMPORARY_SCENE_ID}")]
    TemporarySceneId,
    /// A permanent integer scene outside 1..=100000.
    #[error("scene: a permanent integer scene must be 1..={MAX_PERMANENT_SCENE_ID}")]
    PermanentSceneId,
    /// A string scene longer than 64 characters.
    #[error("scene: a string scene must be 1..={MAX_SCENE_STR_CHARS} characters, got {0}")]
    SceneStrLength(usize),
    /// A string scene with a character other than visible ASCII.
    #[error("scene: a string scene must be visible ASCII (! to ~), no spaces")]
    SceneStrCharacters,
    /// An expiry outside 1..=2592000 seconds.
    #[error("expire_seconds: must be 1..={MAX_EXPIRE_SECONDS}")]
    Expire,
    /// An expiry given for a permanent code.
    #[error("expire_seconds: a permanent code does not expire")]
    PermanentExpire,
}

impl QrLimitError {
    /// The request field at fault, as `Display` names it: `scene` or `expire_seconds`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Expire | Self::PermanentExpire => "expire_seconds",
            _ => "scene",
        }
    }
}

/// A QR code request that keeps to every limit; build it with [`QrRequest::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrRequest {
    scene: QrScene,
    expire_seconds: Option<u32>,
}

impl QrRequest {
    /// Checks a request: `scene` as the user wrote it, `permanent`, and `expire_seconds`
    /// (temporary only; default 2592000).
    pub fn new(
        scene: &str,
        permanent: bool,
        expire_seconds: Option<u64>,
    ) -> Result<Self, QrLimitError> {
        let scene = QrScene::parse(scene)?;
        match &scene {
            QrScene::Id(id) if permanent && !(1..=MAX_PERMANENT_SCENE_ID).contains(id) => {
                return Err(QrLimitError::PermanentSceneId)
            }
            QrScene::Id(id) if !(1..=MAX_TEMPORARY_SCENE_ID).contains(id) => {
                return Err(QrLimitError::TemporarySceneId)
            }
            QrScene::Str(s) if s.chars().count() > MAX_SCENE_STR_CHARS => {
                return Err(QrLimitError::SceneStrLength(s.chars().count()))
            }
            QrScene::Str(s) if !s.bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(QrLimitError::SceneStrCharacters)
            }
            _ => {}
        }
        let expire_seconds = match (permanent, expire_seconds) {
            (true, Some(_)) => return Err(QrLimitError::PermanentExpire),
            (true, None) => None,
            (false, None) => Some(MAX_EXPIRE_SECONDS),
            (false, Some(s)) => Some(
                u32::try_from(s)
                    .ok()
                    .filter(|s| (1..=MAX_EXPIRE_SECONDS).contains(s))
                    .ok_or(QrLimitError::Expire)?,
            ),
        };
        Ok(Self {
            scene,
            expire_seconds,
        })
    }

    /// The scene.
    pub fn scene(&self) -> &QrScene {
        &self.scene
    }

    /// The lifetime asked for; `None` for a permanent code.
    pub fn expire_seconds(&self) -> Option<u32> {
        self.expire_seconds
    }

    /// Which kind of code this is.
    pub fn action(&self) -> QrAction {
        match (&self.scene, self.expire_seconds.is_some()) {
            (QrScene::Id(_), true) => QrAction::Scene,
            (QrScene::Str(_), true) => QrAction::StrScene,
            (QrScene::Id(_), false) => QrAction::LimitScene,
            (QrScene::Str(_), false) => QrAction::LimitStrScene,
        }
    }

    /// The JSON body WeChat wants.
    pub fn to_json(&self) -> Value {
        let scene = match &self.scene {
            QrScene::Id(id) => json!({ "scene_id": id }),
            QrScene::Str(s) => json!({ "scene_str": s }),
        };
        let mut body =
            json!({ "action_name": self.action().as_str(), "action_info": { "scene": scene } });
        if let (Some(seconds), Some(object)) = (self.expire_seconds, body.as_object_mut()) {
            object.insert("expire_seconds".into(), json!(seconds));
        }
        body
    }
}

/// A code WeChat created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrCode {
    /// The ticket, to fetch the picture with (showqrcode).
    pub ticket: String,
    /// The content of the code, to draw it locally.
    pub url: String,
    /// Lifetime of a temporary code; `None` for a permanent one.
    pub expire_seconds: Option<u32>,
    /// Which kind of code it is.
    pub action_name: QrAction,
}

#[derive(Deserialize)]
struct CreateAnswer {
    ticket: String,
    url: String,
    expire_seconds: Option<u32>,
}

impl ApiClient {
    /// Creates a code (`POST /cgi-bin/qrcode/create`).
    pub async fn create_qrcode(&self, request: &QrRequest) -> Result<QrCode, ApiError> {
        let body = request.to_json();
        let answer: CreateAnswer = self
            .authed_json(Method::POST, "cgi-bin/qrcode/create", &[], Some(&body))
            .await?;
        let permanent = request.expire_seconds.is_none();
        Ok(QrCode {
            ticket: answer.ticket,
            url: answer.url,
            expire_seconds: if permanent {
                None
            } else {
                answer.expire_seconds.or(request.expire_seconds)
            },
            action_name: request.action(),
        })
    }

    /// The address of the code's picture: `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=…`
    /// with the ticket percent-encoded, or the base URL's `cgi-bin/showqrcode` when the client
    /// is not pointed at the official API (the mock serves it there).
    pub fn showqrcode_url(&self, ticket: &str) -> String {
        let base = self.transport.base();
        let official = Url::parse(OFFICIAL_BASE_URL)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        let mut url = if base.host_str() == official.as_deref() {
            // Invariant: a constant, valid URL.
            Url::parse("https://mp.weixin.qq.com/cgi-bin/showqrcode")
                .unwrap_or_else(|_| base.clone())
        } else {
            base.join("cgi-bin/showqrcode")
                .unwrap_or_else(|_| base.clone())
        };
        url.query_pairs_mut().append_pair("ticket", ticket);
        url.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_scene_and_permanence() {
        let action = |scene, permanent| QrRequest::new(scene, permanent, None).map(|r| r.action());
        assert_eq!(action("123", false), Ok(QrAction::Scene));
        assert_eq!(action("123", true), Ok(QrAction::LimitScene));
        assert_eq!(action("poster-1", false), Ok(QrAction::StrScene));
        assert_eq!(action("poster-1", true), Ok(QrAction::LimitStrScene));
        assert_eq!(action("007", true), Ok(QrAction::LimitStrScene));
    }

    #[test]
    fn bodies_are_what_wechat_wants() {
        let temporary = QrRequest::new("123", false, Some(604800)).map(|r| r.to_json());
        let expected = json!({"expire_seconds": 604800, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}});
        assert_eq!(temporary, Ok(expected));
        let permanent = QrRequest::new("test", true, None).map(|r| r.to_json());
        let expected = json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "test"}}});
        assert_eq!(permanent, Ok(expected));
        let default = QrRequest::new("x", false, None).map(|r| r.expire_seconds());
        assert_eq!(default, Ok(Some(MAX_EXPIRE_SECONDS)));
    }

    #[test]
    fn errors_name_the_limit() {
        let err = QrRequest::new("100001", true, None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("scene: a permanent integer scene must be 1..=100000")
        );
    }
}
