//! Every limit of the button model, checked before any call, with errors naming the button.
//!
//! Paths are 0-based: `button[1].sub_button[3].key` is the fourth sub-button of the second
//! top-level button.

use std::fmt;

use super::{Button, ButtonType, Menu};

const MAX_TOP: usize = 3;
const MAX_SUB: usize = 5;
const MAX_TOP_NAME: usize = 16;
const MAX_SUB_NAME: usize = 60;
const MAX_KEY: usize = 128;
const MAX_URL: usize = 1024;

/// A broken limit and where: `Display` gives e.g. `button[1].sub_button[3].key: 129 bytes, at most 128`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct MenuError {
    /// Where, e.g. `button[0].sub_button[2].name`.
    pub path: String,
    /// What is wrong.
    pub problem: MenuProblem,
}

/// What is wrong with a menu or button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuProblem {
    /// Too few or too many buttons at this level.
    Count {
        /// How many there are.
        count: usize,
        /// The least allowed.
        min: usize,
        /// The most allowed.
        max: usize,
    },
    /// A field longer than its limit, in UTF-8 bytes.
    TooLong {
        /// Its length.
        bytes: usize,
        /// Its limit.
        max: usize,
    },
    /// An empty name.
    Empty,
    /// A field the button's type requires is missing or empty.
    Required {
        /// The type that requires it, or `None` for `type` itself.
        kind: Option<ButtonType>,
    },
    /// A field a parent button (one with `sub_button`) must not have.
    OnParent,
    /// A sub-button with sub-buttons of its own.
    Nested,
}

impl fmt::Display for MenuProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count { count, min, max } => write!(f, "{count} buttons, must be {min} to {max}"),
            Self::TooLong { bytes, max } => write!(f, "{bytes} bytes, at most {max}"),
            Self::Empty => f.write_str("must not be empty"),
            Self::Required { kind: Some(kind) } => write!(f, "required for type {}", kind.as_str()),
            Self::Required { kind: None } => f.write_str("required on a button without sub_button"),
            Self::OnParent => f.write_str("not allowed on a button with sub_button"),
            Self::Nested => f.write_str("a sub-button cannot have sub-buttons"),
        }
    }
}

fn error(path: String, problem: MenuProblem) -> MenuError {
    MenuError { path, problem }
}

impl Menu {
    /// Checks every limit of the API: 1–3 top buttons, 1–5 sub-buttons, names ≤ 16 / 60
    /// bytes, key ≤ 128 bytes, url ≤ 1024 bytes and the fields each type requires.
    pub fn validate(&self) -> Result<(), MenuError> {
        count("button", self.button.len(), MAX_TOP)?;
        for (i, button) in self.button.iter().enumerate() {
            let path = format!("button[{i}]");
            length(&path, "name", Some(&button.name), MAX_TOP_NAME)?;
            if button.sub_button.is_empty() {
                leaf(&path, button)?;
                continue;
            }
            let on_parent = [
                ("type", button.kind.is_some()),
                ("key", button.key.is_some()),
                ("url", button.url.is_some()),
                ("media_id", button.media_id.is_some()),
                ("article_id", button.article_id.is_some()),
                ("appid", button.appid.is_some()),
                ("pagepath", button.pagepath.is_some()),
            ];
            if let Some((field, _)) = on_parent.iter().find(|(_, present)| *present) {
                return Err(error(format!("{path}.{field}"), MenuProblem::OnParent));
            }
            count(
                &format!("{path}.sub_button"),
                button.sub_button.len(),
                MAX_SUB,
            )?;
            for (j, sub) in button.sub_button.iter().enumerate() {
                let path = format!("{path}.sub_button[{j}]");
                if !sub.sub_button.is_empty() {
                    return Err(error(format!("{path}.sub_button"), MenuProblem::Nested));
                }
                length(&path, "name", Some(&sub.name), MAX_SUB_NAME)?;
                leaf(&path, sub)?;
            }
        }
        Ok(())
    }
}

fn count(path: &str, count: usize, max: usize) -> Result<(), MenuError> {
    if (1..=max).contains(&count) {
        return Ok(());
    }
    Err(error(
        path.to_owned(),
        MenuProblem::Count { count, min: 1, max },
    ))
}

fn length(path: &str, field: &str, value: Option<&String>, max: usize) -> Result<(), MenuError> {
    match value {
        Some(value) if value.len() > max => Err(error(
            format!("{path}.{field}"),
            MenuProblem::TooLong {
                bytes: value.len(),
                max,
            },
        )),
        Some(value) if field == "name" && value.is_empty() => {
            Err(error(format!("{path}.{field}"), MenuProblem::Empty))
        }
        _ => Ok(()),
    }
}

/// Checks an action button: its type, the fields that type requires, and field lengths.
fn leaf(path: &str, button: &Button) -> Result<(), MenuError> {
    length(path, "key", button.key.as_ref(), MAX_KEY)?;
    length(path, "url", button.url.as_ref(), MAX_URL)?;
    let Some(kind) = button.kind else {
        return Err(error(
            format!("{path}.type"),
            MenuProblem::Required { kind: None },
        ));
    };
    let present = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
    let required: &[(&str, bool)] = match kind {
        ButtonType::Click
        | ButtonType::ScancodePush
        | ButtonType::ScancodeWaitmsg
        | ButtonType::PicSysphoto
        | ButtonType::PicPhotoOrAlbum
        | ButtonType::PicWeixin
        | ButtonType::LocationSelect => &[("key", present(&button.key))],
        ButtonType::View => &[("url", present(&button.url))],
        ButtonType::Miniprogram => &[
            ("url", present(&button.url)),
            ("appid", present(&button.appid)),
            ("pagepath", present(&button.pagepath)),
        ],
        ButtonType::MediaId | ButtonType::ViewLimited => &[("media_id", present(&button.media_id))],
        ButtonType::ArticleId | ButtonType::ArticleViewLimited => {
            &[("article_id", present(&button.article_id))]
        }
    };
    match required.iter().find(|(_, ok)| !ok) {
        Some((field, _)) => Err(error(
            format!("{path}.{field}"),
            MenuProblem::Required { kind: Some(kind) },
        )),
        None => Ok(()),
    }
}
