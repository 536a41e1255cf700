//! [`TimeIndex`]: answers "which features of a layer overlap this range, and how many" in
//! logarithmic time, so dragging the time slider over a million events stays interactive.
//!
//! # Design and complexity
//!
//! Built once per layer in `O(n log n)` (sorting), `≈ 40 bytes` per span. Dates are stored as
//! `i32` day numbers.
//!
//! * **Count** — `O(log n)`, exact for spans of any length: a span misses `[from, to]` iff it
//!   starts after `to` or ends before `from` (never both, as `start <= end`), so
//!   `count = n − #(start > to) − #(end < from)`, two binary searches over the sorted start and
//!   sorted end arrays.
//! * **Visible set** — spans are split into *short* ones (lasting at most
//!   [`SHORT_SPAN_MAX_DAYS`] + 1 days: days, weeks, months — nearly all events) and *long* ones
//!   (seasons, years, open-ended aid projects). Short spans are sorted by start; those starting
//!   inside the range form one contiguous slice ([`Visible::core`], all visible, found by two
//!   binary searches), and those starting at most `max_short_len` days before `from` form a
//!   second slice ([`Visible::edge`]) filtered by end date. Long spans are sorted by start and
//!   the ones starting by `to` are filtered by end. Computing the slices costs `O(log n)`;
//!   iterating them costs `O(k + e + l)` for `k` visible, `e` edge candidates (at most one month
//!   of short events) and `l` long spans.

use chrono::NaiveDate;

use super::calendar::{day_number, from_day_number};
use super::{DateSpan, Range};

/// Spans with `end − start` of at most this many days are "short" (see the module docs).
pub const SHORT_SPAN_MAX_DAYS: i32 = 31;

/// A per-layer index of feature date spans.
#[derive(Debug, Clone, Default)]
pub struct TimeIndex {
    /// All start day numbers, sorted.
    starts_sorted: Vec<i32>,
    /// All end day numbers, sorted.
    ends_sorted: Vec<i32>,
    /// Short spans' starts, sorted (parallel to the two vectors below).
    short_starts: Vec<i32>,
    /// Short spans' ends, in `short_starts` order.
    short_ends: Vec<i32>,
    /// Short spans' feature indices, in `short_starts` order.
    short_ids: Vec<usize>,
    /// Longest `end − start` among short spans (0 if none).
    max_short_len: i32,
    /// Long spans as `(start, end, feature index)`, sorted by start.
    long: Vec<(i32, i32, usize)>,
    /// Earliest start and latest finite date.
    extent: Option<Range>,
}

/// The features visible in one range, as slices into a [`TimeIndex`]; see
/// [`TimeIndex::visible_parts`].
#[derive(Debug, Clone, Copy)]
pub struct Visible<'a> {
    /// Short spans starting inside the range: every one is visible.
    pub core: &'a [usize],
    /// Short spans starting shortly before the range: visible iff their end (in
    /// `edge_ends`, same order) is `>= from`.
    pub edge: &'a [usize],
    /// Ends of the `edge` spans (day numbers), same order.
    edge_ends: &'a [i32],
    /// Long spans starting by the range end: visible iff end `>= from`.
    long: &'a [(i32, i32, usize)],
    /// The range start as a day number.
    from: i32,
}

impl<'a> Visible<'a> {
    /// Iterates over the visible feature indices: edge spans, then core spans (both in start
    /// order), then long spans. Not sorted by feature index.
    pub fn iter(&self) -> impl Iterator<Item = usize> + use<'a> {
        let from = self.from;
        let edge = self.edge.iter().zip(self.edge_ends).filter(move |&(_, &end)| end >= from).map(|(&id, _)| id);
        let long = self.long.iter().filter(move |&&(_, end, _)| end >= from).map(|&(_, _, id)| id);
        edge.chain(self.core.iter().copied()).chain(long)
    }
}

impl TimeIndex {
    /// Builds the index from `(feature index, span)` pairs, in `O(n log n)`.
    pub fn new(spans: &[(usize, DateSpan)]) -> Self {
        let mut starts_sorted = Vec::with_capacity(spans.len());
        let mut ends_sorted = Vec::with_capacity(spans.len());
        let mut short: Vec<(i32, i32, usize)> = Vec::with_capacity(spans.len());
        let mut long = Vec::new();
        let mut extent: Option<Range> = None;
        for &(id, span) in spans {
            let (s, e) = (day_number(span.start), day_number(span.end));
            starts_sorted.push(s);
            ends_sorted.push(e);
            if e - s <= SHORT_SPAN_MAX_DAYS {
                short.push((s, e, id));
            } else {
                long.push((s, e, id));
            }
            let last = if span.is_open_ended() { span.start } else { span.end };
            extent = Some(match extent {
                None => Range { from: span.start, to: last },
                Some(r) => Range { from: r.from.min(span.start), to: r.to.max(last) },
            });
        }
        starts_sorted.sort_unstable();
        ends_sorted.sort_unstable();
        short.sort_unstable();
        long.sort_unstable();
        let max_short_len = short.iter().map(|&(s, e, _)| e - s).max().unwrap_or(0);
        Self {
            starts_sorted,
            ends_sorted,
            short_starts: short.iter().map(|t| t.0).collect(),
            short_ends: short.iter().map(|t| t.1).collect(),
            short_ids: short.iter().map(|t| t.2).collect(),
            max_short_len,
            long,
            extent,
        }
    }

    /// Number of indexed spans.
    pub fn len(&self) -> usize {
        self.starts_sorted.len()
    }

    /// Whether no spans are indexed.
    pub fn is_empty(&self) -> bool {
        self.starts_sorted.is_empty()
    }

    /// Earliest start to latest date (open ends count by their start); `None` if empty.
    pub fn extent(&self) -> Option<Range> {
        self.extent
    }

    /// Number of spans overlapping `range`, exact, `O(log n)`.
    pub fn count(&self, range: &Range) -> usize {
        if range.from > range.to {
            return 0;
        }
        let (from, to) = (day_number(range.from), day_number(range.to));
        let start_after = self.len() - self.starts_sorted.partition_point(|&s| s <= to);
        let end_before = self.ends_sorted.partition_point(|&e| e < from);
        self.len() - start_after - end_before
    }

    /// Number of spans whose start lies in `range`, `O(log n)` (used by the histogram).
    pub fn count_starting(&self, range: &Range) -> usize {
        if range.from > range.to {
            return 0;
        }
        let (from, to) = (day_number(range.from), day_number(range.to));
        let hi = self.starts_sorted.partition_point(|&s| s <= to);
        let lo = self.starts_sorted.partition_point(|&s| s < from);
        hi.saturating_sub(lo)
    }

    /// The visible set for `range` as slices, `O(log n)`; iterate with [`Visible::iter`].
    pub fn visible_parts(&self, range: &Range) -> Visible<'_> {
        let (from, to) = (day_number(range.from), day_number(range.to));
        if from > to {
            return Visible { core: &[], edge: &[], edge_ends: &[], long: &[], from };
        }
        let edge_from = from.saturating_sub(self.max_short_len);
        let edge_lo = self.short_starts.partition_point(|&s| s < edge_from);
        let core_lo = self.short_starts.partition_point(|&s| s < from);
        let core_hi = self.short_starts.partition_point(|&s| s <= to);
        let long_hi = self.long.partition_point(|&(s, _, _)| s <= to);
        Visible {
            core: self.short_ids.get(core_lo..core_hi).unwrap_or_default(),
            edge: self.short_ids.get(edge_lo..core_lo).unwrap_or_default(),
            edge_ends: self.short_ends.get(edge_lo..core_lo).unwrap_or_default(),
            long: self.long.get(..long_hi).unwrap_or_default(),
            from,
        }
    }

    /// Iterates over the feature indices overlapping `range` (order: see [`Visible::iter`]).
    pub fn visible(&self, range: &Range) -> impl Iterator<Item = usize> + use<'_> {
        self.visible_parts(range).iter()
    }

    /// Sets `mask[i]` to whether feature `i` overlaps `range`. The mask is first cleared
    /// (`O(mask.len())`) and grown if a feature index does not fit.
    pub fn fill_mask(&self, range: &Range, mask: &mut Vec<bool>) {
        mask.fill(false);
        for id in self.visible(range) {
            if id >= mask.len() {
                mask.resize(id + 1, false);
            }
            if let Some(slot) = mask.get_mut(id) {
                *slot = true;
            }
        }
    }

    /// The date of the earliest span start, if any.
    pub fn first_start(&self) -> Option<NaiveDate> {
        self.starts_sorted.first().map(|&d| from_day_number(d))
    }
}
