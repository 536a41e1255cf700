//! The time-slider histogram: event counts per week or month, stacked by layer.
//!
//! A span counts once, in the bin containing its **start** date; spans starting outside the
//! extent are not counted (so an aid project started before the extent adds nothing, and a
//! month-precision event counts in the bin holding the 1st of its month). Bins are calendar
//! weeks (Monday–Sunday) or calendar months, **clipped to the extent**: the first and last bins
//! may be shorter. Cost: `O(bins × layers × log n)`.

use chrono::{Months, NaiveDate};

use super::calendar::{add_days, first_of_month, last_of_month, sunday_of};
use super::{Range, TimeIndex};

/// Bin width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bin {
    /// ISO weeks, Monday–Sunday.
    Week,
    /// Calendar months.
    Month,
}

impl Bin {
    /// Weeks for extents of at most 18 months (`to` before `from` + 18 months), months beyond.
    pub fn auto(extent: &Range) -> Self {
        match extent.from.checked_add_months(Months::new(18)) {
            Some(limit) if extent.to < limit => Self::Week,
            _ => Self::Month,
        }
    }

    /// Last day of the bin containing `date` (unclipped).
    fn bin_end(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Week => sunday_of(date),
            Self::Month => last_of_month(date),
        }
    }

    /// First day of the bin containing `date` (unclipped).
    pub fn bin_start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Week => super::calendar::monday_of(date),
            Self::Month => first_of_month(date),
        }
    }
}

/// Counts per bin and layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    /// The bin width used.
    pub bin: Bin,
    /// Inclusive `(first day, last day)` of each bin, in order, clipped to the extent.
    pub bins: Vec<(NaiveDate, NaiveDate)>,
    /// `counts[layer][bin]`: spans of that layer starting in that bin.
    pub counts: Vec<Vec<u32>>,
}

impl Histogram {
    /// The tallest stacked bar (sum over layers), for scaling the chart; 0 if empty.
    pub fn stacked_max(&self) -> u32 {
        (0..self.bins.len()).map(|b| self.stacked(b)).max().unwrap_or(0)
    }

    /// The stacked total of bin `bin` (0 if out of range).
    pub fn stacked(&self, bin: usize) -> u32 {
        self.counts.iter().map(|layer| layer.get(bin).copied().unwrap_or(0)).sum()
    }

    /// Index of the bin containing `date`, if inside the extent.
    pub fn bin_of(&self, date: NaiveDate) -> Option<usize> {
        let i = self.bins.partition_point(|&(_, end)| end < date);
        self.bins.get(i).and_then(|&(start, _)| (start <= date).then_some(i))
    }
}

/// The histogram of `layers` over `extent` with bins of `bin` (see the module docs).
/// An empty or reversed extent gives no bins.
pub fn histogram(layers: &[&TimeIndex], extent: &Range, bin: Bin) -> Histogram {
    let mut bins = Vec::new();
    let mut start = extent.from;
    while start <= extent.to {
        let end = bin.bin_end(start).min(extent.to);
        bins.push((start, end));
        if end == NaiveDate::MAX {
            break;
        }
        start = add_days(end, 1);
    }
    let counts = layers
        .iter()
        .map(|index| {
            bins.iter()
                .map(|&(from, to)| u32::try_from(index.count_starting(&Range { from, to })).unwrap_or(u32::MAX))
                .collect()
        })
        .collect();
    Histogram { bin, bins, counts }
}
