//! Small calendar helpers shared by the time module: month lengths, ISO weeks, day numbers.

use chrono::{Datelike, Days, NaiveDate};

/// Full English month names, January first.
pub(crate) const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Three-letter English month abbreviations, January first.
pub(crate) const MONTH_ABBREVS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Full month name of `date`.
pub(crate) fn month_name(date: NaiveDate) -> &'static str {
    MONTH_NAMES.get(date.month0() as usize).copied().unwrap_or("?")
}

/// Three-letter month abbreviation of `date`.
pub(crate) fn month_abbrev(date: NaiveDate) -> &'static str {
    MONTH_ABBREVS.get(date.month0() as usize).copied().unwrap_or("?")
}

/// The month number (1–12) of an English month name or abbreviation, case-insensitive.
/// Accepts full names, three-letter abbreviations and `Sept`.
pub(crate) fn month_from_name(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    if lower == "sept" {
        return Some(9);
    }
    MONTH_NAMES
        .iter()
        .zip(MONTH_ABBREVS.iter())
        .position(|(full, abbrev)| lower == full.to_ascii_lowercase() || lower == abbrev.to_ascii_lowercase())
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// First day of the month containing `date`.
pub(crate) fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// Last day of the month containing `date` (leap years included).
pub(crate) fn last_of_month(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).unwrap_or(date)
}

/// Monday of the ISO week containing `date`.
pub(crate) fn monday_of(date: NaiveDate) -> NaiveDate {
    date.checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday()))).unwrap_or(date)
}

/// Sunday of the ISO week containing `date`.
pub(crate) fn sunday_of(date: NaiveDate) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(6 - date.weekday().num_days_from_monday()))).unwrap_or(date)
}

/// `date + days`, saturating at the ends of chrono's calendar.
pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let result = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    result.unwrap_or(if days >= 0 { NaiveDate::MAX } else { NaiveDate::MIN })
}

/// Day number used by the index (days since 0001-01-01 = day 1).
pub(crate) fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// Inverse of [`day_number`], saturating.
pub(crate) fn from_day_number(n: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(n).unwrap_or(if n < 0 { NaiveDate::MIN } else { NaiveDate::MAX })
}
