//! serde's and toml's error messages in plain words, on one line.
//!
//! `invalid type: string "4000", expected u64` → `must be a whole number (0 or more), not the
//! text "4000"`; `wanted exactly 1 element, more than 1 element` on a reply → `must hold exactly
//! one of text, image, ...`; a TOML syntax error's second line joins the first.

/// The reply kinds, for a `reply` table holding none or several.
const REPLY_KINDS: &str = "text, image, voice, video, music, news, transfer_customer_service";

/// `message` (about `key`) in plain words, on one line.
pub fn plain(key: &str, message: &str) -> String {
    let message = one_line(message);
    if message.starts_with("wanted exactly 1 element") {
        return if key.ends_with("reply") || key.ends_with(".reply") {
            format!("must hold exactly one of {REPLY_KINDS}")
        } else {
            "must hold exactly one key".to_string()
        };
    }
    if message.starts_with("data did not match any variant") {
        return if key.ends_with("transfer_customer_service") {
            "must be true or { kf_account = \"...\" }".to_string()
        } else {
            "has a value of the wrong kind".to_string()
        };
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, wanted)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(", expected "))
        {
            return format!("must be {}, not {}", expected(wanted), found_value(found));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        if let Some((name, known)) = rest.split_once(", expected one of ") {
            return format!("{} is not one of {}", name.replace('`', "\""), list(known));
        }
        if let Some((name, known)) = rest.split_once(", expected ") {
            return format!("{} is not {}", name.replace('`', "\""), list(known));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        if let Some((_, known)) = rest.split_once(", expected one of ") {
            return format!("unknown key (known here: {})", list(known));
        }
        if let Some((_, known)) = rest.split_once(", expected ") {
            return format!("unknown key (known here: {})", list(known));
        }
        return "unknown key".to_string();
    }
    if message.starts_with("number too large to fit in target type") {
        return "is too large a number".to_string();
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return format!("{field} is required here");
    }
    message
}

/// Lines joined: a TOML syntax error's `expected ...` line becomes `(expected ...)`.
fn one_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut out = lines.next().unwrap_or("").to_string();
    for line in lines {
        if line.starts_with("expected ") {
            out.push_str(&format!(" ({})", line.replace("`, `", "` or `")));
        } else {
            out.push_str("; ");
            out.push_str(line);
        }
    }
    out
}

/// `` `a`, `b` `` → `a, b`.
fn list(known: &str) -> String {
    known.replace('`', "")
}

/// What serde wanted, in plain words.
fn expected(wanted: &str) -> String {
    match wanted.trim() {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number (0 or more)".into(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a string" | "a borrowed string" => "text in quotes".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "a list like [\"a\", \"b\"]".into(),
        "a map" => "a table".into(),
        "a character" => "one character".into(),
        w if w.starts_with("struct ") => "a table".into(),
        w => w.replace('`', ""),
    }
}

/// What serde found, in plain words.
fn found_value(found: &str) -> String {
    let found = found.trim();
    if let Some(s) = found.strip_prefix("string ") {
        return format!("the text {s}");
    }
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(v) = found.strip_prefix(prefix) {
            return v.trim_matches('`').to_string();
        }
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        other => other.replace('`', ""),
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn serde_words_become_plain_words() {
        let cases = [
            (
                "rules[0].reply",
                "wanted exactly 1 element, more than 1 element",
                "must hold exactly one of text, image, voice, video, music, news, transfer_customer_service",
            ),
            (
                "rules[0].reply",
                "wanted exactly 1 element, found 0 elements",
                "must hold exactly one of text, image, voice, video, music, news, transfer_customer_service",
            ),
            (
                "server.reply_deadline_ms",
                "invalid type: string \"4000\", expected u64",
                "must be a whole number (0 or more), not the text \"4000\"",
            ),
            (
                "server.reply_deadline_ms",
                "invalid value: integer `-5`, expected u64",
                "must be a whole number (0 or more), not -5",
            ),
            (
                "account.max_clock_skew_s",
                "invalid type: floating point `1.5`, expected u64",
                "must be a whole number (0 or more), not 1.5",
            ),
            (
                "account.refuse_replays",
                "invalid type: string \"yes\", expected a boolean",
                "must be true or false, not the text \"yes\"",
            ),
            (
                "webhooks[0].events",
                "invalid type: string \"*\", expected a sequence",
                "must be a list like [\"a\", \"b\"], not the text \"*\"",
            ),
            (
                "rules[0].reply.transfer_customer_service",
                "data did not match any variant of untagged enum RawTransfer",
                "must be true or { kf_account = \"...\" }",
            ),
            (
                "rules[0].reply",
                "unknown variant `hi`, expected one of `text`, `image`",
                "\"hi\" is not one of text, image",
            ),
            (
                "line 1",
                "invalid table header\nexpected `.`, `]`\n",
                "invalid table header (expected `.` or `]`)",
            ),
            (
                "server.listne",
                "unknown field `listne`, expected one of `listen`, `path`",
                "unknown key (known here: listen, path)",
            ),
        ];
        for (key, serde, want) in cases {
            let got = plain(key, serde);
            assert_eq!(got, want, "{key}: {serde}");
            assert!(!got.contains('\n'));
        }
    }
}
