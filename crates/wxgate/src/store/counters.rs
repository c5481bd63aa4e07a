//! The anonymous day counters of `GET /api/stats/daily`, shared by both backends: which days a
//! query covers, and the rows read back spread over every day (zeros where none was stored).
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::rows::utc_day;
use super::DayStats;

/// The first and last day (days since the epoch) of the `days` days up to `today`.
pub(super) fn span(today: DateTime<Utc>, days: u32) -> (i64, i64) {
    let last = utc_day(today);
    (last - i64::from(days.max(1)) + 1, last)
}

/// A stored row: (day, subscribes, unsubscribes, scans, events).
pub(super) type DayRow = (i64, i64, i64, i64, i64);

/// Every day of `span`, oldest first: the day totals of `days` (zeros where none was
/// stored), with subscribes, unsubscribes and scans taken from `scene`'s rows instead when
/// narrowed to one scene (events are the day's pushes: a push is not attributed to a scene).
pub(super) fn every_day(
    span: (i64, i64),
    days: &[DayRow],
    scene: Option<&[DayRow]>,
) -> Vec<DayStats> {
    let index =
        |rows: &[DayRow]| -> HashMap<i64, DayRow> { rows.iter().map(|r| (r.0, *r)).collect() };
    let totals = index(days);
    let narrowed = scene.map(index);
    (span.0..=span.1)
        .filter_map(|day| {
            let date =
                NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(Duration::days(day))?;
            let total = totals.get(&day).copied().unwrap_or((day, 0, 0, 0, 0));
            let counted = match &narrowed {
                Some(rows) => rows.get(&day).copied().unwrap_or((day, 0, 0, 0, 0)),
                None => total,
            };
            let (subscribes, unsubscribes, scans, events) =
                (counted.1, counted.2, counted.3, total.4);
            Some(DayStats {
                day: date,
                subscribes,
                unsubscribes,
                scans,
                events,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_of_the_span_is_there_oldest_first() {
        let today = DateTime::from_timestamp(86_400 * 10 + 5, 0).unwrap();
        let span = span(today, 3);
        assert_eq!(span, (8, 10));
        let days = every_day(span, &[(9, 1, 2, 3, 4)], None);
        let dates: Vec<String> = days.iter().map(|d| d.day.to_string()).collect();
        assert_eq!(dates, ["1970-01-09", "1970-01-10", "1970-01-11"]);
        assert_eq!((days[1].subscribes, days[1].events), (1, 4));
        assert_eq!(days[0].events, 0);
        let scene = every_day(span, &[(9, 1, 2, 3, 4)], Some(&[(10, 7, 0, 0, 0)]));
        assert_eq!(
            (scene[1].subscribes, scene[1].events),
            (0, 4),
            "events are the day's"
        );
        assert_eq!(scene[2].subscribes, 7);
    }
}
