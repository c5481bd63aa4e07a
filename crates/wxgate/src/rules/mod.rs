//! The `[[rules]]` engine: conditions compiled once at start (or SIGHUP), tried in file
//! order; a rule either replies with a fixed (templated) reply or calls a `call` webhook.
//!
//! This module owns the rules' serde shapes ([`RawRule`], [`RawReply`], ...) and its
//! [`CompileError`]; `config` embeds the former and converts the latter. It does not import
//! `config`: [`RuleSet::compile`] is told of the webhooks through [`WebhookRef`]s.
mod error;
mod matcher;
mod raw;
mod template;

use wechat_proto::Message;

pub use error::CompileError;
pub use matcher::Matcher;
pub use raw::{RawArticle, RawMusic, RawReply, RawRule, RawTransfer, RawVideo, RawWhen};
pub use template::ReplyTemplate;

/// What the rules need to know of one configured webhook, in the order of the webhook list.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRef<'a> {
    /// the name rules refer to (`call = "NAME"`)
    pub name: &'a str,
    /// whether it is `mode = "call"` (only those may be called)
    pub is_call: bool,
}

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
    /// `when.account`: only pushes to this account (None: every account)
    account: Option<String>,
    when: Matcher,
    action: Action,
}

/// The compiled rules, in file order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Compile `[[rules]]` against the configured webhooks (`webhooks[i]` describes the
    /// webhook at index `i` of the config's list, which [`Action::Call`] refers to) and the
    /// names of the configured accounts (`when.account` must name one).
    pub fn compile(
        raw: &[RawRule],
        webhooks: &[WebhookRef<'_>],
        accounts: &[&str],
    ) -> Result<RuleSet, CompileError> {
        let mut rules = Vec::with_capacity(raw.len());
        for (i, r) in raw.iter().enumerate() {
            let when = Matcher::compile(&r.when, &format!("rules[{i}].when"))?;
            let account = r.when.account.clone();
            if let Some(name) = account.as_deref() {
                if !accounts.contains(&name) {
                    return Err(CompileError::new(
                        format!("rules[{i}].when.account"),
                        format!(
                            "no account named {name:?} (there are {})",
                            accounts.join(", ")
                        ),
                    ));
                }
            }
            let action = match (&r.reply, &r.call) {
                (Some(reply), None) => {
                    Action::Reply(ReplyTemplate::compile(reply, &format!("rules[{i}].reply"))?)
                }
                (None, Some(name)) => {
                    let index = webhooks
                        .iter()
                        .position(|w| w.name == name.as_str())
                        .ok_or_else(|| {
                            CompileError::new(
                                format!("rules[{i}].call"),
                                format!("unknown webhook {name:?}"),
                            )
                        })?;
                    if !webhooks[index].is_call {
                        return Err(CompileError::new(
                            format!("rules[{i}].call"),
                            format!("webhook {name:?} is not mode = \"call\""),
                        ));
                    }
                    Action::Call(index)
                }
                _ => {
                    return Err(CompileError::new(
                        format!("rules[{i}]"),
                        "needs exactly one of reply or call",
                    ))
                }
            };
            rules.push(Rule {
                account,
                when,
                action,
            });
        }
        Ok(RuleSet { rules })
    }

    /// The actions of the rules that match `msg`, a push to `account`, in file order. The
    /// caller takes the first that produces a reply (a call webhook may answer nothing).
    pub fn matching<'a>(
        &'a self,
        account: &'a str,
        msg: &'a Message,
    ) -> impl Iterator<Item = &'a Action> + 'a {
        self.rules
            .iter()
            .filter(move |r| r.account.as_deref().is_none_or(|a| a == account))
            .filter(move |r| r.when.matches(msg))
            .map(|r| &r.action)
    }

    /// Number of rules that serve pushes to `account` (those without `when.account` and
    /// those naming it).
    pub fn count_for(&self, account: &str) -> usize {
        self.rules
            .iter()
            .filter(|r| r.account.as_deref().is_none_or(|a| a == account))
            .count()
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
