//! [`IdTally`]: what [`crate::edit::new_feature_id`] needs to know of a layer's feature ids,
//! kept small and up to date, so adding a feature to a million-event layer decodes nothing.
//!
//! Each id is tallied as it is read (the fast loaders tally on their workers and merge) and
//! as edits add or remove features. A string id is split into its *head* and its trailing
//! run of digits (`TJK-FA-031` → `TJK-FA-` and `031`); per head the tally keeps how many runs
//! have each length and the largest run values. Numeric ids keep their largest values, and
//! the few that are not whole numbers. That answers "the next id after the highest with this
//! prefix" exactly for any prefix that does not end in a digit, after any number of adds and
//! deletes, in a few kilobytes.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::FeatureId;

/// How many of the largest values a [`Top`] keeps: a deletion of the highest id falls back to
/// the next one kept; only after this many deletions of highest ids is the layer read again.
const TOP_KEPT: usize = 64;

/// Heads tallied at most; past this (ids without a shared prefix, like UUIDs) new heads are
/// left out and a prefix not tallied is looked up by reading the layer once.
const MAX_HEADS: usize = 1024;

/// The largest values of a multiset of `u64`, exactly while at least one kept is left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Top {
    /// The largest distinct values, ascending, with how many times each occurs: a sorted
    /// ring, so the usual id (higher than every one before it) goes on the back and the
    /// lowest comes off the front without a search (a `BTreeMap` here was 3% of an open).
    kept: VecDeque<(u64, usize)>,
    /// Whether smaller values were left out (each smaller than every value kept).
    dropped: bool,
}

impl Top {
    /// Where `v` is in `kept`, or where it would go.
    fn place(&self, v: u64) -> Result<usize, usize> {
        match self.kept.back() {
            Some(&(last, _)) if v > last => Err(self.kept.len()),
            _ => self.kept.binary_search_by_key(&v, |&(k, _)| k),
        }
    }

    /// Adds `n` occurrences of `v`, keeping every value (trimmed by the callers).
    fn put(&mut self, v: u64, n: usize) {
        match self.place(v) {
            Ok(at) => {
                if let Some(slot) = self.kept.get_mut(at) {
                    slot.1 += n;
                }
            }
            Err(at) => self.kept.insert(at, (v, n)),
        }
    }

    fn add(&mut self, v: u64) {
        // Once the highest are unknown they stay so (until the layer is read again).
        if self.dropped && self.kept.front().is_none_or(|&(low, _)| v < low) {
            return;
        }
        self.put(v, 1);
        if self.kept.len() > TOP_KEPT {
            self.kept.pop_front();
            self.dropped = true;
        }
    }

    fn remove(&mut self, v: u64) {
        if let Ok(at) = self.place(v)
            && let Some(slot) = self.kept.get_mut(at)
        {
            slot.1 -= 1;
            if slot.1 == 0 {
                self.kept.remove(at);
            }
        }
    }

    /// The largest value; `Err` when it is no longer known (read the layer again).
    fn max(&self) -> Result<Option<u64>, Unknown> {
        match self.kept.back() {
            Some(&(v, _)) => Ok(Some(v)),
            None if self.dropped => Err(Unknown),
            None => Ok(None),
        }
    }

    fn merge(&mut self, other: Self) {
        // A side that dropped values dropped only values below its lowest kept one: below
        // the higher of those bounds nothing is known.
        let bound = |t: &Self| t.dropped.then(|| t.kept.front().map(|&(v, _)| v));
        let bounds = [bound(self), bound(&other)];
        for (v, n) in other.kept {
            self.put(v, n);
        }
        if bounds.contains(&Some(None)) {
            // A side that lost all it kept: nothing is known.
            self.kept.clear();
            self.dropped = true;
        } else if let Some(cut) = bounds.into_iter().flatten().flatten().max() {
            self.kept.retain(|&(v, _)| v >= cut);
            self.dropped = true;
        }
        while self.kept.len() > TOP_KEPT {
            self.kept.pop_front();
            self.dropped = true;
        }
    }
}

/// The tally cannot answer; the layer must be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unknown;

/// The string ids sharing one head.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Head {
    /// How many runs of digits have each length (index: length, 1 and up).
    widths: Vec<usize>,
    /// Their values (runs too long for a `u64` are left out, as the numbering skips them).
    top: Top,
}

/// See the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdTally {
    /// Features tallied (with an id or without).
    features: usize,
    /// Numeric ids.
    nums: usize,
    /// String ids.
    strs: usize,
    /// Numeric ids that are whole numbers `>= 0`.
    num_top: Top,
    /// The bits of the other numeric ids as `f64` (negative or fractional), with counts.
    num_other: BTreeMap<u64, usize>,
    heads: HashMap<String, Head, rustc_hash::FxBuildHasher>,
    /// Whether some head was left out ([`MAX_HEADS`]).
    heads_full: bool,
}

/// A layer's [`IdTally`], filled by a loader or on first use; a cache, so it debug-prints
/// the same whether filled or not (two layers with the same features print alike).
#[derive(Clone, Default)]
pub(crate) struct TallyCell(pub(crate) std::sync::OnceLock<IdTally>);

impl std::fmt::Debug for TallyCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TallyCell")
    }
}

/// A string id split into its head and its trailing digits.
fn split(s: &str) -> (&str, &str) {
    let digits = s.bytes().rev().take_while(u8::is_ascii_digit).count();
    s.split_at(s.len() - digits)
}

impl IdTally {
    /// The tally of some features' ids.
    pub fn of<'a>(ids: impl IntoIterator<Item = Option<&'a FeatureId>>) -> Self {
        let mut tally = Self::default();
        for id in ids {
            tally.add(id);
        }
        tally
    }

    /// The number of features tallied.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Tallies one more feature, with its id if it has one.
    pub fn add(&mut self, id: Option<&FeatureId>) {
        self.features += 1;
        self.count(id, true);
    }

    /// Takes a feature's id out (the feature was removed).
    pub fn remove(&mut self, id: Option<&FeatureId>) {
        self.features = self.features.saturating_sub(1);
        self.count(id, false);
    }

    fn count(&mut self, id: Option<&FeatureId>, add: bool) {
        let step = |n: &mut usize| *n = if add { *n + 1 } else { n.saturating_sub(1) };
        match id {
            None => {}
            Some(FeatureId::Num(n)) => {
                step(&mut self.nums);
                match n.as_u64() {
                    Some(v) if add => self.num_top.add(v),
                    Some(v) => self.num_top.remove(v),
                    None => {
                        let bits = n.as_f64().unwrap_or(f64::NAN).to_bits();
                        let slot = self.num_other.entry(bits).or_default();
                        step(slot);
                        if *slot == 0 {
                            self.num_other.remove(&bits);
                        }
                    }
                }
            }
            Some(FeatureId::Str(s)) => self.count_str(s, add),
        }
    }

    /// Adds a feature with the string id `id` (as [`Self::add`] with `FeatureId::Str`, without
    /// making one).
    pub fn add_str(&mut self, id: &str) {
        self.features += 1;
        self.count_str(id, true);
    }

    /// Takes out the string id `id` of a feature (as [`Self::remove`] with `FeatureId::Str`).
    pub fn remove_str(&mut self, id: &str) {
        self.features = self.features.saturating_sub(1);
        self.count_str(id, false);
    }

    fn count_str(&mut self, s: &str, add: bool) {
        let step = |n: &mut usize| *n = if add { *n + 1 } else { n.saturating_sub(1) };
        step(&mut self.strs);
        let (head, run) = split(s);
        if run.is_empty() {
            return;
        }
        // One look-up for a head tallied before (nearly every id).
        let full = self.heads.len() >= MAX_HEADS;
        let slot = match self.heads.get_mut(head) {
            Some(slot) => slot,
            None if !add => return,
            None if full => {
                self.heads_full = true;
                return;
            }
            None => self.heads.entry(head.to_owned()).or_default(),
        };
        if slot.widths.len() <= run.len() {
            slot.widths.resize(run.len() + 1, 0);
        }
        if let Some(n) = slot.widths.get_mut(run.len()) {
            step(n);
        }
        if let Ok(v) = run.parse::<u64>() {
            if add {
                slot.top.add(v);
            } else {
                slot.top.remove(v);
            }
        }
    }

    /// Adds the tally of the features that follow.
    pub fn merge(&mut self, other: Self) {
        self.features += other.features;
        self.nums += other.nums;
        self.strs += other.strs;
        self.num_top.merge(other.num_top);
        for (bits, n) in other.num_other {
            *self.num_other.entry(bits).or_default() += n;
        }
        self.heads_full |= other.heads_full;
        for (head, theirs) in other.heads {
            let full = self.heads.len() >= MAX_HEADS;
            match self.heads.get_mut(&head) {
                Some(mine) => {
                    if mine.widths.len() < theirs.widths.len() {
                        mine.widths.resize(theirs.widths.len(), 0);
                    }
                    for (m, t) in mine.widths.iter_mut().zip(&theirs.widths) {
                        *m += t;
                    }
                    mine.top.merge(theirs.top);
                }
                None if full => self.heads_full = true,
                None => {
                    self.heads.insert(head, theirs);
                }
            }
        }
    }

    /// Whether some ids are numbers and none is a string.
    pub fn all_numbers(&self) -> bool {
        self.nums > 0 && self.strs == 0
    }

    /// The highest whole-number id, `Ok(None)` when there is none.
    pub fn max_number(&self) -> Result<Option<u64>, Unknown> {
        self.num_top.max()
    }

    /// Whether an id that is not a whole number equals `v` as a float (so `Num(v)` is
    /// taken), or the highest whole-number id does (above 2^53 neighbours round alike).
    pub fn number_taken(&self, v: u64) -> bool {
        let f = v as f64;
        self.num_other.contains_key(&f.to_bits())
            || self.num_top.max().ok().flatten().is_some_and(|m| {
                #[expect(clippy::float_cmp, reason = "ids compare as JSON numbers: 1 and 1.0 are equal")]
                let same = m as f64 == f;
                same
            })
    }

    /// For the string ids `prefix` + digits: the longest run of digits and the highest
    /// value. `Err` when the tally cannot tell: `prefix` ends in a digit, its head was left
    /// out, or its highest values were all deleted.
    pub fn numbered(&self, prefix: &str) -> Result<(Option<usize>, Option<u64>), Unknown> {
        if prefix.bytes().last().is_some_and(|b| b.is_ascii_digit()) {
            return Err(Unknown);
        }
        match self.heads.get(prefix) {
            Some(head) => {
                let width = head.widths.iter().rposition(|&n| n > 0);
                Ok((width, head.top.max()?))
            }
            None if self.heads_full => Err(Unknown),
            None => Ok((None, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: &str) -> FeatureId {
        FeatureId::Str(id.to_owned())
    }

    #[test]
    fn heads_and_runs() {
        assert_eq!(split("TJK-FA-031"), ("TJK-FA-", "031"));
        assert_eq!(split("f-"), ("f-", ""));
        assert_eq!(split("123"), ("", "123"));
    }

    #[test]
    fn the_highest_survives_deletes_until_the_kept_ones_run_out() {
        let ids: Vec<FeatureId> = (1..=200).map(|i| s(&format!("A-{i:03}"))).collect();
        let mut tally = IdTally::of(ids.iter().map(Some));
        assert_eq!(tally.numbered("A-"), Ok((Some(3), Some(200))));
        for i in (137..=200).rev() {
            assert_eq!(tally.numbered("A-"), Ok((Some(3), Some(i))));
            tally.remove(Some(&s(&format!("A-{i:03}"))));
        }
        assert_eq!(tally.numbered("A-"), Err(Unknown), "the 64 kept are gone");
        assert_eq!(tally.numbered("B-"), Ok((None, None)));
        assert_eq!(tally.numbered("A-1"), Err(Unknown));
    }

    #[test]
    fn merged_tallies_equal_one_tally() {
        let ids: Vec<FeatureId> = (0..500).map(|i| s(&format!("X{}", (i * 7919) % 1000))).collect();
        let whole = IdTally::of(ids.iter().map(Some));
        let mut parts = IdTally::default();
        for chunk in ids.chunks(64) {
            parts.merge(IdTally::of(chunk.iter().map(Some)));
        }
        assert_eq!(parts.numbered("X"), whole.numbered("X"));
        assert_eq!(parts.features(), whole.features());
    }
}
