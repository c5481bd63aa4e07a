//! Hardened XML reader (private): turns a push body into a [`Fields`] tree.
//!
//! WeChat XML is tiny, shallow, UTF-8 and never carries a DOCTYPE, so everything else is refused:
//! DOCTYPE (and with it every entity declaration), processing instructions other than the
//! leading `<?xml ...?>` declaration, a declared encoding other than UTF-8, unknown entity
//! references, `&#0;`, content outside the single `<xml>` root, and duplicate top-level elements.
//! Depth, element count and text size are capped, so the work and memory are linear in the input.
//! Attributes are ignored (WeChat sends none).
use std::borrow::Cow;

use quick_xml::events::{BytesDecl, BytesStart, Event as XmlEvent};
use quick_xml::Reader;

use crate::error::XmlError;
use crate::message::{FieldValue, Fields};

/// Deepest nesting accepted (`xml` itself is depth 1; WeChat uses at most 5).
pub(crate) const MAX_DEPTH: usize = 16;
/// Most elements accepted in one document (WeChat sends about 20).
pub(crate) const MAX_ELEMENTS: usize = 512;
/// Longest text accepted in one element, in bytes (the gateway's default body limit).
pub(crate) const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Top-level entries reserved up front.
const ROOT_CAPACITY: usize = 12;
/// The name under which list children are always collected.
const ITEM: &str = "item";
/// Where the text of an element that also has children is kept (as xmltodict does).
const MIXED_TEXT: &str = "#text";

/// One open element.
///
/// Whitespace-only text beside CDATA is layout, not value: `<MsgType> <![CDATA[event]]> </MsgType>`
/// (as WeChat's own docs print pushes) reads `event`. Such text is held in `blank` until the next
/// piece shows whether it sits between plain text (kept) or next to CDATA (dropped).
struct Frame<'a> {
    name: String,
    children: Fields,
    text: Cow<'a, str>,
    /// whitespace-only text not yet known to be value or layout
    blank: Cow<'a, str>,
    /// a CDATA section was seen in this element
    cdata: bool,
}

impl<'a> Frame<'a> {
    fn new(name: String) -> Self {
        Frame {
            name,
            children: Fields::default(),
            text: Cow::Borrowed(""),
            blank: Cow::Borrowed(""),
            cdata: false,
        }
    }

    /// Plain text (entity references resolved).
    fn push_plain(&mut self, more: Cow<'a, str>) -> Result<(), XmlError> {
        if more.trim().is_empty() {
            if self.text.len() + self.blank.len() + more.len() > MAX_TEXT_BYTES {
                return Err(XmlError::TextTooLong);
            }
            if self.blank.is_empty() {
                self.blank = more;
            } else {
                self.blank.to_mut().push_str(&more);
            }
            return Ok(());
        }
        self.flush_blank()?;
        self.push_text(more)
    }

    /// A CDATA section: whitespace-only text just before it is layout.
    fn push_cdata(&mut self, more: &'a str) -> Result<(), XmlError> {
        self.cdata = true;
        self.blank = Cow::Borrowed("");
        self.push_text(Cow::Borrowed(more))
    }

    /// Held whitespace turned out to be value (text follows, or no CDATA in the element).
    fn flush_blank(&mut self) -> Result<(), XmlError> {
        let blank = std::mem::replace(&mut self.blank, Cow::Borrowed(""));
        if blank.is_empty() {
            return Ok(());
        }
        self.push_text(blank)
    }

    fn push_text(&mut self, more: Cow<'a, str>) -> Result<(), XmlError> {
        if self.text.len() + more.len() > MAX_TEXT_BYTES {
            return Err(XmlError::TextTooLong);
        }
        if self.text.is_empty() {
            self.text = more;
        } else {
            self.text.to_mut().push_str(&more);
        }
        Ok(())
    }

    fn into_entry(mut self) -> Result<(String, FieldValue), XmlError> {
        if self.cdata {
            self.blank = Cow::Borrowed("");
        } else {
            self.flush_blank()?;
        }
        if self.children.0.is_empty() {
            return Ok((self.name, FieldValue::Text(self.text.into_owned())));
        }
        let mut children = self.children;
        if !self.text.trim().is_empty() {
            children.0.push((
                MIXED_TEXT.to_owned(),
                FieldValue::Text(self.text.into_owned()),
            ));
        }
        Ok((self.name, FieldValue::Map(children)))
    }
}

/// Parse `body` into the children of its `<xml>` root.
pub(crate) fn parse_document(body: &[u8]) -> Result<Fields, XmlError> {
    let text = std::str::from_utf8(body).map_err(|_| XmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(XmlError::Empty);
    }
    // Not a legal XML character; `&#0;` is refused by the reader itself.
    if text.contains('\0') {
        return Err(XmlError::Malformed("NUL character".into()));
    }
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;

    // Small enough to stay in malloc's thread cache; WeChat pushes are at most 5 deep.
    let mut stack: Vec<Frame<'_>> = Vec::with_capacity(6);
    let mut root: Option<Fields> = None;
    let mut elements = 0usize;
    let mut first = true;

    loop {
        let event = reader.read_event().map_err(malformed)?;
        let at_start = std::mem::replace(&mut first, false);
        match event {
            XmlEvent::Decl(decl) if at_start => check_declaration(&decl)?,
            XmlEvent::Decl(_) | XmlEvent::PI(_) => return Err(XmlError::ProcessingInstruction),
            XmlEvent::DocType(_) => return Err(XmlError::Doctype),
            XmlEvent::Comment(_) => {}
            XmlEvent::Start(_) | XmlEvent::Empty(_) if root.is_some() => {
                return Err(XmlError::Malformed("content after the root element".into()));
            }
            XmlEvent::Start(start) => {
                count_element(&mut elements)?;
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                let name = element_name(text, &start)?;
                if stack.is_empty() && name != "xml" {
                    return Err(XmlError::RootNotXml);
                }
                let mut frame = Frame::new(name);
                if stack.is_empty() {
                    // A push has about 6 to 12 top-level elements: one allocation for them all.
                    frame.children.0.reserve(ROOT_CAPACITY);
                }
                stack.push(frame);
            }
            XmlEvent::Empty(start) => {
                count_element(&mut elements)?;
                let name = element_name(text, &start)?;
                let depth = stack.len();
                match stack.last_mut() {
                    Some(parent) => {
                        add_child(parent, depth, name, FieldValue::Text(String::new()))?
                    }
                    None if name == "xml" => root = Some(Fields::default()),
                    None => return Err(XmlError::RootNotXml),
                }
            }
            XmlEvent::End(_) => {
                // quick-xml has matched the end name against the open element (check_end_names).
                let frame = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
                let depth = stack.len();
                match stack.last_mut() {
                    Some(parent) => {
                        let (name, value) = frame.into_entry()?;
                        add_child(parent, depth, name, value)?;
                    }
                    None => root = Some(frame.children),
                }
            }
            XmlEvent::Text(t) => {
                let raw = within(text, &t).ok_or(XmlError::NotUtf8)?;
                let value = quick_xml::escape::unescape(raw).map_err(malformed)?;
                match stack.last_mut() {
                    Some(frame) => frame.push_plain(value)?,
                    None if value.trim().is_empty() => {}
                    None => {
                        return Err(XmlError::Malformed("text outside the root element".into()))
                    }
                }
            }
            XmlEvent::CData(c) => {
                let frame = stack
                    .last_mut()
                    .ok_or_else(|| XmlError::Malformed("CDATA outside the root element".into()))?;
                let value = within(text, &c).ok_or(XmlError::NotUtf8)?;
                frame.push_cdata(value)?;
            }
            XmlEvent::Eof => {
                return match (stack.is_empty(), root) {
                    (true, Some(fields)) => Ok(fields),
                    _ => Err(XmlError::Malformed("unexpected end of document".into())),
                };
            }
        }
    }
}

/// `depth` is the depth of `parent` (1 for the root): duplicates are refused directly under the
/// root, collected into a list below it; `item` children are always a list.
fn add_child(
    parent: &mut Frame<'_>,
    depth: usize,
    name: String,
    value: FieldValue,
) -> Result<(), XmlError> {
    let existing = parent.children.0.iter_mut().find(|(k, _)| *k == name);
    match existing {
        None if name == ITEM => parent
            .children
            .0
            .push((name, FieldValue::List(vec![value]))),
        None => parent.children.0.push((name, value)),
        Some((_, FieldValue::List(list))) if name == ITEM || depth > 1 => list.push(value),
        Some((_, slot)) if depth > 1 => {
            let first = std::mem::replace(slot, FieldValue::List(Vec::new()));
            *slot = FieldValue::List(vec![first, value]);
        }
        Some(_) => return Err(XmlError::DuplicateElement(truncated(&name))),
    }
    Ok(())
}

fn check_declaration(decl: &BytesDecl<'_>) -> Result<(), XmlError> {
    match decl.encoding() {
        None => Ok(()),
        Some(Ok(enc))
            if enc.eq_ignore_ascii_case(b"utf-8") || enc.eq_ignore_ascii_case(b"utf8") =>
        {
            Ok(())
        }
        Some(_) => Err(XmlError::Encoding),
    }
}

fn count_element(elements: &mut usize) -> Result<(), XmlError> {
    *elements += 1;
    if *elements > MAX_ELEMENTS {
        return Err(XmlError::TooManyElements);
    }
    Ok(())
}

/// The element name (attributes are ignored).
fn element_name(doc: &str, start: &BytesStart<'_>) -> Result<String, XmlError> {
    within(doc, start.name().as_ref())
        .map(str::to_owned)
        .ok_or(XmlError::NotUtf8)
}

/// `piece` as a `&str` of the already validated document, without validating it again.
///
/// A slice reader hands out names, text and CDATA as slices of its input, so `piece` is found in
/// `doc` by its address; `str::get` checks the bounds and char boundaries. None if `piece` is not
/// part of `doc` (never with a slice reader; the vector tests would fail at once).
fn within<'a>(doc: &'a str, piece: &[u8]) -> Option<&'a str> {
    let start = (piece.as_ptr() as usize).checked_sub(doc.as_ptr() as usize)?;
    let end = start.checked_add(piece.len())?;
    doc.get(start..end).filter(|s| s.as_ptr() == piece.as_ptr())
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(truncated(&e.to_string()))
}

/// Error texts quote at most a few characters of the input.
fn truncated(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &str) -> Result<Fields, XmlError> {
        parse_document(body.as_bytes())
    }

    #[test]
    fn declaration_must_be_utf8_and_first() {
        assert!(doc(r#"<?xml version="1.0" encoding="UTF-8"?><xml><a>1</a></xml>"#).is_ok());
        assert!(doc(r#"<?xml version="1.0"?><xml/>"#).is_ok());
        assert_eq!(
            doc(r#"<?xml version="1.0" encoding="GBK"?><xml/>"#),
            Err(XmlError::Encoding)
        );
        assert_eq!(
            doc(r#"<xml><?php x?></xml>"#),
            Err(XmlError::ProcessingInstruction)
        );
        assert_eq!(
            doc(r#"<?xml-stylesheet href="a"?><xml/>"#),
            Err(XmlError::ProcessingInstruction)
        );
        assert_eq!(
            doc(r#"<xml/><?xml version="1.0"?>"#),
            Err(XmlError::ProcessingInstruction)
        );
    }

    #[test]
    fn text_and_cdata_segments_concatenate() {
        let f = doc("<xml><a>x &amp; <![CDATA[a]]]]><![CDATA[>b]]> y</a><b/></xml>").expect("ok");
        assert_eq!(f.text("a"), Some("x & a]]>b y"));
        assert_eq!(f.text("b"), Some(""));
    }

    #[test]
    fn whitespace_beside_cdata_is_layout() {
        let f = doc("<xml><a> <![CDATA[event]]> </a><b>\n\t<![CDATA[x]]>\n</b><c> <![CDATA[ y ]]> </c></xml>")
            .expect("ok");
        assert_eq!(f.text("a"), Some("event"));
        assert_eq!(f.text("b"), Some("x"));
        assert_eq!(f.text("c"), Some(" y "), "whitespace inside CDATA is value");
        let f = doc("<xml><a> plain </a><b>  </b><c>x <![CDATA[y]]></c></xml>").expect("ok");
        assert_eq!(
            f.text("a"),
            Some(" plain "),
            "without CDATA nothing is dropped"
        );
        assert_eq!(f.text("b"), Some("  "));
        assert_eq!(f.text("c"), Some("x y"), "text that is not blank stays");
    }

    #[test]
    fn limits() {
        let deep = format!(
            "<xml>{}{}</xml>",
            "<a>".repeat(MAX_DEPTH - 1),
            "</a>".repeat(MAX_DEPTH - 1)
        );
        assert!(doc(&deep).is_ok());
        let deeper = format!(
            "<xml>{}{}</xml>",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert_eq!(doc(&deeper), Err(XmlError::TooDeep));
        let many = format!("<xml><l>{}</l></xml>", "<item/>".repeat(MAX_ELEMENTS));
        assert_eq!(doc(&many), Err(XmlError::TooManyElements));
        let long = format!("<xml><a>{}</a></xml>", "x".repeat(MAX_TEXT_BYTES + 1));
        assert_eq!(doc(&long), Err(XmlError::TextTooLong));
        let split = format!(
            "<xml><a>{0}<![CDATA[{0}]]></a></xml>",
            "x".repeat(MAX_TEXT_BYTES / 2 + 1)
        );
        assert_eq!(doc(&split), Err(XmlError::TextTooLong));
    }

    #[test]
    fn refusals() {
        assert_eq!(doc("  "), Err(XmlError::Empty));
        assert!(matches!(
            doc("<xml>&unknown;</xml>"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            doc("<xml>a\0b</xml>"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            doc("<xml></xml>junk"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(doc("<xml><a></xml>"), Err(XmlError::Malformed(_))));
        assert!(doc("\u{feff}<!-- c --><xml><!-- c --></xml>\n").is_ok());
    }
}
