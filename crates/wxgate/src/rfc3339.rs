//! Times as every outside view of the gateway writes them: RFC 3339 UTC with a `Z`, to the
//! second (the admin API, webhook bodies, the CLI).
use chrono::{DateTime, Datelike, SecondsFormat, Utc};

/// `t` as RFC 3339 UTC with a `Z`: `2023-11-14T22:13:20Z`.
pub fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A unix-seconds CreateTime as RFC 3339, or `None` when it is no time RFC 3339 can write (a
/// year before 0000 or after 9999); the raw value stays in `fields.CreateTime`.
pub fn unix_time(secs: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .filter(|t| (0..=9999).contains(&t.year()))
        .map(|t| time(&t))
}

#[cfg(test)]
mod tests {
    use super::unix_time;

    #[test]
    fn create_time_is_rfc3339_or_null() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(unix_time(1_700_000_000), some("2023-11-14T22:13:20Z"));
        assert_eq!(unix_time(0), some("1970-01-01T00:00:00Z"));
        assert_eq!(unix_time(253_402_300_799), some("9999-12-31T23:59:59Z"));
        assert_eq!(unix_time(253_402_300_800), None, "year 10000");
        assert_eq!(
            unix_time(1_764_547_200_999),
            None,
            "milliseconds as seconds"
        );
        assert_eq!(unix_time(-62_167_219_200), some("0000-01-01T00:00:00Z"));
        assert_eq!(unix_time(-62_167_219_201), None, "before year 0");
        assert_eq!(unix_time(i64::MAX), None);
        assert_eq!(unix_time(i64::MIN), None);
    }
}
