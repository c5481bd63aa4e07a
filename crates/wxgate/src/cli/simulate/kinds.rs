//! Every push KIND `wxgate simulate` can send, and the XML elements each one carries.
use clap::Subcommand;

/// The push to send.
#[derive(Debug, Subcommand)]
#[command(rename_all = "snake_case")]
pub enum Kind {
    /// follow (with --scene: through a parametric QR code, EventKey qrscene_S)
    Subscribe {
        /// QR scene
        #[arg(long)]
        scene: Option<String>,
    },
    /// unfollow
    Unsubscribe,
    /// a follower scans a parametric QR code
    Scan {
        /// QR scene
        #[arg(long)]
        scene: String,
    },
    /// LOCATION event (automatic location report)
    Location {
        /// latitude
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        /// longitude
        #[arg(long, allow_negative_numbers = true)]
        lng: f64,
        /// precision in metres
        #[arg(long, default_value_t = 30.0)]
        precision: f64,
    },
    /// menu click
    Click {
        /// button key
        #[arg(long)]
        key: String,
    },
    /// menu link
    View {
        /// link
        #[arg(long)]
        url: String,
    },
    /// text message
    Text {
        /// the text
        #[arg(long)]
        content: String,
    },
    /// image message
    Image {
        /// picture URL
        #[arg(long, default_value = "http://mmbiz.qpic.cn/simulated.jpg")]
        pic_url: String,
        /// media id
        #[arg(long, default_value = "simulated_media_id")]
        media_id: String,
    },
    /// voice message
    Voice {
        /// media id
        #[arg(long, default_value = "simulated_media_id")]
        media_id: String,
        /// audio format
        #[arg(long, default_value = "amr")]
        format: String,
        /// speech recognition result
        #[arg(long)]
        recognition: Option<String>,
    },
    /// video message
    Video {
        /// media id
        #[arg(long, default_value = "simulated_media_id")]
        media_id: String,
        /// thumbnail media id
        #[arg(long, default_value = "simulated_thumb_id")]
        thumb_media_id: String,
    },
    /// short video message
    Shortvideo {
        /// media id
        #[arg(long, default_value = "simulated_media_id")]
        media_id: String,
        /// thumbnail media id
        #[arg(long, default_value = "simulated_thumb_id")]
        thumb_media_id: String,
    },
    /// location message (a location the user sent)
    #[command(name = "location_message", alias = "location-message")]
    LocationMessage {
        /// latitude (Location_X)
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        /// longitude (Location_Y)
        #[arg(long, allow_negative_numbers = true)]
        lng: f64,
        /// map scale
        #[arg(long, default_value_t = 15)]
        scale: u32,
        /// place label
        #[arg(long, default_value = "")]
        label: String,
    },
    /// link message
    Link {
        /// title
        #[arg(long, default_value = "a link")]
        title: String,
        /// description
        #[arg(long, default_value = "")]
        description: String,
        /// url
        #[arg(long)]
        url: String,
    },
    /// scancode_push menu event
    #[command(alias = "scancode-push")]
    ScancodePush {
        /// button key
        #[arg(long)]
        key: String,
        /// scanned text
        #[arg(long, default_value = "simulated scan")]
        result: String,
    },
    /// scancode_waitmsg menu event
    #[command(alias = "scancode-waitmsg")]
    ScancodeWaitmsg {
        /// button key
        #[arg(long)]
        key: String,
        /// scanned text
        #[arg(long, default_value = "simulated scan")]
        result: String,
    },
    /// pic_sysphoto menu event
    #[command(alias = "pic-sysphoto")]
    PicSysphoto {
        /// button key
        #[arg(long)]
        key: String,
    },
    /// pic_photo_or_album menu event
    #[command(alias = "pic-photo-or-album")]
    PicPhotoOrAlbum {
        /// button key
        #[arg(long)]
        key: String,
    },
    /// pic_weixin menu event
    #[command(alias = "pic-weixin")]
    PicWeixin {
        /// button key
        #[arg(long)]
        key: String,
    },
    /// location_select menu event
    #[command(alias = "location-select")]
    LocationSelect {
        /// button key
        #[arg(long)]
        key: String,
        /// latitude
        #[arg(long, allow_negative_numbers = true, default_value_t = 23.0)]
        lat: f64,
        /// longitude
        #[arg(long, allow_negative_numbers = true, default_value_t = 113.0)]
        lng: f64,
        /// place label
        #[arg(long, default_value = "")]
        label: String,
    },
    /// view_miniprogram menu event
    #[command(alias = "view-miniprogram")]
    ViewMiniprogram {
        /// mini-program page path
        #[arg(long)]
        path: String,
    },
    /// TEMPLATESENDJOBFINISH event
    #[command(alias = "templatesendjobfinish")]
    TemplateSendJobFinish {
        /// MsgID of the template message
        #[arg(long, default_value_t = 200163836)]
        msg_id: u64,
        /// status
        #[arg(long, default_value = "success")]
        status: String,
    },
    /// MASSSENDJOBFINISH event
    #[command(alias = "masssendjobfinish")]
    MassSendJobFinish {
        /// MsgID of the mass message
        #[arg(long, default_value_t = 1000001625)]
        msg_id: u64,
        /// status
        #[arg(long, default_value = "sendsuccess")]
        status: String,
    },
}

/// An element of the push: text (CDATA), plain number, or nested elements.
pub enum Node {
    /// `<Tag><![CDATA[text]]></Tag>`
    Text(&'static str, String),
    /// `<Tag>123</Tag>`
    Number(&'static str, String),
    /// `<Tag>children</Tag>`
    Nested(&'static str, Vec<Node>),
}

fn text(tag: &'static str, value: impl Into<String>) -> Node {
    Node::Text(tag, value.into())
}

fn num(tag: &'static str, value: impl ToString) -> Node {
    Node::Number(tag, value.to_string())
}

impl Kind {
    /// MsgType and the elements after the header (MsgId is added by the caller for messages).
    pub fn body(&self) -> (&'static str, Vec<Node>) {
        use Kind::*;
        let event = |name: &'static str, mut rest: Vec<Node>| {
            let mut nodes = vec![text("Event", name)];
            nodes.append(&mut rest);
            ("event", nodes)
        };
        let key = |k: &str| text("EventKey", k);
        match self {
            Subscribe { scene: None } => event("subscribe", vec![key("")]),
            Subscribe { scene: Some(s) } => event(
                "subscribe",
                vec![
                    key(format!("qrscene_{s}").as_str()),
                    text("Ticket", ticket(s)),
                ],
            ),
            Unsubscribe => event("unsubscribe", vec![key("")]),
            Scan { scene } => event("SCAN", vec![key(scene), text("Ticket", ticket(scene))]),
            Location {
                lat,
                lng,
                precision,
            } => event(
                "LOCATION",
                vec![
                    num("Latitude", lat),
                    num("Longitude", lng),
                    num("Precision", precision),
                ],
            ),
            Click { key: k } => event("CLICK", vec![key(k)]),
            View { url } => event("VIEW", vec![key(url)]),
            Text { content } => ("text", vec![text("Content", content.as_str())]),
            Image { pic_url, media_id } => (
                "image",
                vec![
                    text("PicUrl", pic_url.as_str()),
                    text("MediaId", media_id.as_str()),
                ],
            ),
            Voice {
                media_id,
                format,
                recognition,
            } => {
                let mut nodes = vec![
                    text("MediaId", media_id.as_str()),
                    text("Format", format.as_str()),
                ];
                if let Some(r) = recognition {
                    nodes.push(text("Recognition", r.as_str()));
                }
                ("voice", nodes)
            }
            Video {
                media_id,
                thumb_media_id,
            } => (
                "video",
                vec![
                    text("MediaId", media_id.as_str()),
                    text("ThumbMediaId", thumb_media_id.as_str()),
                ],
            ),
            Shortvideo {
                media_id,
                thumb_media_id,
            } => (
                "shortvideo",
                vec![
                    text("MediaId", media_id.as_str()),
                    text("ThumbMediaId", thumb_media_id.as_str()),
                ],
            ),
            LocationMessage {
                lat,
                lng,
                scale,
                label,
            } => (
                "location",
                vec![
                    num("Location_X", lat),
                    num("Location_Y", lng),
                    num("Scale", scale),
                    text("Label", label.as_str()),
                ],
            ),
            Link {
                title,
                description,
                url,
            } => (
                "link",
                vec![
                    text("Title", title.as_str()),
                    text("Description", description.as_str()),
                    text("Url", url.as_str()),
                ],
            ),
            ScancodePush { key: k, result } => event("scancode_push", scan_code(k, result)),
            ScancodeWaitmsg { key: k, result } => event("scancode_waitmsg", scan_code(k, result)),
            PicSysphoto { key: k } => event("pic_sysphoto", pics(k)),
            PicPhotoOrAlbum { key: k } => event("pic_photo_or_album", pics(k)),
            PicWeixin { key: k } => event("pic_weixin", pics(k)),
            LocationSelect {
                key: k,
                lat,
                lng,
                label,
            } => event(
                "location_select",
                vec![
                    key(k),
                    Node::Nested(
                        "SendLocationInfo",
                        vec![
                            text("Location_X", lat.to_string()),
                            text("Location_Y", lng.to_string()),
                            text("Scale", "15"),
                            text("Label", label.as_str()),
                            text("Poiname", ""),
                        ],
                    ),
                ],
            ),
            ViewMiniprogram { path } => {
                event("view_miniprogram", vec![key(path), text("MenuId", "1")])
            }
            TemplateSendJobFinish { msg_id, status } => event(
                "TEMPLATESENDJOBFINISH",
                vec![num("MsgID", msg_id), text("Status", status.as_str())],
            ),
            MassSendJobFinish { msg_id, status } => event(
                "MASSSENDJOBFINISH",
                vec![
                    num("MsgID", msg_id),
                    text("Status", status.as_str()),
                    num("TotalCount", 1),
                    num("FilterCount", 1),
                    num("SentCount", 1),
                    num("ErrorCount", 0),
                ],
            ),
        }
    }

    /// Ordinary messages carry a MsgId; events do not.
    pub fn is_message(&self) -> bool {
        self.body().0 != "event"
    }
}

/// A plausible ticket for a scene (the simulator has no real one).
fn ticket(scene: &str) -> String {
    format!("gQSimulatedTicketFor{scene}")
}

fn scan_code(k: &str, result: &str) -> Vec<Node> {
    vec![
        text("EventKey", k),
        Node::Nested(
            "ScanCodeInfo",
            vec![text("ScanType", "qrcode"), text("ScanResult", result)],
        ),
    ]
}

fn pics(k: &str) -> Vec<Node> {
    vec![
        text("EventKey", k),
        Node::Nested(
            "SendPicsInfo",
            vec![
                num("Count", 1),
                Node::Nested(
                    "PicList",
                    vec![Node::Nested(
                        "item",
                        vec![text("PicMd5Sum", "1b5f7c23b5bf75682a53e7b6d163e185")],
                    )],
                ),
            ],
        ),
    ]
}
