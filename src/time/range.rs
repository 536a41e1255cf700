//! [`Range`]: the inclusive date range the user is looking at, and its presets.

use chrono::{Datelike, NaiveDate};

use super::calendar::add_days;

/// An inclusive range of days, `from ..= to`. A feature is visible iff its
/// [`DateSpan`](super::DateSpan) overlaps the range (see [`DateSpan::overlaps`](super::DateSpan::overlaps)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Range {
    /// First day shown, inclusive.
    pub from: NaiveDate,
    /// Last day shown, inclusive.
    pub to: NaiveDate,
}

impl Range {
    /// The range between two days in either order.
    pub fn new(a: NaiveDate, b: NaiveDate) -> Self {
        Self { from: a.min(b), to: a.max(b) }
    }

    /// A one-day range.
    pub fn day(date: NaiveDate) -> Self {
        Self { from: date, to: date }
    }

    /// Preset "all": the whole extent.
    pub fn all(extent: &Self) -> Self {
        *extent
    }

    /// Preset "year": 1 January – 31 December of `year`; `None` outside chrono's calendar.
    pub fn year(year: i32) -> Option<Self> {
        Some(Self { from: NaiveDate::from_ymd_opt(year, 1, 1)?, to: NaiveDate::from_ymd_opt(year, 12, 31)? })
    }

    /// Preset "last N days": the `days` days ending on `extent.to`, clipped to the extent
    /// (`days == 0` is treated as 1).
    pub fn last_days(extent: &Self, days: u32) -> Self {
        let from = add_days(extent.to, -i64::from(days.max(1) - 1));
        Self { from: from.max(extent.from).min(extent.to), to: extent.to }
    }

    /// Number of days in the range, both ends included (0 if `to < from`).
    pub fn len_days(&self) -> i64 {
        ((self.to - self.from).num_days() + 1).max(0)
    }

    /// Whether `date` lies in the range, both ends included.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }

    /// The part of `self` inside `extent`, or `None` if they do not meet.
    pub fn intersect(&self, extent: &Self) -> Option<Self> {
        let from = self.from.max(extent.from);
        let to = self.to.min(extent.to);
        (from <= to).then_some(Self { from, to })
    }

    /// The calendar years the range touches, for a year-preset menu.
    pub fn years(&self) -> std::ops::RangeInclusive<i32> {
        self.from.year()..=self.to.year()
    }
}
