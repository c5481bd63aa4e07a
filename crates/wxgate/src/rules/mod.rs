//! The `[[rules]]` engine: conditions compiled once at start (or SIGHUP), tried in file
//! order; a rule either replies with a fixed (templated) reply or calls a `call` webhook.
mod matcher;
mod template;

use wechat_proto::Message;

pub use matcher::Matcher;
pub use template::ReplyTemplate;

use crate::config::{ConfigError, RawRule, WebhookConfig, WebhookMode};

/// What a matching rule does.
#[derive(Debug, Clone)]
pub enum Action {
    /// answer with this reply
    Reply(ReplyTemplate),
    /// ask the call webhook at this index of the webhook list
    Call(usize),
}

/// One compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    when: Matcher,
    action: Action,
}

/// The compiled rules, in file order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Compile `[[rules]]` against the configured webhooks.
    pub fn compile(raw: &[RawRule], webhooks: &[WebhookConfig]) -> Result<RuleSet, ConfigError> {
        let mut rules = Vec::with_capacity(raw.len());
        for (i, r) in raw.iter().enumerate() {
            let when = Matcher::compile(&r.when, &format!("rules[{i}].when"))?;
            let action = match (&r.reply, &r.call) {
                (Some(reply), None) => {
                    Action::Reply(ReplyTemplate::compile(reply, &format!("rules[{i}].reply"))?)
                }
                (None, Some(name)) => {
                    let index = webhooks
                        .iter()
                        .position(|w| &w.name == name)
                        .ok_or_else(|| {
                            ConfigError::new(
                                format!("rules[{i}].call"),
                                format!("unknown webhook {name:?}"),
                            )
                        })?;
                    if webhooks[index].mode != WebhookMode::Call {
                        return Err(ConfigError::new(
                            format!("rules[{i}].call"),
                            format!("webhook {name:?} is not mode = \"call\""),
                        ));
                    }
                    Action::Call(index)
                }
                _ => {
                    return Err(ConfigError::new(
                        format!("rules[{i}]"),
                        "needs exactly one of reply or call",
                    ))
                }
            };
            rules.push(Rule { when, action });
        }
        Ok(RuleSet { rules })
    }

    /// The actions of the rules that match `msg`, in file order. The caller takes the first
    /// that produces a reply (a call webhook may answer nothing).
    pub fn matching<'a>(&'a self, msg: &'a Message) -> impl Iterator<Item = &'a Action> + 'a {
        self.rules
            .iter()
            .filter(move |r| r.when.matches(msg))
            .map(|r| &r.action)
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True without rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests;
