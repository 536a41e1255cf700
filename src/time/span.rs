//! [`DateSpan`]: an inclusive span of calendar days with a precision, its text grammar,
//! human descriptions, ACLED `time_precision` handling and aid-project spans.
//!
//! # Grammar
//!
//! [`DateSpan::parse`] accepts, after trimming surrounding whitespace:
//!
//! | text                       | span                                   |
//! |----------------------------|----------------------------------------|
//! | `2022-05-18`               | that day                               |
//! | `2022-05-18T00:00:00`      | that day (the time part is ignored; `Z`/offsets allowed, a space also separates) |
//! | `2022-05`                  | the whole month                        |
//! | `2022`                     | the whole year                         |
//! | `A/B`                      | from the start of `A` to the end of `B`, both inclusive; `A` and `B` are any single form above or below |
//! | `A/..`                     | open-ended: from the start of `A`, no end ([`OPEN_END`]) |
//! | `18 May 2022`, `18-May-2022`, `18 september 2022` | that day (English month names or three-letter abbreviations, any case) |
//! | `May 2022`                 | the whole month                        |
//! | `5/18/2022`, `18/5/2022`   | that day, **only if unambiguous**: the text is read as M/D/YYYY and as D/M/YYYY; if exactly one reading is a calendar date (or both give the same day) it is used, otherwise it is rejected as ambiguous (`5/6/2022`) |
//!
//! ISO forms must be zero-padded: `2022-5-1` is rejected with a hint to write `2022-05-01`
//! (ACLED and every ISO tool pad; accepting unpadded text would make `2022-1-12`-style typos silent).
//!
//! [`DateSpan`]'s `Display` writes the canonical grammar: `YYYY-MM-DD` for a day, `YYYY-MM` for
//! a calendar month, `YYYY` for a calendar year, `YYYY-MM/YYYY-MM` for a run of whole months,
//! `YYYY-MM-DD/YYYY-MM-DD` for any other interval and `YYYY-MM-DD/..` for an open end, so
//! `DateSpan::parse(&span.to_string()) == Ok(span)` for every span with a four-digit year.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::calendar::{first_of_month, last_of_month, monday_of, month_abbrev, month_from_name, month_name, sunday_of};

/// The end date of an open-ended span (an aid project still running): chrono's last date.
pub const OPEN_END: NaiveDate = NaiveDate::MAX;

/// How precisely a [`DateSpan`] is known. Derived from the span's start and end by
/// [`DateSpan::new`]; every constructor in this module keeps it consistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precision {
    /// A single day.
    Day,
    /// An interval of at most 15 days that is not a whole month (e.g. "early May", an ISO week).
    Days,
    /// One calendar month.
    Month,
    /// A longer interval: several whole months, a season, any interval over 15 days that is not
    /// a single month or year, and open-ended spans.
    Months,
    /// One calendar year.
    Year,
}

/// An inclusive span of calendar days: `start ..= end`.
///
/// Invariant (kept by every constructor): `start <= end`, and `precision` is what
/// [`DateSpan::new`] derives from the two dates. An open-ended span has `end == OPEN_END`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateSpan {
    /// First day, inclusive.
    pub start: NaiveDate,
    /// Last day, inclusive; [`OPEN_END`] for an open-ended span.
    pub end: NaiveDate,
    /// How precisely the span is known.
    pub precision: Precision,
}

/// Why a date text could not be read. Every message quotes the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text was empty or only whitespace.
    #[error("the date is empty")]
    Empty,
    /// The text has a date shape but names no real day (`2022-02-30`).
    #[error("`{text}` is not a calendar date")]
    NotACalendarDate {
        /// The offending text.
        text: String,
    },
    /// A month number outside 1–12.
    #[error("`{text}`: month {month} is not between 01 and 12")]
    BadMonth {
        /// The offending text.
        text: String,
        /// The month number found.
        month: u32,
    },
    /// A word where a month name was expected.
    #[error("`{text}`: `{word}` is not a month name")]
    BadMonthName {
        /// The offending text.
        text: String,
        /// The word that should have been a month.
        word: String,
    },
    /// An ISO date whose month or day lacks its leading zero.
    #[error("`{text}`: month and day need two digits (write `{suggestion}`)")]
    Unpadded {
        /// The offending text.
        text: String,
        /// The padded spelling.
        suggestion: String,
    },
    /// A slash date that reads as two different days.
    #[error("`{text}` is ambiguous: it could be {first} or {second} (write YYYY-MM-DD)")]
    Ambiguous {
        /// The offending text.
        text: String,
        /// The month/day/year reading.
        first: NaiveDate,
        /// The day/month/year reading.
        second: NaiveDate,
    },
    /// An interval whose end is before its start.
    #[error("`{text}` ends before it starts")]
    Reversed {
        /// The offending text.
        text: String,
    },
    /// An ACLED `time_precision` other than 1, 2 or 3.
    #[error("ACLED time_precision {precision} is not 1 (day), 2 (week) or 3 (month)")]
    AcledPrecision {
        /// The value found.
        precision: u8,
    },
    /// Text in none of the accepted shapes.
    #[error(
        "`{text}` is not a date: expected YYYY-MM-DD, YYYY-MM, YYYY, an interval A/B, \
         `18 May 2022`, `18-May-2022` or an unambiguous `5/18/2022`"
    )]
    Unrecognised {
        /// The offending text.
        text: String,
    },
}

impl DateSpan {
    /// The span `start ..= end`, with its precision derived from the dates; `None` if
    /// `end < start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Option<Self> {
        (start <= end).then(|| Self { start, end, precision: classify(start, end) })
    }

    /// A single day.
    pub fn day(date: NaiveDate) -> Self {
        Self { start: date, end: date, precision: Precision::Day }
    }

    /// The calendar month containing `date`.
    pub fn month_of(date: NaiveDate) -> Self {
        Self { start: first_of_month(date), end: last_of_month(date), precision: Precision::Month }
    }

    /// The ISO week (Monday–Sunday) containing `date`.
    pub fn iso_week_of(date: NaiveDate) -> Self {
        Self { start: monday_of(date), end: sunday_of(date), precision: Precision::Days }
    }

    /// Calendar year `year`; `None` outside chrono's range.
    pub fn year(year: i32) -> Option<Self> {
        let start = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let end = NaiveDate::from_ymd_opt(year, 12, 31)?;
        Some(Self { start, end, precision: Precision::Year })
    }

    /// An open-ended span starting on `start` (end = [`OPEN_END`]).
    pub fn open_from(start: NaiveDate) -> Self {
        Self { start, end: OPEN_END, precision: Precision::Months }
    }

    /// Whether the span has no end.
    pub fn is_open_ended(&self) -> bool {
        self.end == OPEN_END
    }

    /// Number of days covered, both ends included (very large for open-ended spans).
    pub fn len_days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// Parses the grammar described in the [module docs](self).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(DateError::Empty);
        }
        match t.matches('/').count() {
            0 | 2 => parse_single(t),
            1 => parse_interval(t),
            _ => Err(unrecognised(t)),
        }
    }

    /// The span of an ACLED event: `date` is ACLED's `event_date` (any form [`Self::parse`]
    /// accepts) and `time_precision` ACLED's code. `None` or `1` → the date as parsed (a day);
    /// `2` → the ISO week (Monday–Sunday) containing the date's first day, not clipped to the
    /// month or year; `3` → the calendar month containing it ("some time in May 2022").
    pub fn from_acled(date: &str, time_precision: Option<u8>) -> Result<Self, DateError> {
        let base = Self::parse(date)?;
        match time_precision {
            None | Some(1) => Ok(base),
            Some(2) => Ok(Self::iso_week_of(base.start)),
            Some(3) => Ok(Self::month_of(base.start)),
            Some(precision) => Err(DateError::AcledPrecision { precision }),
        }
    }

    /// Whether the span shares at least one day with `range` (both inclusive). A feature is
    /// shown iff this holds, so a month-precision event shows for any range touching its month.
    pub fn overlaps(&self, range: &super::Range) -> bool {
        self.start <= range.to && self.end >= range.from
    }

    /// The span as a [`super::Range`].
    pub fn as_range(&self) -> super::Range {
        super::Range { from: self.start, to: self.end }
    }

    /// Human text for labels and tooltips: `18 May 2022`, `May 2022`, `2022`, `1–10 May 2022`,
    /// `28 Apr – 3 May 2022`, `Jun–Aug 2021`, `Nov 2021 – Feb 2022`, `2020–2022`,
    /// `from 1 Mar 2021` (open-ended). Derived from the dates, like `Display`.
    pub fn describe(&self) -> String {
        let (s, e) = (self.start, self.end);
        if self.is_open_ended() {
            return format!("from {} {} {}", s.day(), month_abbrev(s), s.year());
        }
        if s == e {
            return format!("{} {} {}", s.day(), month_name(s), s.year());
        }
        if is_whole_months(s, e) {
            if s.month() == 1 && e.month() == 12 {
                return if s.year() == e.year() {
                    s.year().to_string()
                } else {
                    format!("{}–{}", s.year(), e.year())
                };
            }
            if (s.year(), s.month()) == (e.year(), e.month()) {
                return format!("{} {}", month_name(s), s.year());
            }
            return if s.year() == e.year() {
                format!("{}–{} {}", month_abbrev(s), month_abbrev(e), s.year())
            } else {
                format!("{} {} – {} {}", month_abbrev(s), s.year(), month_abbrev(e), e.year())
            };
        }
        if s.year() != e.year() {
            format!("{} {} {} – {} {} {}", s.day(), month_abbrev(s), s.year(), e.day(), month_abbrev(e), e.year())
        } else if s.month() != e.month() {
            format!("{} {} – {} {} {}", s.day(), month_abbrev(s), e.day(), month_abbrev(e), e.year())
        } else {
            format!("{}–{} {} {}", s.day(), e.day(), month_name(e), e.year())
        }
    }
}

/// The span of a foreign-assistance (aid) project from its three optional dates.
///
/// Start = the earliest of `announced.start` and `start.start`; end = `end.end` if given,
/// otherwise the span is open-ended (`end == OPEN_END`, see [`DateSpan::is_open_ended`]), so the
/// project shows for every range from its start on. `None` when neither `announced` nor `start`
/// is known, or when `end` finishes before the start (inconsistent data the caller should report).
pub fn aid_span(announced: Option<DateSpan>, start: Option<DateSpan>, end: Option<DateSpan>) -> Option<DateSpan> {
    let first = match (announced, start) {
        (Some(a), Some(s)) => a.start.min(s.start),
        (Some(a), None) => a.start,
        (None, Some(s)) => s.start,
        (None, None) => return None,
    };
    match end {
        Some(e) => DateSpan::new(first, e.end),
        None => Some(DateSpan::open_from(first)),
    }
}

impl fmt::Display for DateSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, e) = (self.start, self.end);
        if self.is_open_ended() {
            return write!(f, "{}/..", Ymd(s));
        }
        if s == e {
            return write!(f, "{}", Ymd(s));
        }
        if is_whole_months(s, e) {
            if s.year() == e.year() && s.month() == 1 && e.month() == 12 {
                return write!(f, "{:04}", s.year());
            }
            if (s.year(), s.month()) == (e.year(), e.month()) {
                return write!(f, "{}", Ym(s));
            }
            return write!(f, "{}/{}", Ym(s), Ym(e));
        }
        write!(f, "{}/{}", Ymd(s), Ymd(e))
    }
}

impl std::str::FromStr for DateSpan {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// `YYYY-MM-DD` formatter.
struct Ymd(NaiveDate);

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), self.0.month(), self.0.day())
    }
}

/// `YYYY-MM` formatter.
struct Ym(NaiveDate);

impl fmt::Display for Ym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.0.year(), self.0.month())
    }
}

/// Whether `start ..= end` is a run of whole calendar months.
fn is_whole_months(start: NaiveDate, end: NaiveDate) -> bool {
    start.day() == 1 && end == last_of_month(end)
}

/// The precision implied by a span's dates (see [`Precision`]).
fn classify(start: NaiveDate, end: NaiveDate) -> Precision {
    if end == OPEN_END {
        return Precision::Months;
    }
    if start == end {
        return Precision::Day;
    }
    if is_whole_months(start, end) {
        if (start.year(), start.month()) == (end.year(), end.month()) {
            return Precision::Month;
        }
        if start.year() == end.year() && start.month() == 1 && end.month() == 12 {
            return Precision::Year;
        }
        return Precision::Months;
    }
    if (end - start).num_days() < 15 { Precision::Days } else { Precision::Months }
}

fn unrecognised(text: &str) -> DateError {
    DateError::Unrecognised { text: text.to_owned() }
}

fn not_a_date(text: &str) -> DateError {
    DateError::NotACalendarDate { text: text.to_owned() }
}

/// `A/B` or `A/..` (exactly one slash).
fn parse_interval(t: &str) -> Result<DateSpan, DateError> {
    let Some((a, b)) = t.split_once('/') else {
        return Err(unrecognised(t));
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() || a == ".." {
        return Err(unrecognised(t));
    }
    let first = parse_single(a)?;
    if b == ".." {
        return Ok(DateSpan::open_from(first.start));
    }
    let last = parse_single(b)?;
    DateSpan::new(first.start, last.end).ok_or_else(|| DateError::Reversed { text: t.to_owned() })
}

/// One date with no interval slash (a two-slash `M/D/YYYY` is handled here too).
fn parse_single(t: &str) -> Result<DateSpan, DateError> {
    if let Some(result) = parse_iso(t) {
        return result;
    }
    if t.contains('/') {
        return parse_slashed(t);
    }
    parse_words(t)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn to_u32(s: &str) -> Option<u32> {
    if all_digits(s) { s.parse().ok() } else { None }
}

/// ISO `YYYY`, `YYYY-MM`, `YYYY-MM-DD` and `YYYY-MM-DD[T ]time`. `None` if `t` does not start
/// with four digits followed by the end or `-` (so it is some other shape).
fn parse_iso(t: &str) -> Option<Result<DateSpan, DateError>> {
    let year_text = t.get(..4)?;
    if !all_digits(year_text) {
        return None;
    }
    let rest = t.get(4..)?;
    let year: i32 = year_text.parse().ok()?;
    if rest.is_empty() {
        return Some(DateSpan::year(year).ok_or_else(|| not_a_date(t)));
    }
    let rest = rest.strip_prefix('-')?;
    Some(parse_iso_rest(t, year, rest))
}

fn parse_iso_rest(t: &str, year: i32, rest: &str) -> Result<DateSpan, DateError> {
    let (date_part, time_part) = match rest.find(['T', ' ']) {
        Some(i) => (rest.get(..i).unwrap_or_default(), Some(rest.get(i + 1..).unwrap_or_default())),
        None => (rest, None),
    };
    let parts: Vec<&str> = date_part.split('-').collect();
    if parts.is_empty() || parts.len() > 2 || !parts.iter().all(|p| all_digits(p)) {
        return Err(unrecognised(t));
    }
    if let Some(time) = time_part {
        let time_ok = parts.len() == 2
            && time.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && time.bytes().all(|b| b.is_ascii_digit() || matches!(b, b':' | b'.' | b'Z' | b'+' | b'-'));
        if !time_ok {
            return Err(unrecognised(t));
        }
    }
    if parts.iter().any(|p| p.len() > 2) {
        return Err(unrecognised(t));
    }
    let nums: Vec<u32> = parts.iter().filter_map(|p| to_u32(p)).collect();
    let month = nums.first().copied().unwrap_or(0);
    if parts.iter().any(|p| p.len() == 1) {
        let suggestion = match nums.as_slice() {
            [m] => format!("{year:04}-{m:02}"),
            [m, d, ..] => format!("{year:04}-{m:02}-{d:02}"),
            [] => String::new(),
        };
        return Err(DateError::Unpadded { text: t.to_owned(), suggestion });
    }
    if !(1..=12).contains(&month) {
        return Err(DateError::BadMonth { text: t.to_owned(), month });
    }
    match nums.as_slice() {
        [m] => NaiveDate::from_ymd_opt(year, *m, 1).map(DateSpan::month_of).ok_or_else(|| not_a_date(t)),
        [m, d] => NaiveDate::from_ymd_opt(year, *m, *d).map(DateSpan::day).ok_or_else(|| not_a_date(t)),
        _ => Err(unrecognised(t)),
    }
}

/// `M/D/YYYY` or `D/M/YYYY`, accepted only when unambiguous.
fn parse_slashed(t: &str) -> Result<DateSpan, DateError> {
    let parts: Vec<&str> = t.split('/').collect();
    let [first_text, second_text, year_text] = parts.as_slice() else {
        return Err(unrecognised(t));
    };
    let (Some(first_num), Some(second_num)) = (to_u32(first_text), to_u32(second_text)) else {
        return Err(unrecognised(t));
    };
    if year_text.len() != 4 || !(1..=31).contains(&first_num) || !(1..=31).contains(&second_num) {
        return Err(unrecognised(t));
    }
    let Some(year) = to_u32(year_text).and_then(|v| i32::try_from(v).ok()) else {
        return Err(unrecognised(t));
    };
    let month_day = NaiveDate::from_ymd_opt(year, first_num, second_num);
    let day_month = NaiveDate::from_ymd_opt(year, second_num, first_num);
    match (month_day, day_month) {
        (Some(first), Some(second)) if first == second => Ok(DateSpan::day(first)),
        (Some(first), Some(second)) => Err(DateError::Ambiguous { text: t.to_owned(), first, second }),
        (Some(only), None) | (None, Some(only)) => Ok(DateSpan::day(only)),
        (None, None) => Err(not_a_date(t)),
    }
}

/// `18 May 2022`, `18-May-2022`, `May 2022`.
fn parse_words(t: &str) -> Result<DateSpan, DateError> {
    let tokens: Vec<&str> = t.split(|c: char| c.is_whitespace() || c == '-').filter(|s| !s.is_empty()).collect();
    let month_of = |word: &str| {
        month_from_name(word).ok_or_else(|| DateError::BadMonthName { text: t.to_owned(), word: word.to_owned() })
    };
    let year_of = |word: &str| -> Result<i32, DateError> {
        match to_u32(word).and_then(|v| i32::try_from(v).ok()) {
            Some(year) if word.len() == 4 => Ok(year),
            _ => Err(unrecognised(t)),
        }
    };
    match tokens.as_slice() {
        [day, month, year] if all_digits(day) && day.len() <= 2 => {
            let year = year_of(year)?;
            let month = month_of(month)?;
            let day = to_u32(day).ok_or_else(|| unrecognised(t))?;
            NaiveDate::from_ymd_opt(year, month, day).map(DateSpan::day).ok_or_else(|| not_a_date(t))
        }
        [month, year] if !all_digits(month) => {
            let year = year_of(year)?;
            let month = month_of(month)?;
            NaiveDate::from_ymd_opt(year, month, 1).map(DateSpan::month_of).ok_or_else(|| not_a_date(t))
        }
        _ => Err(unrecognised(t)),
    }
}
