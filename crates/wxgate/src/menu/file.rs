//! A menu from a file or request body, TOML or JSON; a syntax or type error names where it is
//! (`button[1].type: unknown variant ...`), and the menu is validated against WeChat's limits
//! (`button[1].sub_button[3].key: 129 bytes, at most 128`).
use std::path::{Path, PathBuf};

use wechat_api::Menu;

/// How a menu is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"button": [...]}`
    Json,
    /// `[[button]]` / `[[button.sub_button]]`
    Toml,
}

impl Format {
    /// By extension (`.json`, `.toml`), else by content (JSON starts with `{`).
    pub fn detect(path: &Path, text: &str) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            Some(ext) if ext.eq_ignore_ascii_case("toml") => Format::Toml,
            _ if text.trim_start().starts_with('{') => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// A menu that could not be read or breaks a limit.
#[derive(Debug, thiserror::Error)]
pub enum MenuFileError {
    /// The file cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// the file
        path: PathBuf,
        /// why
        source: std::io::Error,
    },
    /// Not a menu in that format; names the place (`button[0].type: ...`).
    #[error("{0}")]
    Syntax(String),
    /// A WeChat limit is broken; names the button.
    #[error("{0}")]
    Invalid(#[from] wechat_api::MenuError),
}

/// Reads and validates the menu in `path`.
pub fn read(path: &Path) -> Result<Menu, MenuFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| MenuFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, Format::detect(path, &text))
}

/// Parses and validates a menu written in `format`.
pub fn parse(text: &str, format: Format) -> Result<Menu, MenuFileError> {
    let menu: Menu = match format {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut de)
                .map_err(|e| located(e.path(), &e.inner().to_string()))?
        }
        Format::Toml => {
            serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|e| {
                let inner = e.inner();
                let message = match inner.span() {
                    Some(span) => {
                        format!("{} (line {})", inner.message(), line_of(text, span.start))
                    }
                    None => inner.message().to_owned(),
                };
                located(e.path(), &message)
            })?
        }
    };
    unknown_keys(text, format)?;
    menu.validate()?;
    Ok(menu)
}

/// The keys a button may have (WeChat's button model; [`wechat_api::Button`]'s fields).
const BUTTON_KEYS: [&str; 9] = [
    "type",
    "name",
    "key",
    "url",
    "media_id",
    "article_id",
    "appid",
    "pagepath",
    "sub_button",
];

/// A key the button model does not have would be dropped silently: name it and its button.
fn unknown_keys(text: &str, format: Format) -> Result<(), MenuFileError> {
    let value: serde_json::Value = match format {
        Format::Json => {
            serde_json::from_str(text).map_err(|e| MenuFileError::Syntax(e.to_string()))?
        }
        Format::Toml => toml::from_str::<toml::Value>(text)
            .map_err(|e| MenuFileError::Syntax(e.message().to_owned()))
            .and_then(|v| {
                serde_json::to_value(v).map_err(|e| MenuFileError::Syntax(e.to_string()))
            })?,
    };
    let Some(top) = value.as_object() else {
        return Ok(());
    };
    if let Some(key) = top.keys().find(|k| *k != "button") {
        return Err(MenuFileError::Syntax(format!(
            "{key}: unknown key (a menu file holds only button)"
        )));
    }
    let buttons = top.get("button").and_then(|b| b.as_array());
    for (i, button) in buttons.into_iter().flatten().enumerate() {
        check_button(button, &format!("button[{i}]"))?;
    }
    Ok(())
}

fn check_button(button: &serde_json::Value, at: &str) -> Result<(), MenuFileError> {
    let Some(fields) = button.as_object() else {
        return Ok(());
    };
    if let Some(key) = fields.keys().find(|k| !BUTTON_KEYS.contains(&k.as_str())) {
        return Err(MenuFileError::Syntax(format!(
            "{at}: unknown key {key:?} (a button has {})",
            BUTTON_KEYS.join(", ")
        )));
    }
    let subs = fields.get("sub_button").and_then(|b| b.as_array());
    for (j, sub) in subs.into_iter().flatten().enumerate() {
        check_button(sub, &format!("{at}.sub_button[{j}]"))?;
    }
    Ok(())
}

/// `path: message`, or the message alone for an error outside any field.
fn located(path: &serde_path_to_error::Path, message: &str) -> MenuFileError {
    let path = path.to_string();
    let message = message.trim();
    if path.is_empty() || path == "." {
        MenuFileError::Syntax(message.to_owned())
    } else {
        MenuFileError::Syntax(format!("{path}: {message}"))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |head| head.bytes().filter(|b| *b == b'\n').count())
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_by_extension_then_content() {
        assert_eq!(Format::detect(Path::new("m.json"), ""), Format::Json);
        assert_eq!(Format::detect(Path::new("m.TOML"), "{"), Format::Toml);
        assert_eq!(
            Format::detect(Path::new("menu"), " {\"button\":[]}"),
            Format::Json
        );
        assert_eq!(
            Format::detect(Path::new("menu"), "[[button]]"),
            Format::Toml
        );
    }

    #[test]
    fn a_bad_type_names_the_button() {
        let text = r#"{"button": [{"type": "click", "name": "a", "key": "k"}, {"type": "tap", "name": "b"}]}"#;
        let err = parse(text, Format::Json).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("button[1].type: ")),
            "{err:?}"
        );
    }

    #[test]
    fn a_toml_type_error_names_the_button_and_line() {
        let text = "[[button]]\ntype = \"tap\"\nname = \"a\"\n";
        let err = parse(text, Format::Toml).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.starts_with("button[0].type: unknown variant `tap`"),
            "{err}"
        );
        assert!(err.ends_with("(line 2)"), "{err}");
    }

    #[test]
    fn an_unknown_key_names_the_button() {
        let text = "[[button]]\ntype = \"click\"\nname = \"a\"\nkey = \"k\"\n\
                    [[button]]\nname = \"m\"\n[[button.sub_button]]\ntype = \"view\"\n\
                    name = \"x\"\nurl = \"https://e.com/\"\ncolour = \"red\"\n";
        let err = parse(text, Format::Toml).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.starts_with("button[1].sub_button[0]: unknown key \"colour\""),
            "{err}"
        );
        let json = r#"{"button": [{"type": "click", "name": "a", "key": "k", "keys": "x"}]}"#;
        let err = parse(json, Format::Json).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("button[0]: unknown key \"keys\"")),
            "{err:?}"
        );
        let err = parse(
            "menu = 1\n[[button]]\ntype = \"click\"\nname = \"a\"\nkey = \"k\"\n",
            Format::Toml,
        )
        .err()
        .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("menu: unknown key")),
            "{err:?}"
        );
    }

    #[test]
    fn button_keys_are_the_models_fields() {
        let full = wechat_api::Button {
            kind: Some(wechat_api::ButtonType::Click),
            name: "n".into(),
            key: Some("k".into()),
            url: Some("u".into()),
            media_id: Some("m".into()),
            article_id: Some("a".into()),
            appid: Some("wx".into()),
            pagepath: Some("p".into()),
            sub_button: vec![wechat_api::Button::default()],
        };
        let v = serde_json::to_value(&full).expect("serializes");
        let mut keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        let mut known: Vec<_> = BUTTON_KEYS.iter().map(|k| k.to_string()).collect();
        known.sort();
        assert_eq!(keys, known);
    }

    #[test]
    fn a_broken_limit_names_the_button() {
        let text =
            "[[button]]\nname = \"m\"\n[[button.sub_button]]\ntype = \"click\"\nname = \"x\"\n";
        let err = parse(text, Format::Toml).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("button[0].sub_button[0].key")),
            "{err:?}"
        );
    }
}
