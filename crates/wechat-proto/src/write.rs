//! XML writing helpers (private): CDATA that `]]>` cannot escape, escaped text, and only
//! characters XML 1.0 allows.
//!
//! XML 1.0 allows `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`
//! (a Rust `str` cannot hold surrogates). Any other character — C0 controls such as `\x01`,
//! `\x0b`, `\x1b`, and U+FFFE / U+FFFF — makes the whole document unparseable, by WeChat too
//! (the user then sees "该公众号暂时无法提供服务"), so every value written is cleaned of them:
//! they are dropped. Escaping cannot help: `&#1;` is not allowed either.
use std::borrow::Cow;

/// Whether XML 1.0 allows `c` in a document.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..
    )
}

/// `value` without the characters XML 1.0 does not allow (borrowed when it has none).
pub(crate) fn xml_chars(value: &str) -> Cow<'_, str> {
    // Fast path, a byte scan: a disallowed char is a C0 byte, or U+FFFE/U+FFFF (EF BF BE/BF).
    let suspect = value
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF);
    if !suspect || value.chars().all(is_xml_char) {
        return Cow::Borrowed(value);
    }
    Cow::Owned(value.chars().filter(|c| is_xml_char(*c)).collect())
}

/// Append `<tag><![CDATA[value]]></tag>`, splitting every `]]>` in `value` as
/// `]]]]><![CDATA[>` so the section cannot be closed early.
/// Characters XML does not allow are dropped first (so dropping cannot form a new `]]>`).
pub(crate) fn cdata_element(out: &mut String, tag: &str, value: &str) {
    let value = xml_chars(value);
    let value = value.as_ref();
    out.push('<');
    out.push_str(tag);
    out.push_str("><![CDATA[");
    // Fast path: base64, ids and most text hold no `]` at all (a byte scan, unlike `find`).
    if !value.as_bytes().contains(&b']') {
        out.push_str(value);
        out.push_str("]]></");
        out.push_str(tag);
        out.push('>');
        return;
    }
    let mut rest = value;
    while let Some(at) = rest.find("]]>") {
        out.push_str(&rest[..at]);
        out.push_str("]]]]><![CDATA[>");
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out.push_str("]]></");
    out.push_str(tag);
    out.push('>');
}

/// Append `<tag>value</tag>` with `&`, `<` and `>` escaped and characters XML does not
/// allow dropped.
pub(crate) fn text_element(out: &mut String, tag: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    for c in value.chars().filter(|c| is_xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disallowed_characters_are_dropped() {
        let mut out = String::new();
        cdata_element(
            &mut out,
            "C",
            "a\u{1}b\u{b}c\u{1b}d\u{FFFE}e\u{FFFF}f\u{0}\t\n\r\u{FFFD}",
        );
        assert_eq!(out, "<C><![CDATA[abcdef\t\n\r\u{FFFD}]]></C>");
        let mut out = String::new();
        text_element(&mut out, "T", "1\u{1f}<2");
        assert_eq!(out, "<T>1&lt;2</T>");
    }

    #[test]
    fn dropping_cannot_form_a_cdata_end() {
        let mut out = String::new();
        cdata_element(&mut out, "C", "]]\u{1}>");
        assert_eq!(out, "<C><![CDATA[]]]]><![CDATA[>]]></C>");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(
            xml_chars("héllo ✓ \u{EFFF} \u{10000}"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(xml_chars("\u{EF}"), Cow::Borrowed(_)));
    }
}
