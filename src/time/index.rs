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
//! * **Edits** — [`TimeIndex::replace`], [`TimeIndex::insert`] and [`TimeIndex::remove`] change
//!   the index for one feature in place (binary searches, moving the sorted arrays' tails, and
//!   for an insert or removal one flat pass shifting the feature indices after it); the result
//!   equals a fresh build. The extent is read from the sorted arrays, `O(log n)`.

use chrono::NaiveDate;

use super::calendar::{day_number, from_day_number};
use super::{DateSpan, OPEN_END, Range};

/// Spans with `end − start` of at most this many days are "short" (see the module docs).
pub const SHORT_SPAN_MAX_DAYS: i32 = 31;

/// A per-layer index of feature date spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    /// How many short spans last `end − start` days, for each length (so the longest is
    /// known after a removal).
    short_lens: [usize; SHORT_SPAN_MAX_DAYS as usize + 1],
    /// Starts of the open-ended spans, sorted (for the extent).
    open_starts: Vec<i32>,
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
    /// Builds the index from `(feature index, span)` pairs, in `O(n log n)` (the sorts run
    /// on every core).
    pub fn new(spans: &[(usize, DateSpan)]) -> Self {
        Self::build(spans.len(), spans.iter().copied())
    }

    /// [`TimeIndex::new`] from the spans of ids `0..n` that `span` gives (`None`: undated),
    /// without collecting the pairs first (24 bytes a feature more at the peak of a load).
    pub fn from_fn(n: usize, span: impl Fn(usize) -> Option<DateSpan>) -> Self {
        Self::build(n, (0..n).filter_map(|i| span(i).map(|s| (i, s))))
    }

    fn build(capacity: usize, spans: impl Iterator<Item = (usize, DateSpan)>) -> Self {
        use rayon::prelude::*;
        let open = day_number(OPEN_END);
        let mut starts_sorted = Vec::with_capacity(capacity);
        let mut ends_sorted = Vec::with_capacity(capacity);
        let mut short: Vec<(i32, i32, usize)> = Vec::with_capacity(capacity);
        let mut long = Vec::new();
        let mut short_lens = [0; SHORT_SPAN_MAX_DAYS as usize + 1];
        let mut open_starts = Vec::new();
        // Whether the short spans come in ascending id order, each ending on or after its
        // start (then a stable counting sort by start and length orders them as a sort of
        // the triples does).
        let (mut ascending, mut last_id) = (true, None);
        for (id, span) in spans {
            let (s, e) = (day_number(span.start), day_number(span.end));
            starts_sorted.push(s);
            ends_sorted.push(e);
            if let Some(n) = short_len(s, e).and_then(|len| short_lens.get_mut(len)) {
                *n += 1;
                ascending &= e >= s && last_id.is_none_or(|last| last < id);
                last_id = Some(id);
                short.push((s, e, id));
            } else {
                long.push((s, e, id));
            }
            if e == open {
                open_starts.push(s);
            }
        }
        let (((), ()), ((short_starts, short_ends, short_ids), ())) = rayon::join(
            || rayon::join(|| sort_days(&mut starts_sorted), || sort_days(&mut ends_sorted)),
            || rayon::join(|| sort_short(short, ascending), || long.par_sort_unstable()),
        );
        open_starts.sort_unstable();
        let mut index = Self {
            starts_sorted,
            ends_sorted,
            short_starts,
            short_ends,
            short_ids,
            max_short_len: 0,
            long,
            short_lens,
            open_starts,
        };
        index.max_short_len = index.longest_short();
        index
    }

    /// Longest `end − start` among short spans (0 if none).
    fn longest_short(&self) -> i32 {
        self.short_lens.iter().rposition(|&n| n > 0).map_or(0, |len| len as i32)
    }

    /// Feature `id`'s span changed from `old` to `new` (`None`: undated). `O(log n)` plus
    /// moving the arrays' tails. False (and nothing changed) when `old` was not indexed for
    /// `id`: the index was not this layer's, rebuild it.
    pub fn replace(&mut self, id: usize, old: Option<DateSpan>, new: Option<DateSpan>) -> bool {
        if old == new {
            return true;
        }
        if let Some(old) = old
            && !self.unlink(id, old)
        {
            return false;
        }
        if let Some(new) = new {
            self.link(id, new);
        }
        true
    }

    /// A feature was inserted at `id` with `span`: the feature indices from `id` on move up by
    /// one (one pass over the indexed spans), then its span is added.
    pub fn insert(&mut self, id: usize, span: Option<DateSpan>) {
        for i in self.short_ids.iter_mut().chain(self.long.iter_mut().map(|t| &mut t.2)) {
            if *i >= id {
                *i += 1;
            }
        }
        if let Some(span) = span {
            self.link(id, span);
        }
    }

    /// Feature `id` was removed: its span (if it had one) goes, and the feature indices after
    /// it move down by one (one pass over the indexed spans).
    pub fn remove(&mut self, id: usize) {
        let found = match self.short_ids.iter().position(|&i| i == id) {
            Some(p) => self.short_starts.get(p).zip(self.short_ends.get(p)).map(|(&s, &e)| (s, e)),
            None => self.long.iter().find(|t| t.2 == id).map(|&(s, e, _)| (s, e)),
        };
        if let Some((s, e)) = found {
            self.unlink_days(id, s, e);
        }
        for i in self.short_ids.iter_mut().chain(self.long.iter_mut().map(|t| &mut t.2)) {
            if *i > id {
                *i -= 1;
            }
        }
    }

    /// Adds `(id, span)` where a fresh build would put it.
    fn link(&mut self, id: usize, span: DateSpan) {
        let (s, e) = (day_number(span.start), day_number(span.end));
        let at = self.starts_sorted.partition_point(|&x| x < s);
        self.starts_sorted.insert(at, s);
        let at = self.ends_sorted.partition_point(|&x| x < e);
        self.ends_sorted.insert(at, e);
        if let Some(n) = short_len(s, e).and_then(|len| self.short_lens.get_mut(len)) {
            *n += 1;
            let at = self.short_position(s, e, id);
            self.short_starts.insert(at, s);
            self.short_ends.insert(at, e);
            self.short_ids.insert(at, id);
            self.max_short_len = self.max_short_len.max(e - s);
        } else {
            let at = self.long.partition_point(|t| *t < (s, e, id));
            self.long.insert(at, (s, e, id));
        }
        if e == day_number(OPEN_END) {
            let at = self.open_starts.partition_point(|&x| x < s);
            self.open_starts.insert(at, s);
        }
    }

    /// Takes `(id, span)` out; false when it is not there.
    fn unlink(&mut self, id: usize, span: DateSpan) -> bool {
        self.unlink_days(id, day_number(span.start), day_number(span.end))
    }

    fn unlink_days(&mut self, id: usize, s: i32, e: i32) -> bool {
        if let Some(len) = short_len(s, e) {
            let at = self.short_position(s, e, id);
            if self.short_ids.get(at) != Some(&id) || self.short_starts.get(at) != Some(&s) {
                return false;
            }
            self.short_starts.remove(at);
            self.short_ends.remove(at);
            self.short_ids.remove(at);
            if let Some(n) = self.short_lens.get_mut(len) {
                *n = n.saturating_sub(1);
            }
            self.max_short_len = self.longest_short();
        } else {
            let Ok(at) = self.long.binary_search(&(s, e, id)) else { return false };
            self.long.remove(at);
        }
        remove_one(&mut self.starts_sorted, s);
        remove_one(&mut self.ends_sorted, e);
        if e == day_number(OPEN_END) {
            remove_one(&mut self.open_starts, s);
        }
        true
    }

    /// Where `(s, e, id)` is or goes among the short spans (sorted by start, end, id).
    fn short_position(&self, s: i32, e: i32, id: usize) -> usize {
        let lo = self.short_starts.partition_point(|&x| x < s);
        let hi = self.short_starts.partition_point(|&x| x <= s);
        let (ends, ids) =
            (self.short_ends.get(lo..hi).unwrap_or_default(), self.short_ids.get(lo..hi).unwrap_or_default());
        let (mut a, mut b) = (0, ends.len());
        while a < b {
            let mid = a + (b - a) / 2;
            if ends.get(mid).zip(ids.get(mid)).is_some_and(|(&me, &mi)| (me, mi) < (e, id)) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        lo + a
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
    /// `O(log n)`.
    pub fn extent(&self) -> Option<Range> {
        let from = *self.starts_sorted.first()?;
        let closed = self.ends_sorted.partition_point(|&e| e < day_number(OPEN_END));
        let last_end = closed.checked_sub(1).and_then(|i| self.ends_sorted.get(i)).copied();
        let to = last_end.into_iter().chain(self.open_starts.last().copied()).max()?;
        Some(Range { from: from_day_number(from), to: from_day_number(to) })
    }

    /// The earliest start of a span that has an end (open-ended spans left out), if any.
    /// Usually `O(1)`; at worst `O(open-ended spans)`.
    pub fn first_closed_start(&self) -> Option<NaiveDate> {
        let mut open = self.open_starts.iter().peekable();
        for &s in &self.starts_sorted {
            // Both sorted, the open starts a sub-multiset of all starts: skip them in step.
            if open.next_if(|&&o| o == s).is_none() {
                return Some(from_day_number(s));
            }
        }
        None
    }

    /// The distinct days on which spans start, ascending: `O(d log n)` for `d` days.
    pub fn start_days(&self) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut rest = self.starts_sorted.as_slice();
        while let Some(&s) = rest.first() {
            out.push(from_day_number(s));
            rest = rest.get(rest.partition_point(|&x| x <= s)..).unwrap_or_default();
        }
        out
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

/// The length index of a short span from day `s` to day `e`, `None` for a long one.
fn short_len(s: i32, e: i32) -> Option<usize> {
    let len = e - s;
    (len <= SHORT_SPAN_MAX_DAYS).then(|| len.max(0) as usize)
}

/// Day numbers spread over at most this many days more than there are of them are sorted by
/// counting (a million events over thirty years are over ~11,000 days).
const COUNT_SORT_SLACK: usize = 1 << 16;

/// The smallest and largest of some day numbers, and how many days apart they are plus one
/// when that is few enough to sort them by counting.
fn countable(days: impl Iterator<Item = i32>, n: usize, buckets_per_day: usize) -> Option<(i32, usize)> {
    let (min, max) = days.fold((i32::MAX, i32::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let range = usize::try_from(i64::from(max) - i64::from(min) + 1).ok()?;
    (range.checked_mul(buckets_per_day)? <= n + COUNT_SORT_SLACK).then_some((min, range))
}

/// Sorts day numbers: by counting when they span few days, else by comparison on every core.
fn sort_days(days: &mut [i32]) {
    use rayon::prelude::*;
    let Some((min, range)) = countable(days.iter().copied(), days.len(), 1) else {
        days.par_sort_unstable();
        return;
    };
    let mut counts = vec![0usize; range];
    for &d in &*days {
        if let Some(c) = counts.get_mut((d - min) as usize) {
            *c += 1;
        }
    }
    let mut at = 0;
    for (k, &c) in counts.iter().enumerate() {
        if let Some(run) = days.get_mut(at..at + c) {
            run.fill(min + k as i32);
        }
        at += c;
    }
}

/// Short spans `(start, end, id)` sorted as triples, as three columns. When they came in
/// ascending id order with `end >= start` (`ascending`), a stable counting sort by start and
/// length (one pass to count, one to place); else a comparison sort on every core.
fn sort_short(mut short: Vec<(i32, i32, usize)>, ascending: bool) -> (Vec<i32>, Vec<i32>, Vec<usize>) {
    use rayon::prelude::*;
    let lens = SHORT_SPAN_MAX_DAYS as usize + 1;
    let counted = if ascending { countable(short.iter().map(|t| t.0), short.len(), lens) } else { None };
    let Some((min, range)) = counted else {
        short.par_sort_unstable();
        return (
            short.iter().map(|t| t.0).collect(),
            short.iter().map(|t| t.1).collect(),
            short.into_iter().map(|t| t.2).collect(),
        );
    };
    let key = |&(s, e, _): &(i32, i32, usize)| (s - min) as usize * lens + (e - s) as usize;
    // Where each key's run begins.
    let mut next = vec![0usize; range * lens + 1];
    for t in &short {
        if let Some(c) = next.get_mut(key(t) + 1) {
            *c += 1;
        }
    }
    let mut run = 0;
    for at in &mut next {
        run += *at;
        *at = run;
    }
    let n = short.len();
    let (mut starts, mut ends, mut ids) = (vec![0i32; n], vec![0i32; n], vec![0usize; n]);
    for t in &short {
        let Some(at) = next.get_mut(key(t)) else { continue };
        if let (Some(s), Some(e), Some(id)) = (starts.get_mut(*at), ends.get_mut(*at), ids.get_mut(*at)) {
            (*s, *e, *id) = *t;
        }
        *at += 1;
    }
    (starts, ends, ids)
}

/// Removes one `value` from a sorted vector, if there.
fn remove_one(sorted: &mut Vec<i32>, value: i32) {
    let at = sorted.partition_point(|&x| x < value);
    if sorted.get(at) == Some(&value) {
        sorted.remove(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic stream of small numbers.
    fn stream(seed: u64) -> impl Iterator<Item = u64> {
        let mut x = seed;
        std::iter::repeat_with(move || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        })
    }

    #[test]
    fn counting_sorts_order_as_comparison_sorts_do() {
        let days: Vec<i32> = stream(3).take(5_000).map(|r| 730_000 + (r % 9_000) as i32).collect();
        let mut counted = days.clone();
        sort_days(&mut counted);
        let mut compared = days.clone();
        compared.sort_unstable();
        assert_eq!(counted, compared);
        // Spread too wide to count (an open end among them): compared.
        let mut wide = days.clone();
        wide.push(day_number(OPEN_END));
        sort_days(&mut wide);
        assert!(wide.is_sorted() && wide.len() == days.len() + 1);
        // Short spans, many on the same day with different lengths, ids ascending.
        let short: Vec<(i32, i32, usize)> = stream(5)
            .take(5_000)
            .enumerate()
            .map(|(id, r)| {
                let s = 730_000 + (r % 400) as i32;
                (s, s + (r / 400 % 32) as i32, id)
            })
            .collect();
        let mut sorted = short.clone();
        sorted.sort_unstable();
        let columns = |v: &[(i32, i32, usize)]| {
            (
                v.iter().map(|t| t.0).collect::<Vec<_>>(),
                v.iter().map(|t| t.1).collect(),
                v.iter().map(|t| t.2).collect(),
            )
        };
        assert_eq!(sort_short(short.clone(), true), columns(&sorted));
        assert_eq!(sort_short(short.iter().rev().copied().collect(), false), columns(&sorted));
    }

    #[test]
    fn an_index_built_in_id_order_equals_one_built_from_shuffled_pairs() {
        let day = |n: i32| from_day_number(n);
        let spans: Vec<(usize, DateSpan)> = stream(7)
            .take(3_000)
            .enumerate()
            .filter(|(_, r)| r % 13 != 0)
            .map(|(id, r)| {
                let s = 735_000 + (r % 2_000) as i32;
                let len = match r % 10 {
                    0 => 400,
                    1 => day_number(OPEN_END) - s,
                    _ => (r / 7 % 32) as i32,
                };
                (id, DateSpan { start: day(s), end: day(s + len), precision: super::super::Precision::Days })
            })
            .collect();
        let by_id = TimeIndex::from_fn(3_000, |i| spans.iter().find(|(id, _)| *id == i).map(|&(_, s)| s));
        let mut shuffled = spans.clone();
        shuffled.reverse();
        assert_eq!(by_id, TimeIndex::new(&shuffled));
        assert_eq!(by_id.short_ids.len() + by_id.long.len(), spans.len());
    }
}
