//! XML writing helpers (private): CDATA that `]]>` cannot escape, escaped text.

/// Append `<tag><![CDATA[value]]></tag>`, splitting every `]]>` in `value` as
/// `]]]]><![CDATA[>` so the section cannot be closed early.
pub(crate) fn cdata_element(out: &mut String, tag: &str, value: &str) {
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

/// Append `<tag>value</tag>` with `&`, `<` and `>` escaped.
pub(crate) fn text_element(out: &mut String, tag: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    for c in value.chars() {
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
