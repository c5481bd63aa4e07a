//! The untyped element tree of a push: every element, in document order.
use serde::Serialize;

/// A field value: text, a nested element, or a list (`item` children, repeated nested elements).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// text (CDATA or plain, entity references resolved, whitespace kept)
    Text(String),
    /// nested element
    Map(Fields),
    /// repeated `item` children (always a list, even with one item)
    List(Vec<FieldValue>),
}

impl FieldValue {
    /// The text, if this is a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The nested element, if this is one.
    pub fn as_map(&self) -> Option<&Fields> {
        match self {
            FieldValue::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list, if this is one.
    pub fn as_list(&self) -> Option<&[FieldValue]> {
        match self {
            FieldValue::List(l) => Some(l),
            _ => None,
        }
    }
}

/// Ordered element map; serializes as a JSON object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(pub Vec<(String, FieldValue)>);

impl Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Fields {
    /// The value of a top-level element.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The text of a top-level element.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(FieldValue::as_text)
    }

    /// The nested element `name`.
    pub fn map(&self, name: &str) -> Option<&Fields> {
        self.get(name).and_then(FieldValue::as_map)
    }

    /// The text of `name`, whitespace around it dropped, parsed as `T` (None when absent or
    /// unparsable).
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.text(name).and_then(|t| t.trim().parse().ok())
    }
}
