//! Store rows → the contract's JSON shapes, as types: the answers are serialised from them
//! and the OpenAPI document (`openapi.rs`) is generated from them, so the two cannot differ.
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub use crate::rfc3339::{time, unix_time};
use crate::store::{EventRow, Follower};

/// An error answer: `{"error": "..."}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// what went wrong (the parameter or limit at fault, for a 400)
    pub error: String,
}

/// A follower (`GET /api/followers/{openid}` and the items of `GET /api/followers`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Follower)]
pub struct FollowerJson {
    /// the account it follows (only when the config lists `[[accounts]]`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// the follower's openid
    pub openid: String,
    /// whether the user follows the account now
    pub subscribed: bool,
    /// when the user followed (RFC 3339 UTC); null if the subscribe was never seen
    #[schema(format = DateTime)]
    pub subscribed_at: Option<String>,
    /// the QR scene the user came from (`qrscene_` prefix stripped)
    pub scene: Option<String>,
    /// the last LOCATION report
    pub location: Option<LocationJson>,
    /// the user's last push (RFC 3339 UTC)
    #[schema(format = DateTime)]
    pub last_seen_at: Option<String>,
    /// the user's unionid, null until a follower sync learnt it
    pub unionid: Option<String>,
    /// how the user came, as WeChat's `user/info` says (`ADD_SCENE_QR_CODE`, ...); null until
    /// a follower sync learnt it
    pub subscribe_scene: Option<String>,
    /// where the gateway learnt of the follower: from a push, or from a follower sync
    #[schema(pattern = "^(push|sync)$")]
    pub source: String,
}

/// A reported location.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Location)]
pub struct LocationJson {
    /// latitude in degrees
    pub latitude: f64,
    /// longitude in degrees
    pub longitude: f64,
    /// precision in metres
    pub precision: f64,
    /// when it was reported (RFC 3339 UTC)
    #[schema(format = DateTime)]
    pub reported_at: String,
}

impl From<&Follower> for FollowerJson {
    fn from(f: &Follower) -> Self {
        FollowerJson {
            account: None,
            openid: f.openid.clone(),
            subscribed: f.subscribed,
            subscribed_at: f.subscribed_at.as_ref().map(time),
            scene: f.scene.clone(),
            location: f.location.as_ref().map(|l| LocationJson {
                latitude: l.latitude,
                longitude: l.longitude,
                precision: l.precision,
                reported_at: time(&l.reported_at),
            }),
            last_seen_at: f.last_seen_at.as_ref().map(time),
            unionid: f.unionid.clone(),
            subscribe_scene: f.subscribe_scene.clone(),
            source: f.source.clone(),
        }
    }
}

/// A recorded push (the items of `GET /api/events`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventJson {
    /// the account it came to (only when the config lists `[[accounts]]`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// the event's id (pass it as `before` for the next page)
    pub id: i64,
    /// FromUserName
    pub openid: String,
    /// MsgType
    pub msg_type: String,
    /// Event, for event pushes
    pub event: Option<String>,
    /// EventKey
    pub event_key: Option<String>,
    /// CreateTime as RFC 3339 UTC; null when it cannot be one
    #[schema(format = DateTime)]
    pub create_time: Option<String>,
    /// when the gateway received the push (RFC 3339 UTC)
    #[schema(format = DateTime)]
    pub received_at: String,
    /// every element of the push, by name
    pub fields: Map<String, Value>,
    /// the reply XML as sent (before encryption), or null for `success`
    pub reply: Option<String>,
}

impl From<&EventRow> for EventJson {
    fn from(e: &EventRow) -> Self {
        EventJson {
            account: None,
            id: e.id,
            openid: e.openid.clone(),
            msg_type: e.msg_type.clone(),
            event: e.event.clone(),
            event_key: e.event_key.clone(),
            create_time: unix_time(e.create_time),
            received_at: time(&e.received_at),
            fields: serde_json::from_str(&e.fields_json).unwrap_or_default(),
            reply: e.reply.clone(),
        }
    }
}

impl FollowerJson {
    /// `f` as the API shows it: with its `account` when `shown` (a config of `[[accounts]]`;
    /// with the single `[account]` the shape stays as it was).
    pub fn of(f: &Follower, shown: bool) -> Self {
        FollowerJson {
            account: shown.then(|| f.account.clone()),
            ..FollowerJson::from(f)
        }
    }
}

impl EventJson {
    /// `e` as the API shows it: with its `account` when `shown` (see [`FollowerJson::of`]).
    pub fn of(e: &EventRow, shown: bool) -> Self {
        EventJson {
            account: shown.then(|| e.account.clone()),
            ..EventJson::from(e)
        }
    }
}
