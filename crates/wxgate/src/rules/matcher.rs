//! `when = { ... }`: every given key must match.
use regex::Regex;
use wechat_proto::Message;

use super::{CompileError, RawWhen};

/// Compiled conditions of one rule.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    msg_type: Option<String>,
    event: Option<String>,
    event_key: Option<String>,
    event_key_regex: Option<Regex>,
    scene: Option<String>,
    content: Option<String>,
    content_regex: Option<Regex>,
    from: Option<String>,
}

impl Matcher {
    /// Compile; `key` names the table for errors (`rules[3].when`).
    pub fn compile(raw: &RawWhen, key: &str) -> Result<Matcher, CompileError> {
        let regex =
            |pattern: &Option<String>, field: &str| -> Result<Option<Regex>, CompileError> {
                pattern
                    .as_deref()
                    .map(|p| {
                        Regex::new(p).map_err(|e| {
                            CompileError::new(format!("{key}.{field}"), one_line(&e.to_string()))
                        })
                    })
                    .transpose()
            };
        Ok(Matcher {
            msg_type: raw.msg_type.clone(),
            event: raw.event.clone(),
            event_key: raw.event_key.clone(),
            event_key_regex: regex(&raw.event_key_regex, "event_key_regex")?,
            scene: raw.scene.clone(),
            content: raw.content.clone(),
            content_regex: regex(&raw.content_regex, "content_regex")?,
            from: raw.from.clone(),
        })
    }

    /// Whether `msg` satisfies every condition.
    pub fn matches(&self, msg: &Message) -> bool {
        fn eq_ci(want: &Option<String>, got: Option<&str>) -> bool {
            want.as_deref()
                .is_none_or(|w| got.is_some_and(|g| g.eq_ignore_ascii_case(w)))
        }
        fn eq(want: &Option<String>, got: Option<&str>) -> bool {
            want.as_deref().is_none_or(|w| got == Some(w))
        }
        fn re(want: &Option<Regex>, got: Option<&str>) -> bool {
            want.as_ref()
                .is_none_or(|r| got.is_some_and(|g| r.is_match(g)))
        }
        eq_ci(&self.msg_type, Some(msg.msg_type()))
            && eq_ci(&self.event, msg.event())
            && eq(&self.event_key, msg.event_key())
            && re(&self.event_key_regex, msg.event_key())
            && eq(&self.scene, msg.scene())
            && eq(&self.content, msg.content())
            && re(&self.content_regex, msg.content())
            && eq(&self.from, Some(msg.from_user_name.as_str()))
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
