//! Time zones, stated (issue 11): timestamps (a date with a time of day) fall on the calendar
//! day of an explicit zone the analyst chooses — UTC, Asia/Dushanbe (UTC+5), Asia/Kabul
//! (UTC+4:30) or any IANA zone — while date-only values stay the calendar days they name.
//!
//! A timestamp with `Z` or an offset (`2022-06-30T22:00:00Z`, `…+05:00`) is that instant; one
//! without (`2022-06-30 22:00`) is taken as UTC, the convention of ACLED and most feeds.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;

/// The zone the app states and filters in (View → Time zone), UTC until the analyst chooses.
/// One per process, like a locale: every path that dates features ([`current`] through
/// [`crate::model::assign_spans`]) then agrees with what the timeline shows.
static CURRENT: std::sync::RwLock<Tz> = std::sync::RwLock::new(Tz::UTC);

/// The zone timestamps are filtered in now.
pub fn current() -> Tz {
    CURRENT.read().map_or(Tz::UTC, |z| *z)
}

/// Sets the zone timestamps are filtered in; layers must then be re-dated
/// ([`crate::model::assign_spans`]).
pub fn set_current(zone: Tz) {
    if let Ok(mut z) = CURRENT.write() {
        *z = zone;
    }
}

/// The zones offered first in the zone chooser.
pub const COMMON_ZONES: [Tz; 3] = [Tz::UTC, Tz::Asia__Dushanbe, Tz::Asia__Kabul];

/// Reads an IANA zone name (`Asia/Dushanbe`, `UTC`), with a clear message when unknown.
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_unknown| {
        format!("unknown time zone {:?}: expected an IANA name such as UTC, Asia/Dushanbe or Asia/Kabul", name.trim())
    })
}

/// The instant a timestamp text names, or `None` for a date without a time of day (or text
/// that is not a timestamp).
pub fn instant(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.len() <= 10 {
        return None; // a date only
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(&t.replacen(' ', "T", 1)) {
        return Some(d.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, format) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    None
}

/// The calendar day a timestamp falls on in `zone`; `None` for a date-only value, which stays
/// the day it names whatever the zone.
pub fn day_in(text: &str, zone: Tz) -> Option<NaiveDate> {
    instant(text).map(|i| i.with_timezone(&zone).date_naive())
}

/// The zone as printed beside dates and on exports: `Asia/Dushanbe (UTC+05:00)`.
pub fn describe(zone: Tz, on: NaiveDate) -> String {
    use chrono::Offset as _;
    let Some(noon) = on.and_hms_opt(12, 0, 0) else { return zone.name().to_owned() };
    let offset = zone.offset_from_utc_datetime(&noon).fix();
    let secs = offset.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
    format!("{} (UTC{sign}{h:02}:{m:02})", zone.name())
}

/// A date-range line as printed on an export, with the zone its timestamps were read in:
/// `1 Jun 2021 – 30 Jun 2022 · times in Asia/Dushanbe (UTC+05:00)`.
pub fn stated(range_text: &str, on: NaiveDate) -> String {
    format!("{range_text} · times in {}", describe(current(), on))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn ten_pm_utc_on_30_june_is_1_july_in_dushanbe() {
        for text in ["2022-06-30T22:00:00Z", "2022-06-30 22:00", "2022-07-01T03:00:00+05:00"] {
            assert_eq!(day_in(text, Tz::UTC), Some(day(2022, 6, 30)), "{text} in UTC");
            assert_eq!(day_in(text, Tz::Asia__Dushanbe), Some(day(2022, 7, 1)), "{text} in Dushanbe");
            assert_eq!(day_in(text, Tz::Asia__Kabul), Some(day(2022, 7, 1)), "{text} in Kabul (02:30)");
        }
        // 19:00 UTC is 23:30 in Kabul (still 30 June) but 00:00 on 1 July in Dushanbe.
        assert_eq!(day_in("2022-06-30T19:00:00Z", Tz::Asia__Kabul), Some(day(2022, 6, 30)));
        assert_eq!(day_in("2022-06-30T19:00:00Z", Tz::Asia__Dushanbe), Some(day(2022, 7, 1)));
    }

    #[test]
    fn the_filter_puts_a_late_utc_timestamp_on_the_next_day_in_dushanbe() {
        let text = r#"{"type": "FeatureCollection", "features": [
          {"type": "Feature", "geometry": {"type": "Point", "coordinates": [68.8, 38.5]},
           "properties": {"name": "late", "seen": "2022-06-30T22:00:00Z"}},
          {"type": "Feature", "geometry": {"type": "Point", "coordinates": [68.8, 38.5]},
           "properties": {"name": "dated", "seen": "2022-06-30"}}]}"#;
        let source = crate::model::LayerSource::File("seen.geojson".into());
        let mut layer = crate::io::geojson::parse_layer(text, "seen.geojson", "seen", None, source).unwrap().layer;
        layer.date_fields = Some(("seen".to_owned(), None));
        let (june_30, july_1) = (crate::time::Range::day(day(2022, 6, 30)), crate::time::Range::day(day(2022, 7, 1)));
        let counts = |layer: &crate::model::Layer| {
            let index = layer.time_index.as_ref().unwrap();
            (index.count(&june_30), index.count(&july_1))
        };
        assert!(crate::model::assign_spans_in(&mut layer, Some(Tz::UTC)).is_empty());
        assert_eq!(counts(&layer), (2, 0), "in UTC both fall on 30 June");
        assert!(crate::model::assign_spans_in(&mut layer, Some(Tz::Asia__Dushanbe)).is_empty());
        assert_eq!(counts(&layer), (1, 1), "in Dushanbe the timestamp is on 1 July, the date stays 30 June");
        assert_eq!(layer.features.get(0).unwrap().time.map(|t| t.start), Some(day(2022, 7, 1)));
        assert_eq!(layer.features.get(1).unwrap().time.map(|t| t.start), Some(day(2022, 6, 30)));
    }

    #[test]
    fn dates_without_a_time_stay_calendar_days() {
        for text in ["2022-06-30", "2022-06", "2022", "30 June 2022", "not a date"] {
            assert_eq!(day_in(text, Tz::Asia__Dushanbe), None, "{text}");
        }
    }

    #[test]
    fn zones_are_named_with_their_offset() {
        assert_eq!(describe(Tz::Asia__Dushanbe, day(2022, 6, 30)), "Asia/Dushanbe (UTC+05:00)");
        assert_eq!(describe(Tz::Asia__Kabul, day(2022, 6, 30)), "Asia/Kabul (UTC+04:30)");
        assert_eq!(describe(Tz::UTC, day(2022, 6, 30)), "UTC (UTC+00:00)");
        assert_eq!(parse_zone(" Asia/Kabul "), Ok(Tz::Asia__Kabul));
        let err = parse_zone("Asia/Dushanbé").unwrap_err();
        assert!(err.contains("unknown time zone") && err.contains("Asia/Dushanbé"), "{err}");
    }
}
