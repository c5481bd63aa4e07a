//! What a processed push is answered with ([`Passive`]), or why it could not be
//! ([`PushError`]). The server turns the first into the HTTP answer and the second into a 5xx.
use std::sync::Arc;

use tokio::task::JoinError;
use wechat_proto::Reply;

use crate::store::{StoreError, StoredReply};

/// The passive reply a push is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passive {
    /// `success`: no reply
    Success,
    /// a reply, rendered once (its CreateTime included) and stored as sent
    Reply {
        /// its MsgType ([`Reply::kind`])
        kind: &'static str,
        /// the XML
        xml: Arc<str>,
    },
}

impl Passive {
    /// A reply just rendered from `reply`.
    pub fn rendered(reply: &Reply, xml: String) -> Self {
        Passive::Reply {
            kind: reply.kind(),
            xml: Arc::from(xml),
        }
    }

    /// The label of `wxgate_replies_total{kind}`: `success` or the reply's MsgType.
    pub fn kind(&self) -> &'static str {
        match self {
            Passive::Success => "success",
            Passive::Reply { kind, .. } => kind,
        }
    }
}

impl From<StoredReply> for Passive {
    /// A reply stored by an earlier attempt (maybe by another process): its kind is read back
    /// from the XML (`other` if it is none this gateway renders).
    fn from(stored: StoredReply) -> Self {
        match stored {
            StoredReply::Success => Passive::Success,
            StoredReply::Xml(xml) => Passive::Reply {
                kind: Reply::rendered_kind(&xml).unwrap_or("other"),
                xml: Arc::from(xml),
            },
        }
    }
}

/// Why a push got no answer. Cheap to clone: a resend waiting on the first attempt gets the
/// same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PushError {
    /// the durable write failed
    #[error("recording the push failed: {0}")]
    Store(#[source] Arc<StoreError>),
    /// the first attempt with this dedupe key ended without publishing an answer
    #[error("the first attempt at this push ended without an answer")]
    Abandoned,
    /// a resend's wait for the first attempt reached the resend's deadline
    #[error("the first attempt at this push did not answer in time")]
    NotInTime,
    /// the task running the push failed (panicked or was cancelled)
    #[error("the push task failed: {0}")]
    Task(#[source] Arc<JoinError>),
}

impl From<StoreError> for PushError {
    fn from(error: StoreError) -> Self {
        PushError::Store(Arc::new(error))
    }
}

impl From<JoinError> for PushError {
    fn from(error: JoinError) -> Self {
        PushError::Task(Arc::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_reply_keeps_its_kind() {
        let xml = Reply::Text {
            content: "hi".into(),
        }
        .render("oA", "gh_1", 1_700_000_000);
        let passive = Passive::from(StoredReply::Xml(xml.clone()));
        assert_eq!(passive.kind(), "text");
        assert_eq!(
            passive,
            Passive::Reply {
                kind: "text",
                xml: Arc::from(xml)
            }
        );
        assert_eq!(Passive::from(StoredReply::Success), Passive::Success);
        assert_eq!(
            Passive::from(StoredReply::Xml("<xml/>".into())).kind(),
            "other"
        );
    }

    #[test]
    fn a_store_failure_keeps_its_cause() {
        let error = PushError::from(StoreError::Closed);
        assert_eq!(
            error.to_string(),
            "recording the push failed: store is closed"
        );
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("store is closed"));
    }
}
