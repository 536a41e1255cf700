//! The columnar layer store: a layer's features as columns, with each feature's full text
//! kept packed and decoded only when something asks for that feature.
//!
//! A million-event layer is mostly text nobody reads until an analyst clicks a point or the
//! layer is saved. So a feature read by the fast loaders ([`crate::io::geojson`]) is kept
//! as:
//! - its shape in world units in a column ([`Shape`] keeps a point inline: no allocation),
//! - its date span in a column,
//! - its exact source text (the whole GeoJSON Feature object, as written in the file, so
//!   number spellings, property order and foreign members survive) in a [`TextArena`] of
//!   LZ4-compressed blocks, decoded by the loader's decoder when the inspector, a form, a
//!   search or a save needs the feature.
//!
//! A feature that was edited, or that came from a loader without a text form (GeoPackage,
//! KML, new features), is held decoded ([`Feature`]). Readers do not see the difference:
//! [`FeatureStore::get`] and [`FeatureStore::iter`] give a [`FeatureView`] that derefs to a
//! [`Feature`] either way; hot paths (drawing, hit-testing, the time filter) read the
//! columns through [`FeatureStore::shape`] and [`FeatureStore::span`] without decoding.

use std::sync::{Arc, Mutex};

use super::{Feature, FeatureLayout};
use crate::spatial::Shape;
use crate::time::DateSpan;

/// A feature as readers see it: borrowed when held decoded; for a packed one, the decoded
/// copy shared with the store's small cache (so drawing the same view again decodes nothing).
#[derive(Clone)]
pub enum FeatureView<'a> {
    /// A feature held decoded.
    Borrowed(&'a Feature),
    /// A packed feature, decoded.
    Shared(Arc<Feature>),
}

impl std::ops::Deref for FeatureView<'_> {
    type Target = Feature;

    fn deref(&self) -> &Feature {
        match self {
            Self::Borrowed(f) => f,
            Self::Shared(f) => f,
        }
    }
}

impl std::fmt::Debug for FeatureView<'_> {
    /// The feature's own debug text, however it is held.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl AsRef<Feature> for FeatureView<'_> {
    fn as_ref(&self) -> &Feature {
        self
    }
}

impl PartialEq for FeatureView<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl FeatureView<'_> {
    /// The feature, owned.
    pub fn into_owned(self) -> Feature {
        match self {
            Self::Borrowed(f) => f.clone(),
            Self::Shared(f) => Arc::unwrap_or_clone(f),
        }
    }
}

/// Decoded packed features kept for reuse (the map draws the same features frame after
/// frame); cleared whenever features move.
const CACHE_FEATURES: usize = 16 * 1024;

/// Turns a packed feature's text back into the feature (without its shape and span, which
/// the store keeps in columns) and its member layout.
/// A loader's decoder may carry what its texts need (an ACLED CSV record needs its header).
pub type Decoder = Arc<dyn Fn(&str) -> Result<(Feature, FeatureLayout), String> + Send + Sync>;

/// Writes a packed feature's text to `out` as the JSON Feature object a save writes for it
/// (exactly the bytes `serde_json` gives for the decoded feature in the returned member
/// layout), without decoding it; `None` when it cannot vouch for that (the caller then
/// decodes). See [`crate::io::save_fast`].
pub type Encoder = Arc<dyn Fn(&str, &mut Vec<u8>) -> Option<FeatureLayout> + Send + Sync>;

/// Target size of one uncompressed block of feature texts.
pub const BLOCK_BYTES: usize = 64 * 1024;

/// Where one packed feature's text is: block, offset and length in the decompressed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRef {
    /// Block number in the arena.
    pub block: u32,
    /// Byte offset in the decompressed block.
    pub start: u32,
    /// Byte length.
    pub len: u32,
}

/// Compressed blocks of feature texts.
#[derive(Default)]
pub struct TextArena {
    blocks: Vec<Box<[u8]>>,
    /// The last block decompressed, for runs of reads in one block (the inspector, the
    /// "features here" list).
    cache: Mutex<Option<(u32, Arc<[u8]>)>>,
}

impl std::fmt::Debug for TextArena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextArena")
            .field("blocks", &self.blocks.len())
            .field("bytes", &self.compressed_bytes())
            .finish_non_exhaustive()
    }
}

impl Clone for TextArena {
    fn clone(&self) -> Self {
        Self { blocks: self.blocks.clone(), cache: Mutex::new(None) }
    }
}

impl TextArena {
    /// Appends sealed blocks (from a [`BlockWriter`]), returning the number the first one gets.
    pub fn append(&mut self, blocks: Vec<Box<[u8]>>) -> u32 {
        let first = self.blocks.len() as u32;
        self.blocks.extend(blocks);
        first
    }

    /// Total compressed size.
    pub fn compressed_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.len()).sum()
    }

    /// The decompressed bytes of block `n`.
    fn block(&self, n: u32) -> Option<Arc<[u8]>> {
        if let Ok(cache) = self.cache.lock()
            && let Some((cached, bytes)) = cache.as_ref()
            && *cached == n
        {
            return Some(Arc::clone(bytes));
        }
        let compressed = self.blocks.get(n as usize)?;
        let bytes: Arc<[u8]> = lz4_flex::decompress_size_prepended(compressed).ok()?.into();
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some((n, Arc::clone(&bytes)));
        }
        Some(bytes)
    }
}

/// Packs texts into compressed blocks; one per loader thread, its blocks appended to the
/// arena in order.
#[derive(Debug, Default)]
pub struct BlockWriter {
    current: Vec<u8>,
    sealed: Vec<Box<[u8]>>,
}

impl BlockWriter {
    /// Adds a text; returns its place, with the block counted from this writer's first.
    pub fn push(&mut self, text: &str) -> TextRef {
        if !self.current.is_empty() && self.current.len() + text.len() > BLOCK_BYTES {
            self.seal();
        }
        let start = self.current.len() as u32;
        self.current.extend_from_slice(text.as_bytes());
        TextRef { block: self.sealed.len() as u32, start, len: text.len() as u32 }
    }

    fn seal(&mut self) {
        if !self.current.is_empty() {
            self.sealed.push(lz4_flex::compress_prepend_size(&self.current).into_boxed_slice());
            self.current.clear();
        }
    }

    /// The sealed blocks.
    pub fn finish(mut self) -> Vec<Box<[u8]>> {
        self.seal();
        self.sealed
    }
}

#[derive(Debug, Clone)]
enum Record {
    /// Held decoded (its shape and span are in the feature).
    Owned(Box<Feature>),
    /// Packed text (its shape and span are in the columns).
    Packed(TextRef),
}

/// The features of one layer. See the module documentation.
pub struct FeatureStore {
    records: Vec<Record>,
    /// Changes whenever features or their spans may have changed (see
    /// [`FeatureStore::generation`]).
    generation: u64,
    /// Recently decoded packed features, by position.
    cache: Mutex<std::collections::HashMap<usize, Arc<Feature>>>,
    /// Packed features decoded so far (for tests that a path reads only the columns).
    decodes: std::sync::atomic::AtomicUsize,
    /// Shapes of packed features (default for decoded ones, which hold their own).
    shapes: Vec<Shape>,
    /// Date spans of packed features.
    spans: Vec<Option<DateSpan>>,
    arena: Arc<TextArena>,
    decoder: Option<Decoder>,
    /// How packed texts are written as JSON without decoding (see [`Encoder`]).
    encoder: Option<Encoder>,
}

/// A number no store has had yet (see [`FeatureStore::generation`]).
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for FeatureStore {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            generation: next_generation(),
            cache: Mutex::default(),
            decodes: std::sync::atomic::AtomicUsize::new(0),
            shapes: Vec::new(),
            spans: Vec::new(),
            arena: Arc::default(),
            decoder: None,
            encoder: None,
        }
    }
}

impl Clone for FeatureStore {
    fn clone(&self) -> Self {
        Self {
            records: self.records.clone(),
            generation: self.generation,
            cache: Mutex::default(),
            decodes: std::sync::atomic::AtomicUsize::new(0),
            shapes: self.shapes.clone(),
            spans: self.spans.clone(),
            arena: Arc::clone(&self.arena),
            decoder: self.decoder.clone(),
            encoder: self.encoder.clone(),
        }
    }
}

impl std::fmt::Debug for FeatureStore {
    /// Lists the features, decoded: two stores debug-print alike when they hold the same
    /// features, however each holds them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for FeatureStore {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl From<Vec<Feature>> for FeatureStore {
    fn from(features: Vec<Feature>) -> Self {
        Self::from_features(features)
    }
}

/// One packed feature as a loader hands it over.
#[derive(Debug, Clone)]
pub struct PackedFeature {
    /// Where its text is, with `block` counted from the first block of the batch.
    pub text: TextRef,
    /// Its shape in world units.
    pub shape: Shape,
    /// Its date span, if the layer is dated.
    pub span: Option<DateSpan>,
}

impl FeatureStore {
    /// A store holding decoded features.
    pub fn from_features(features: Vec<Feature>) -> Self {
        let n = features.len();
        Self {
            generation: next_generation(),
            cache: Mutex::default(),
            decodes: std::sync::atomic::AtomicUsize::new(0),
            records: features.into_iter().map(|f| Record::Owned(Box::new(f))).collect(),
            shapes: vec![Shape::default(); n],
            spans: vec![None; n],
            arena: Arc::default(),
            decoder: None,
            encoder: None,
        }
    }

    /// An empty store for packed features read with `decoder`.
    pub fn packed(decoder: Decoder) -> Self {
        Self { decoder: Some(decoder), ..Self::default() }
    }

    /// Adds compressed blocks of feature texts; returns the number of the first, which
    /// [`FeatureStore::push_packed`] adds to the block numbers of its features.
    pub fn add_blocks(&mut self, blocks: Vec<Box<[u8]>>) -> u32 {
        // Blocks are immutable: a clone of the store (a snapshot being saved) keeps its own list.
        Arc::make_mut(&mut self.arena).append(blocks)
    }

    /// Appends a packed feature whose text is in the blocks added from `first_block` on.
    pub fn push_packed(&mut self, first_block: u32, f: PackedFeature) {
        self.generation = next_generation();
        self.records.push(Record::Packed(TextRef { block: first_block + f.text.block, ..f.text }));
        self.shapes.push(f.shape);
        self.spans.push(f.span);
    }

    /// Appends one decoded feature.
    pub fn push(&mut self, feature: Feature) {
        self.insert(self.records.len(), feature);
    }

    /// A number that changes whenever features may have changed (every `&mut` access to
    /// features, shapes or spans) and that no other store shares unless it is an unchanged
    /// clone: what caches derived from the features (the density view's bins) are keyed by.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The number of features.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many times a packed feature was decoded (for tests that a path reads only the
    /// columns).
    pub fn decodes(&self) -> usize {
        self.decodes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The compressed size of the packed texts (for benchmarks and the memory report).
    pub fn packed_bytes(&self) -> usize {
        self.arena.compressed_bytes()
    }

    /// How many features are held packed (for tests and the memory report).
    pub fn packed_count(&self) -> usize {
        self.records.iter().filter(|r| matches!(r, Record::Packed(_))).count()
    }

    /// Feature `i`, decoded if it is packed. `None` past the end, or for a packed feature
    /// whose text no longer decodes (which the loader's checks make impossible).
    pub fn get(&self, i: usize) -> Option<FeatureView<'_>> {
        match self.records.get(i)? {
            Record::Owned(f) => Some(FeatureView::Borrowed(f)),
            Record::Packed(at) => {
                if let Ok(cache) = self.cache.lock()
                    && let Some(f) = cache.get(&i)
                {
                    return Some(FeatureView::Shared(Arc::clone(f)));
                }
                let f = Arc::new(self.decode(i, *at, None)?.0);
                if let Ok(mut cache) = self.cache.lock() {
                    if cache.len() >= CACHE_FEATURES {
                        cache.clear();
                    }
                    cache.insert(i, Arc::clone(&f));
                }
                Some(FeatureView::Shared(f))
            }
        }
    }

    /// The first feature.
    pub fn first(&self) -> Option<FeatureView<'_>> {
        self.get(0)
    }

    /// The last feature.
    pub fn last(&self) -> Option<FeatureView<'_>> {
        self.get(self.records.len().checked_sub(1)?)
    }

    /// The shape of feature `i`, without decoding it.
    pub fn shape(&self, i: usize) -> Option<&Shape> {
        match self.records.get(i)? {
            Record::Owned(f) => Some(&f.shape),
            Record::Packed(_) => self.shapes.get(i),
        }
    }

    /// The date span of feature `i`, without decoding it.
    pub fn span(&self, i: usize) -> Option<DateSpan> {
        match self.records.get(i)? {
            Record::Owned(f) => f.time,
            Record::Packed(_) => self.spans.get(i).copied().flatten(),
        }
    }

    /// Every feature's date span, in order, without decoding.
    pub fn spans(&self) -> impl Iterator<Item = Option<DateSpan>> + '_ {
        (0..self.records.len()).map(|i| self.span(i))
    }

    /// Whether feature `i` is held packed (its text not decoded).
    pub fn is_packed(&self, i: usize) -> bool {
        matches!(self.records.get(i), Some(Record::Packed(_)))
    }

    /// Sets the date span of feature `i`.
    pub fn set_span(&mut self, i: usize, span: Option<DateSpan>) {
        self.generation = next_generation();
        if let Ok(cache) = self.cache.get_mut()
            && !cache.is_empty()
        {
            cache.remove(&i);
        }
        match self.records.get_mut(i) {
            Some(Record::Owned(f)) => f.time = span,
            Some(Record::Packed(_)) => {
                if let Some(slot) = self.spans.get_mut(i) {
                    *slot = span;
                }
            }
            None => {}
        }
    }

    /// The exact source text of a packed feature (`None` for a decoded one).
    pub fn source_text(&self, i: usize) -> Option<String> {
        let Record::Packed(at) = self.records.get(i)? else { return None };
        let block = self.arena.block(at.block)?;
        let bytes = block.get(at.start as usize..(at.start + at.len) as usize)?;
        std::str::from_utf8(bytes).ok().map(str::to_owned)
    }

    /// Every feature in order (packed ones decoded block by block).
    pub fn iter(&self) -> Iter<'_> {
        Iter { store: self, next: 0, end: self.records.len(), block: None }
    }

    /// The features held decoded, in order, skipping packed ones: every feature of a layer
    /// not read by a fast loader (the embedded geodata, GeoPackage, KML), by reference.
    pub fn decoded(&self) -> impl Iterator<Item = &Feature> {
        self.records.iter().filter_map(|r| match r {
            Record::Owned(f) => Some(&**f),
            Record::Packed(_) => None,
        })
    }

    /// Feature `i` if it is held decoded (never decodes a packed one).
    pub fn held(&self, i: usize) -> Option<&Feature> {
        match self.records.get(i)? {
            Record::Owned(f) => Some(f),
            Record::Packed(_) => None,
        }
    }

    /// Feature `i` held decoded from now on, for changing it in place.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Feature> {
        self.own(i);
        match self.records.get_mut(i)? {
            Record::Owned(f) => Some(f),
            Record::Packed(_) => None,
        }
    }

    /// Every feature held decoded from now on, for changing them all (time-zone changes on
    /// small layers, tests).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Feature> {
        for i in 0..self.records.len() {
            self.own(i);
        }
        self.records.iter_mut().filter_map(|r| match r {
            Record::Owned(f) => Some(&mut **f),
            Record::Packed(_) => None,
        })
    }

    /// Inserts a decoded feature at `i` (clamped to the end).
    pub fn insert(&mut self, i: usize, feature: Feature) {
        self.forget();
        let i = i.min(self.records.len());
        self.records.insert(i, Record::Owned(Box::new(feature)));
        self.shapes.insert(i, Shape::default());
        self.spans.insert(i, None);
    }

    /// Removes feature `i` and returns it decoded.
    pub fn remove(&mut self, i: usize) -> Option<Feature> {
        self.forget();
        if i >= self.records.len() {
            return None;
        }
        self.own(i);
        self.shapes.remove(i);
        self.spans.remove(i);
        match self.records.remove(i) {
            Record::Owned(f) => Some(*f),
            Record::Packed(_) => None,
        }
    }

    /// Removes the last feature and returns it decoded.
    pub fn pop(&mut self) -> Option<Feature> {
        self.remove(self.records.len().checked_sub(1)?)
    }

    /// Replaces feature `i`, returning the old one decoded.
    pub fn replace(&mut self, i: usize, feature: Feature) -> Option<Feature> {
        let old = self.get(i)?.into_owned();
        self.forget();
        if let Some(slot) = self.records.get_mut(i) {
            *slot = Record::Owned(Box::new(feature));
        }
        if let Some(s) = self.shapes.get_mut(i) {
            *s = Shape::default();
        }
        Some(old)
    }

    /// A copy for saving on a worker: decoded features cloned without their drawing shapes,
    /// packed ones sharing this store's text blocks (nothing is decoded or copied). Cheap
    /// enough for the UI thread at a million features.
    #[must_use]
    pub fn snapshot(&self) -> Self {
        let records = self
            .records
            .iter()
            .map(|r| match r {
                Record::Owned(f) => Record::Owned(Box::new(Feature {
                    id: f.id.clone(),
                    geometry: f.geometry.clone(),
                    properties: f.properties.clone(),
                    foreign_members: f.foreign_members.clone(),
                    shape: Shape::default(),
                    time: f.time,
                })),
                Record::Packed(at) => Record::Packed(*at),
            })
            .collect();
        Self {
            records,
            generation: next_generation(),
            cache: Mutex::default(),
            decodes: std::sync::atomic::AtomicUsize::new(0),
            shapes: vec![Shape::default(); self.records.len()],
            spans: self.spans.clone(),
            arena: Arc::clone(&self.arena),
            decoder: self.decoder.clone(),
            encoder: self.encoder.clone(),
        }
    }

    /// Every feature, decoded.
    pub fn to_vec(&self) -> Vec<Feature> {
        self.iter().map(FeatureView::into_owned).collect()
    }

    /// Empties the decoded-feature cache (features moved or changed).
    fn forget(&mut self) {
        self.generation = next_generation();
        if let Ok(cache) = self.cache.get_mut()
            && !cache.is_empty()
        {
            cache.clear();
        }
    }

    /// Makes feature `i` held decoded.
    fn own(&mut self, i: usize) {
        self.forget();
        let Some(Record::Packed(at)) = self.records.get(i) else { return };
        let at = *at;
        if let Some((feature, _)) = self.decode(i, at, None)
            && let Some(slot) = self.records.get_mut(i)
        {
            *slot = Record::Owned(Box::new(feature));
            if let Some(s) = self.shapes.get_mut(i) {
                *s = Shape::default();
            }
        }
    }

    /// Decodes packed feature `i` (text at `at`), reusing an already decompressed block.
    fn decode(&self, i: usize, at: TextRef, block: Option<&[u8]>) -> Option<(Feature, FeatureLayout)> {
        self.decodes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let owned;
        let bytes = if let Some(b) = block {
            b
        } else {
            owned = self.arena.block(at.block)?;
            &owned
        };
        let text = std::str::from_utf8(bytes.get(at.start as usize..(at.start + at.len) as usize)?).ok()?;
        let (mut feature, layout) = (self.decoder.as_ref()?)(text).ok()?;
        feature.shape = self.shapes.get(i).cloned().unwrap_or_default();
        feature.time = self.spans.get(i).copied().flatten();
        Some((feature, layout))
    }
}

impl<'a> IntoIterator for &'a FeatureStore {
    type Item = FeatureView<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromIterator<Feature> for FeatureStore {
    fn from_iter<I: IntoIterator<Item = Feature>>(iter: I) -> Self {
        Self::from_features(iter.into_iter().collect())
    }
}

impl<'a> FromIterator<FeatureView<'a>> for FeatureStore {
    fn from_iter<I: IntoIterator<Item = FeatureView<'a>>>(iter: I) -> Self {
        Self::from_features(iter.into_iter().map(FeatureView::into_owned).collect())
    }
}

impl<'a> IntoIterator for &'a mut FeatureStore {
    type Item = &'a mut Feature;
    type IntoIter = Box<dyn Iterator<Item = &'a mut Feature> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter_mut())
    }
}

/// Iterator over a store's features; see [`FeatureStore::iter`].
pub struct Iter<'a> {
    store: &'a FeatureStore,
    next: usize,
    end: usize,
    block: Option<(u32, Arc<[u8]>)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = FeatureView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < self.end {
            let i = self.next;
            self.next += 1;
            match self.store.records.get(i)? {
                Record::Owned(f) => return Some(FeatureView::Borrowed(f)),
                Record::Packed(at) => {
                    if self.block.as_ref().is_none_or(|(n, _)| *n != at.block) {
                        let compressed = self.store.arena.blocks.get(at.block as usize)?;
                        let bytes = lz4_flex::decompress_size_prepended(compressed).ok()?;
                        self.block = Some((at.block, bytes.into()));
                    }
                    let block = self.block.as_ref().map(|(_, b)| Arc::clone(b));
                    if let Some((f, _)) = self.store.decode(i, *at, block.as_deref()) {
                        return Some(FeatureView::Shared(Arc::new(f)));
                    }
                }
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        while self.end > self.next {
            self.end -= 1;
            if let Some(f) = self.store.get(self.end) {
                return Some(f);
            }
        }
        None
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A store's packed texts and their decoder, shared (the blocks are immutable): what a team
/// store layer keeps as the merge base of its features, so an edited feature's synced content
/// is read back from the text it was opened from, decoding only the features that need it.
#[derive(Clone)]
pub struct PackedTexts {
    arena: Arc<TextArena>,
    decoder: Decoder,
}

impl std::fmt::Debug for PackedTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedTexts").field("arena", &self.arena).finish_non_exhaustive()
    }
}

impl PackedTexts {
    /// Whether `store` reads its packed features from these texts.
    pub fn shared_with(&self, store: &FeatureStore) -> bool {
        Arc::ptr_eq(&self.arena, &store.arena)
    }

    /// The feature whose text is at `at` (without shape and span), decoded.
    pub fn decode(&self, at: TextRef) -> Option<Feature> {
        let block = self.arena.block(at.block)?;
        let text = std::str::from_utf8(block.get(at.start as usize..(at.start + at.len) as usize)?).ok()?;
        (self.decoder)(text).ok().map(|(f, _)| f)
    }
}

impl FeatureStore {
    /// Where packed feature `i`'s text is (`None` for a feature held decoded): a packed
    /// feature is unchanged since it was packed, and its text stays where it is.
    pub fn text_ref(&self, i: usize) -> Option<TextRef> {
        match self.records.get(i)? {
            Record::Packed(at) => Some(*at),
            Record::Owned(_) => None,
        }
    }

    /// The packed texts and the decoder, shared (`None` for a store of decoded features).
    pub fn packed_texts(&self) -> Option<PackedTexts> {
        Some(PackedTexts { arena: Arc::clone(&self.arena), decoder: self.decoder.clone()? })
    }
}

/// A save's place in a store's packed texts: the last block it decompressed (so a save
/// neither decompresses a block twice nor takes the arena's cache from the inspector).
#[derive(Default)]
pub struct TextCursor(Option<(u32, Arc<[u8]>)>);

impl FeatureStore {
    /// The store with packed texts written as JSON by `encoder` (see [`Encoder`]).
    #[must_use]
    pub fn with_encoder(mut self, encoder: Encoder) -> Self {
        self.encoder = Some(encoder);
        self
    }

    /// Packed texts are written as JSON by `encoder` from now on (see [`Encoder`]).
    pub fn set_encoder(&mut self, encoder: Encoder) {
        self.encoder = Some(encoder);
    }

    /// Whether packed texts can be written as JSON without decoding them.
    pub fn has_encoder(&self) -> bool {
        self.encoder.is_some()
    }

    /// Writes packed feature `i` to `out` with the store's [`Encoder`], decoding nothing, and
    /// gives the member layout it was written in. `None` (with `out` perhaps written to: the
    /// caller truncates it) for a feature held decoded, without an encoder, or when the
    /// encoder declines the text.
    pub fn encode(&self, i: usize, cursor: &mut TextCursor, out: &mut Vec<u8>) -> Option<FeatureLayout> {
        let Record::Packed(at) = self.records.get(i)? else { return None };
        let encoder = self.encoder.as_ref()?;
        if cursor.0.as_ref().is_none_or(|(n, _)| *n != at.block) {
            let compressed = self.arena.blocks.get(at.block as usize)?;
            cursor.0 = Some((at.block, lz4_flex::decompress_size_prepended(compressed).ok()?.into()));
        }
        let (_, block) = cursor.0.as_ref()?;
        let text = std::str::from_utf8(block.get(at.start as usize..(at.start + at.len) as usize)?).ok()?;
        encoder(text, out)
    }
}
