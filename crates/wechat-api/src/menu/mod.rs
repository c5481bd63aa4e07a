//! The custom menu: WeChat's button model, its limits, and create / get / delete.
//!
//! The same serde types read a menu file in JSON (`{"button": [...]}`) or TOML
//! (`[[button]]` / `[[button.sub_button]]`) and serialize to the exact JSON WeChat wants.

mod api;
mod validate;

use serde::{Deserialize, Serialize};

pub use api::MenuView;
pub use validate::{MenuError, MenuProblem};

/// A custom menu: 1 to 3 top-level buttons.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Menu {
    /// The top-level buttons.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 3))]
    pub button: Vec<Button>,
}

/// One button: either a parent with `sub_button` (and only a name) or an action of `type`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Button {
    /// What it does; absent on a parent button.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ButtonType>,
    /// The label (top level ≤ 16 bytes, sub-button ≤ 60 bytes of UTF-8).
    pub name: String,
    /// Event key of click, scancode_*, pic_* and location_select (≤ 128 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Page of view (and fallback of miniprogram) (≤ 1024 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Material of media_id / view_limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// Article of article_id / article_view_limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// Mini program of miniprogram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Mini program page of miniprogram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// Children of a parent button (1 to 5), each a button without `sub_button`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    // Described as objects: a recursive schema trips some OpenAPI tools, and sub-buttons have
    // no sub-buttons of their own anyway.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>, max_items = 5))]
    pub sub_button: Vec<Button>,
}

/// The button types WeChat accepts through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ButtonType {
    /// Pushes a CLICK event with `key`.
    Click,
    /// Opens `url`.
    View,
    /// Scans a code and pushes the result.
    ScancodePush,
    /// Scans a code, pushes the result and shows "waiting".
    ScancodeWaitmsg,
    /// Takes a photo.
    PicSysphoto,
    /// Takes a photo or picks one from the album.
    PicPhotoOrAlbum,
    /// Picks a photo from the WeChat album.
    PicWeixin,
    /// Sends a location.
    LocationSelect,
    /// Sends permanent material `media_id`.
    MediaId,
    /// Opens a published article.
    ArticleId,
    /// Opens a published article (limited view).
    ArticleViewLimited,
    /// Opens a mini program.
    Miniprogram,
    /// Legacy: opens material `media_id`.
    ViewLimited,
}

impl ButtonType {
    /// WeChat's name for it, e.g. `scancode_push`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::View => "view",
            Self::ScancodePush => "scancode_push",
            Self::ScancodeWaitmsg => "scancode_waitmsg",
            Self::PicSysphoto => "pic_sysphoto",
            Self::PicPhotoOrAlbum => "pic_photo_or_album",
            Self::PicWeixin => "pic_weixin",
            Self::LocationSelect => "location_select",
            Self::MediaId => "media_id",
            Self::ArticleId => "article_id",
            Self::ArticleViewLimited => "article_view_limited",
            Self::Miniprogram => "miniprogram",
            Self::ViewLimited => "view_limited",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn toml_and_json_read_the_same_menu() {
        let toml_text = r#"
            [[button]]
            type = "click"
            name = "今日歌曲"
            key = "V1001_TODAY_MUSIC"

            [[button]]
            name = "菜单"
            [[button.sub_button]]
            type = "view"
            name = "搜索"
            url = "http://www.soso.com/"
        "#;
        let from_toml: Result<Menu, _> = toml::from_str(toml_text);
        let json_value = json!({"button": [
            {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
            {"name": "菜单", "sub_button": [{"type": "view", "name": "搜索", "url": "http://www.soso.com/"}]}
        ]});
        let from_json: Result<Menu, _> = serde_json::from_value(json_value.clone());
        assert!(from_toml.is_ok());
        assert_eq!(from_toml.ok(), from_json.ok());
        let menu: Menu = serde_json::from_value(json_value.clone()).unwrap_or_default();
        assert_eq!(serde_json::to_value(&menu).ok(), Some(json_value));
    }

    #[test]
    fn menus_shown_by_wechat_read_back() {
        let shown =
            json!({"button": [{"type": "click", "name": "a", "key": "k", "sub_button": []}]});
        let menu: Result<Menu, _> = serde_json::from_value(shown);
        assert!(menu
            .is_ok_and(|m| m.button[0].sub_button.is_empty()
                && m.button[0].kind == Some(ButtonType::Click)));
    }
}
