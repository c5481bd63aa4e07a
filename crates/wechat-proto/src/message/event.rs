//! Typed events (`MsgType=event`).
use crate::message::fields::{FieldValue, Fields};
use crate::message::kind::finite;

/// `ScanCodeInfo` of the scancode menu events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanCodeInfo {
    /// ScanType (e.g. `qrcode`)
    pub scan_type: String,
    /// ScanResult (the decoded code)
    pub scan_result: String,
}

/// `SendPicsInfo` of the pic menu events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendPicsInfo {
    /// Count
    pub count: u32,
    /// PicList/item/PicMd5Sum, in order
    pub pic_md5_sums: Vec<String>,
}

/// `SendLocationInfo` of the location_select menu event.
#[derive(Debug, Clone, PartialEq)]
pub struct SendLocationInfo {
    /// Location_X (latitude)
    pub latitude: f64,
    /// Location_Y (longitude)
    pub longitude: f64,
    /// Scale (zoom level)
    pub scale: f64,
    /// Label (address), whitespace kept
    pub label: String,
    /// Poiname (may be empty)
    pub poiname: String,
}

/// Typed events. Event names match case-insensitively; a known event whose typed fields are
/// missing or malformed becomes [`Event::Unknown`] (its fields stay in [`Fields`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// subscribe, with the scene when through a parametric QR code
    Subscribe {
        /// scene (qrscene_ stripped; None for a plain follow)
        scene: Option<String>,
        /// Ticket
        ticket: Option<String>,
    },
    /// unsubscribe
    Unsubscribe,
    /// SCAN: a follower scanned a parametric QR code
    Scan {
        /// scene (EventKey as sent)
        scene: String,
        /// Ticket
        ticket: Option<String>,
    },
    /// LOCATION: automatic location report
    Location {
        /// Latitude
        latitude: f64,
        /// Longitude
        longitude: f64,
        /// Precision
        precision: f64,
    },
    /// CLICK menu button
    Click {
        /// EventKey (the button key)
        key: String,
    },
    /// VIEW menu link
    View {
        /// EventKey (the URL)
        url: String,
        /// MenuId, when sent
        menu_id: Option<String>,
    },
    /// scancode_push menu button
    ScancodePush {
        /// EventKey
        key: String,
        /// ScanCodeInfo
        info: ScanCodeInfo,
    },
    /// scancode_waitmsg menu button
    ScancodeWaitmsg {
        /// EventKey
        key: String,
        /// ScanCodeInfo
        info: ScanCodeInfo,
    },
    /// pic_sysphoto menu button
    PicSysphoto {
        /// EventKey
        key: String,
        /// SendPicsInfo
        pics: SendPicsInfo,
    },
    /// pic_photo_or_album menu button
    PicPhotoOrAlbum {
        /// EventKey
        key: String,
        /// SendPicsInfo
        pics: SendPicsInfo,
    },
    /// pic_weixin menu button
    PicWeixin {
        /// EventKey
        key: String,
        /// SendPicsInfo
        pics: SendPicsInfo,
    },
    /// location_select menu button
    LocationSelect {
        /// EventKey
        key: String,
        /// SendLocationInfo
        info: SendLocationInfo,
    },
    /// view_miniprogram menu button
    ViewMiniprogram {
        /// EventKey (the page path)
        page_path: String,
        /// MenuId, when sent
        menu_id: Option<String>,
    },
    /// TEMPLATESENDJOBFINISH
    TemplateSendJobFinish {
        /// MsgID (capital ID)
        msg_id: u64,
        /// Status (`success`, `failed:user block`, ...)
        status: String,
    },
    /// MASSSENDJOBFINISH
    MassSendJobFinish {
        /// MsgID (capital ID)
        msg_id: u64,
        /// Status (`sendsuccess`, `sendfail`, `err(num)`)
        status: String,
        /// TotalCount
        total_count: u64,
        /// FilterCount
        filter_count: u64,
        /// SentCount
        sent_count: u64,
        /// ErrorCount
        error_count: u64,
    },
    /// an event this crate does not know, or a known one with malformed fields
    Unknown,
}

/// The events this crate types, lowercase (WeChat writes some in capitals).
pub(crate) const EVENTS: [&str; 15] = [
    "subscribe",
    "unsubscribe",
    "scan",
    "location",
    "click",
    "view",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "view_miniprogram",
    "templatesendjobfinish",
    "masssendjobfinish",
];

/// The prefix of a subscribe EventKey from a parametric QR code.
pub(crate) const QRSCENE_PREFIX: &str = "qrscene_";

impl Event {
    /// Type the event named `name` from the push's fields.
    pub(crate) fn from_fields(name: &str, f: &Fields) -> Event {
        typed(name, f).unwrap_or(Event::Unknown)
    }
}

fn typed(name: &str, f: &Fields) -> Option<Event> {
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    let text = |n: &str| f.text(n).map(str::to_owned);
    let key = || text("EventKey");
    Some(if is("subscribe") {
        Event::Subscribe {
            scene: f
                .text("EventKey")
                .and_then(|k| k.strip_prefix(QRSCENE_PREFIX))
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            ticket: text("Ticket"),
        }
    } else if is("unsubscribe") {
        Event::Unsubscribe
    } else if is("SCAN") {
        Event::Scan {
            scene: key().filter(|s| !s.is_empty())?,
            ticket: text("Ticket"),
        }
    } else if is("LOCATION") {
        Event::Location {
            latitude: finite(f, "Latitude")?,
            longitude: finite(f, "Longitude")?,
            precision: finite(f, "Precision")?,
        }
    } else if is("CLICK") {
        Event::Click { key: key()? }
    } else if is("VIEW") {
        Event::View {
            url: key()?,
            menu_id: text("MenuId"),
        }
    } else if is("scancode_push") {
        Event::ScancodePush {
            key: key()?,
            info: scan_code_info(f)?,
        }
    } else if is("scancode_waitmsg") {
        Event::ScancodeWaitmsg {
            key: key()?,
            info: scan_code_info(f)?,
        }
    } else if is("pic_sysphoto") {
        Event::PicSysphoto {
            key: key()?,
            pics: send_pics_info(f)?,
        }
    } else if is("pic_photo_or_album") {
        Event::PicPhotoOrAlbum {
            key: key()?,
            pics: send_pics_info(f)?,
        }
    } else if is("pic_weixin") {
        Event::PicWeixin {
            key: key()?,
            pics: send_pics_info(f)?,
        }
    } else if is("location_select") {
        Event::LocationSelect {
            key: key()?,
            info: send_location_info(f)?,
        }
    } else if is("view_miniprogram") {
        Event::ViewMiniprogram {
            page_path: key()?,
            menu_id: text("MenuId"),
        }
    } else if is("TEMPLATESENDJOBFINISH") {
        Event::TemplateSendJobFinish {
            msg_id: f.parse("MsgID")?,
            status: text("Status")?,
        }
    } else if is("MASSSENDJOBFINISH") {
        Event::MassSendJobFinish {
            msg_id: f.parse("MsgID")?,
            status: text("Status")?,
            total_count: f.parse("TotalCount")?,
            filter_count: f.parse("FilterCount")?,
            sent_count: f.parse("SentCount")?,
            error_count: f.parse("ErrorCount")?,
        }
    } else {
        return None;
    })
}

fn scan_code_info(f: &Fields) -> Option<ScanCodeInfo> {
    let info = f.map("ScanCodeInfo")?;
    Some(ScanCodeInfo {
        scan_type: info.text("ScanType")?.to_owned(),
        scan_result: info.text("ScanResult")?.to_owned(),
    })
}

fn send_pics_info(f: &Fields) -> Option<SendPicsInfo> {
    let info = f.map("SendPicsInfo")?;
    let items = match info.get("PicList") {
        Some(FieldValue::Map(list)) => list.get("item").and_then(FieldValue::as_list)?,
        // `<PicList></PicList>` with no picture
        Some(FieldValue::Text(t)) if t.trim().is_empty() => &[],
        None => &[],
        Some(_) => return None,
    };
    let pic_md5_sums = items
        .iter()
        .map(|item| item.as_map()?.text("PicMd5Sum").map(str::to_owned))
        .collect::<Option<Vec<_>>>()?;
    Some(SendPicsInfo {
        count: info.parse("Count")?,
        pic_md5_sums,
    })
}

fn send_location_info(f: &Fields) -> Option<SendLocationInfo> {
    let info = f.map("SendLocationInfo")?;
    Some(SendLocationInfo {
        latitude: finite(info, "Location_X")?,
        longitude: finite(info, "Location_Y")?,
        scale: finite(info, "Scale")?,
        label: info.text("Label").unwrap_or_default().to_owned(),
        poiname: info.text("Poiname").unwrap_or_default().to_owned(),
    })
}
