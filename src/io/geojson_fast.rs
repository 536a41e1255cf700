//! The fast GeoJSON loader: a `FeatureCollection` file read in chunks, its features split by
//! a byte scanner and packed into the columnar store ([`crate::model::FeatureStore`]) on
//! every core, without building a JSON value tree per feature.
//!
//! It gives exactly the layer [`super::geojson::parse_layer`] gives — the same features,
//! properties, layouts, dates, skipped lines and errors — and that is how it stays simple:
//! anything out of the ordinary (a root that is not a `FeatureCollection`, a syntax error, a
//! feature with an odd member) is handed to the value-tree code, for the whole file (a
//! syntax error, whose `FILE:LINE:COL` that code reports) or for the one feature (which it
//! skips with its reason). What stays in memory per feature is its shape (a point inline),
//! its date span, its category and its exact text in LZ4 blocks.

use std::borrow::Cow;
use std::fmt;
use std::io::Read as _;
use std::path::Path;

use rayon::prelude::*;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::geojson::{GeoJsonError, Loaded};
use super::progress::Progress;
use crate::model::store::{BlockWriter, PackedFeature};
use crate::model::{
    Feature, FeatureId, FeatureLayout, FeatureStore, Layer, LayerKind, LayerSource, PropertiesForm, RootKind,
};
use crate::spatial::Shape;

/// Bytes read from the file at a time.
const CHUNK: usize = 8 * 1024 * 1024;

/// Features packed per parallel task.
const TASK_FEATURES: usize = 2048;

/// What a fast load found: the layer, or a reason to use the value-tree loader.
enum Outcome {
    Loaded(Box<Loaded>),
    /// Not for the fast path (not a regular file, not a `FeatureCollection`, a syntax error):
    /// load with the value-tree code, which reports exactly.
    Fallback,
    /// The load was cancelled or the file could not be read.
    Failed(GeoJsonError),
}

/// Loads a GeoJSON file as a new layer, reporting to `progress` (and stopping when it is
/// cancelled). Same result as [`super::geojson::load_file`].
pub fn load_file(path: &Path, progress: &Progress) -> Result<Loaded, GeoJsonError> {
    match load_fast(path, progress) {
        Outcome::Loaded(loaded) => Ok(*loaded),
        Outcome::Failed(e) => Err(e),
        Outcome::Fallback => super::geojson::load_file_with(path, progress),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> GeoJsonError {
    GeoJsonError::Io { path: path.to_owned(), source }
}

fn cancelled(path: &Path) -> GeoJsonError {
    GeoJsonError::Cancelled { file: path.display().to_string() }
}

/// The file, read in chunks: `buf[pos..]` is what has not been consumed yet.
struct Chunks {
    file: std::fs::File,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    /// File offset of `buf[0]`.
    base: u64,
}

impl Chunks {
    /// Reads more, keeping the unconsumed part. Returns false at the end of the file.
    fn more(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let mut filled = old;
        while filled < self.buf.len() {
            match self.file.read(self.buf.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.buf.truncate(filled);
        Ok(filled > old)
    }

    fn rest(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Skips whitespace, reading more as needed; the next byte, or `None` at the end.
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            if let Some(skip) = self.rest().iter().position(|b| !b.is_ascii_whitespace()) {
                self.pos += skip;
                return Ok(self.rest().first().copied());
            }
            self.pos = self.buf.len();
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    /// The next JSON value's text (scanned, not checked) after any whitespace, reading more
    /// as needed.
    fn value(&mut self) -> std::io::Result<Option<&[u8]>> {
        if self.peek()?.is_none() {
            return Ok(None);
        }
        loop {
            if let Some(len) = value_len(self.rest()) {
                let start = self.pos;
                self.pos += len;
                return Ok(self.buf.get(start..start + len));
            }
            if !self.more()? {
                return Ok(None);
            }
        }
    }
}

/// The length of the JSON value at the start of `bytes`, if it ends within them. Only the
/// structure is followed (strings, brackets); the parser checks the text later.
fn value_len(bytes: &[u8]) -> Option<usize> {
    match bytes.first()? {
        b'"' => string_len(bytes),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = 0;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'"' => {
                        i += string_len(bytes.get(i..)?)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let end = bytes.iter().position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())?;
            Some(end)
        }
    }
}

/// The length of the string literal at the start of `bytes` (quotes included).
fn string_len(bytes: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        let rel = memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
        i += rel;
        if bytes.get(i) == Some(&b'\\') {
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
}

/// The fast path proper.
fn load_fast(path: &Path, progress: &Progress) -> Outcome {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(io_error(path, e)),
    };
    let total = match file.metadata() {
        Ok(m) if m.is_file() && m.len() <= super::read::MAX_FILE_BYTES => {
            progress.set_total_bytes(m.len());
            m.len()
        }
        // Folders, FIFOs, devices and files over the limit: the reader that handles them.
        _ => return Outcome::Fallback,
    };
    let label = path.display().to_string();
    let name = path.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    let mut chunks = Chunks { file, buf: Vec::with_capacity(CHUNK), pos: 0, eof: false, base: 0 };
    match scan(&mut chunks, &label, progress) {
        Ok(Some(scanned)) => {
            if progress.cancelled() {
                return Outcome::Failed(cancelled(path));
            }
            let Scanned { root, packer } = scanned;
            match packer.finish(root, &name, LayerSource::File(path.to_owned())) {
                Ok(loaded) => {
                    progress.set_bytes_done(total);
                    Outcome::Loaded(Box::new(loaded))
                }
                Err(e) => Outcome::Failed(e),
            }
        }
        Ok(None) => {
            if progress.cancelled() {
                Outcome::Failed(cancelled(path))
            } else {
                Outcome::Fallback
            }
        }
        Err(e) => Outcome::Failed(io_error(path, e)),
    }
}

/// What the scan of the file collected.
struct Scanned {
    root: Map<String, Value>,
    packer: FeaturePacker,
}

/// Reads the root object; `Ok(None)` means "use the value-tree loader" (or cancelled).
fn scan(chunks: &mut Chunks, label: &str, progress: &Progress) -> std::io::Result<Option<Scanned>> {
    chunks.more()?;
    if chunks.rest().starts_with("\u{feff}".as_bytes()) {
        chunks.pos += 3;
    }
    if chunks.peek()? != Some(b'{') {
        return Ok(None);
    }
    chunks.pos += 1;
    let mut root = Map::new();
    let mut packer: Option<FeaturePacker> = None;
    loop {
        match chunks.peek()? {
            Some(b'}') => {
                chunks.pos += 1;
                break;
            }
            Some(b'"') => {}
            _ => return Ok(None),
        }
        let Some(key) = chunks.value()? else { return Ok(None) };
        let Ok(key) = serde_json::from_slice::<String>(key) else { return Ok(None) };
        if chunks.peek()? != Some(b':') {
            return Ok(None);
        }
        chunks.pos += 1;
        if key == "features" {
            if packer.is_some() || chunks.peek()? != Some(b'[') {
                return Ok(None);
            }
            chunks.pos += 1;
            root.insert(key, Value::Null);
            let mut p = FeaturePacker::new(label, None);
            if !features(chunks, &mut p, progress)? {
                return Ok(None);
            }
            packer = Some(p);
        } else {
            let Some(text) = chunks.value()? else { return Ok(None) };
            let Ok(value) = serde_json::from_slice::<Value>(text) else { return Ok(None) };
            root.insert(key, value);
        }
        match chunks.peek()? {
            Some(b',') => chunks.pos += 1,
            Some(b'}') => {}
            _ => return Ok(None),
        }
    }
    if chunks.peek()?.is_some() {
        return Ok(None);
    }
    if root.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Ok(None);
    }
    Ok(packer.map(|packer| Scanned { root, packer }))
}

/// Reads the `features` array's elements into the packer, a chunk at a time. False means
/// "not for the fast path" (a syntax error) or cancelled.
fn features(chunks: &mut Chunks, packer: &mut FeaturePacker, progress: &Progress) -> std::io::Result<bool> {
    // Whether a feature was read (so the next element needs a `,` first).
    let mut after_feature = false;
    loop {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut at = chunks.pos;
        let mut ended = false;
        let mut needs_comma = after_feature;
        while let Some(p) = next_non_space(&chunks.buf, at) {
            let b = chunks.buf.get(p).copied();
            if b == Some(b']') && !(needs_comma && spans.is_empty() && !after_feature) {
                at = p + 1;
                ended = true;
                break;
            }
            let start = if needs_comma {
                if b != Some(b',') {
                    return Ok(false);
                }
                let Some(q) = next_non_space(&chunks.buf, p + 1) else { break };
                q
            } else {
                p
            };
            if chunks.buf.get(start) != Some(&b'{') {
                return Ok(false);
            }
            let Some(len) = value_len(chunks.buf.get(start..).unwrap_or_default()) else { break };
            spans.push((start, start + len));
            at = start + len;
            needs_comma = true;
        }
        if !spans.is_empty() {
            after_feature = true;
            // Packed a few thousand at a time, reporting and checking Cancel in between.
            for group in spans.chunks(super::progress::REPORT_EVERY) {
                let texts: Vec<&str> = group
                    .iter()
                    .filter_map(|&(a, b)| chunks.buf.get(a..b).and_then(|t| std::str::from_utf8(t).ok()))
                    .collect();
                if texts.len() != group.len() || !packer.pack(&texts) {
                    return Ok(false);
                }
                let end = group.last().map_or(at, |&(_, b)| b);
                progress.set_bytes_done(chunks.base + end as u64);
                progress.add_features(texts.len() as u64);
                if progress.cancelled() {
                    return Ok(false);
                }
            }
        }
        chunks.pos = at;
        if ended {
            return Ok(true);
        }
        if !chunks.more()? {
            return Ok(false);
        }
    }
}

/// The position of the first non-whitespace byte at or after `from`.
fn next_non_space(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?.iter().position(|b| !b.is_ascii_whitespace()).map(|k| from + k)
}

/// Packs feature texts into the columnar store, on every core: the fast GeoJSON loader and
/// the ACLED CSV loader (which writes each row as the feature text `import acled` writes)
/// feed it batches of Feature object texts.
///
/// The layer's kind decides which columns are read (events' dates and types, aid's dates and
/// donors). As in [`super::geojson::infer_kind`] it is that of the first kept feature with
/// properties, found before the first batch with one is packed; the features before it have
/// no properties, so their columns are the same whatever the kind.
pub struct FeaturePacker {
    label: String,
    store: FeatureStore,
    layouts: Vec<FeatureLayout>,
    /// Per kept feature: its category (index into `names`), for events and aid.
    categories: Vec<u32>,
    names: Vec<String>,
    lookup: std::collections::HashMap<String, u32>,
    skipped: Vec<String>,
    /// Unreadable dates, as `assign_spans` words them.
    problems: Vec<String>,
    /// Features seen so far (kept or skipped), for skip messages.
    seen: usize,
    has_shape_name: bool,
    kind: Option<LayerKind>,
    /// The kept features' ids, tallied by the tasks (for new ids without decoding).
    ids: crate::model::ids::IdTally,
}

/// One feature read by a parallel task.
struct Packed {
    feature: PackedFeature,
    layout: FeatureLayout,
    category: Option<String>,
    /// Why its date cannot be read, and its id for the message.
    date_problem: Option<Box<(Option<FeatureId>, String)>>,
    has_shape_name: bool,
}

/// What a task made of one feature text.
enum One {
    Packed(Box<Packed>),
    /// Loaded by the value-tree code (an unusual feature), kept decoded.
    Decoded(Box<(Feature, FeatureLayout)>),
    Skipped(String),
}

impl FeaturePacker {
    /// A packer for the file `label` (which names it in messages); `kind` overrides the
    /// kind inferred from the features.
    pub fn new(label: &str, kind: Option<LayerKind>) -> Self {
        Self {
            label: label.to_owned(),
            store: FeatureStore::packed(std::sync::Arc::new(decode_feature))
                .with_encoder(std::sync::Arc::new(super::save_fast::canonical_feature)),
            layouts: Vec::new(),
            categories: Vec::new(),
            names: Vec::new(),
            lookup: std::collections::HashMap::new(),
            skipped: Vec::new(),
            problems: Vec::new(),
            seen: 0,
            has_shape_name: false,
            kind,
            ids: crate::model::ids::IdTally::default(),
        }
    }

    /// Packs a batch of feature texts, in order. False when a text is not JSON (the caller
    /// falls back to the value-tree loader for its `FILE:LINE:COL`).
    pub fn pack(&mut self, texts: &[&str]) -> bool {
        if self.kind.is_none() {
            for text in texts {
                match first_properties(text) {
                    // Not JSON: the caller falls back.
                    None => return false,
                    Some(false) => {}
                    Some(true) => {
                        let Ok(value) = serde_json::from_str::<Value>(text) else { return false };
                        if let Ok((f, _)) = super::geojson::feature_from_json(value)
                            && !f.properties.is_empty()
                        {
                            let kind = super::geojson::infer_kind(std::slice::from_ref(&f));
                            self.kind = Some(kind);
                            self.backfill(kind);
                            break;
                        }
                    }
                }
            }
        }
        let kind = self.kind.unwrap_or(LayerKind::Generic);
        let zone = crate::time::zone::current();
        let results: Vec<Option<(Vec<One>, BlockWriter, crate::model::ids::IdTally)>> = texts
            .par_chunks(TASK_FEATURES)
            .map(|batch| {
                let mut writer = BlockWriter::default();
                let mut ids = crate::model::ids::IdTally::default();
                let mut out = Vec::with_capacity(batch.len());
                for text in batch {
                    out.push(pack_one(text, kind, zone, &mut writer, &mut ids)?);
                }
                Some((out, writer, ids))
            })
            .collect();
        for r in results {
            let Some((ones, writer, ids)) = r else { return false };
            self.add_batch(ones, writer, kind);
            self.ids.merge(ids);
        }
        true
    }

    /// The columns of the features kept before the kind was known (all without properties)
    /// for the kind now known: an empty category, and an event's missing date.
    fn backfill(&mut self, kind: LayerKind) {
        let kept = self.layouts.len();
        if kept == 0 || crate::model::category_key(kind).is_none() {
            return;
        }
        let empty = self.intern("");
        self.categories = vec![empty; kept];
        if kind == LayerKind::Events {
            let mut problems = Vec::with_capacity(kept);
            for i in 0..kept {
                let id = self.store.get(i).and_then(|f| f.id.clone());
                let id = id.map_or_else(|| format!("#{}", i + 1), |id| id.to_string());
                problems.push(format!("{}: feature {id}: no event_date", self.label));
            }
            problems.append(&mut self.problems);
            self.problems = problems;
        }
    }

    /// A packer for features prepared by another loader (an ACLED CSV's rows), whose texts
    /// `decoder` reads.
    pub(crate) fn with_decoder(label: &str, kind: LayerKind, decoder: crate::model::store::Decoder) -> Self {
        let mut packer = Self::new(label, Some(kind));
        packer.store = FeatureStore::packed(decoder);
        packer
    }

    /// Packed texts are written as JSON by `encoder` in saves (see
    /// [`crate::model::store::Encoder`]).
    pub(crate) fn set_encoder(&mut self, encoder: crate::model::store::Encoder) {
        self.store.set_encoder(encoder);
    }

    /// Adds a task's sealed blocks; the number its first block gets.
    pub(crate) fn add_blocks(&mut self, blocks: Vec<Box<[u8]>>) -> u32 {
        self.store.add_blocks(blocks)
    }

    /// Adds a prepared feature (its text in blocks added from `first_block` on) with its
    /// layout, its category (for events and aid) and why its date cannot be read.
    pub(crate) fn push_prepared(
        &mut self,
        first_block: u32,
        feature: PackedFeature,
        layout: FeatureLayout,
        category: &str,
        feature_id: Option<&FeatureId>,
        date_problem: Option<String>,
    ) {
        self.seen += 1;
        self.ids.add(feature_id);
        if crate::model::category_key(self.kind.unwrap_or(LayerKind::Generic)).is_some() {
            let c = self.intern(category);
            self.categories.push(c);
        }
        self.layouts.push(layout);
        self.store.push_packed(first_block, feature);
        if let Some(why) = date_problem {
            self.date_problem(feature_id, &why);
        }
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.lookup.get(name) {
            return i;
        }
        self.names.push(name.to_owned());
        let i = (self.names.len() - 1) as u32;
        self.lookup.insert(name.to_owned(), i);
        i
    }

    fn date_problem(&mut self, id: Option<&FeatureId>, why: &str) {
        let kept = self.layouts.len();
        let id = id.map_or_else(|| format!("#{kept}"), ToString::to_string);
        self.problems.push(format!("{}: feature {id}: {why}", self.label));
    }

    fn add_batch(&mut self, ones: Vec<One>, writer: BlockWriter, kind: LayerKind) {
        let first_block = self.store.add_blocks(writer.finish());
        let key = crate::model::category_key(kind);
        for one in ones {
            self.seen += 1;
            match one {
                One::Packed(p) => {
                    let Packed { feature, layout, category, date_problem, has_shape_name } = *p;
                    if key.is_some() {
                        let c = self.intern(category.as_deref().unwrap_or_default());
                        self.categories.push(c);
                    }
                    self.layouts.push(layout);
                    self.has_shape_name |= has_shape_name;
                    self.store.push_packed(first_block, feature);
                    if let Some(problem) = date_problem {
                        let (id, why) = *problem;
                        self.date_problem(id.as_ref(), &why);
                    }
                }
                One::Decoded(d) => {
                    let (mut f, layout) = *d;
                    if let Some(key) = key {
                        let c = self.intern(f.prop_str(key).unwrap_or_default());
                        self.categories.push(c);
                    }
                    self.layouts.push(layout);
                    self.has_shape_name |= f.properties.contains_key("shapeName");
                    let zone = Some(crate::time::zone::current());
                    match crate::model::feature_span(kind, None, &f, zone) {
                        Ok(span) => f.time = span,
                        Err(why) => {
                            let id = f.id.clone();
                            self.date_problem(id.as_ref(), &why);
                        }
                    }
                    self.store.push(f);
                }
                One::Skipped(why) => {
                    self.skipped.push(format!("{}: feature #{} skipped: {why}", self.label, self.seen));
                }
            }
        }
    }
}

/// Whether a Feature text has a non-empty `properties` object (`None`: not JSON).
fn first_properties(text: &str) -> Option<bool> {
    let scan = serde_json::from_str::<FeatureScan<'_>>(text).ok()?;
    Some(matches!(scan.properties, Some(Props::Object(p)) if !p.empty && !p.number))
}

/// Reads one feature text in a parallel task. `None` when the text is not JSON.
fn pack_one(
    text: &str,
    kind: LayerKind,
    zone: chrono_tz::Tz,
    writer: &mut BlockWriter,
    ids: &mut crate::model::ids::IdTally,
) -> Option<One> {
    let slow = |ids: &mut crate::model::ids::IdTally| {
        let value: Value = serde_json::from_str(text).ok()?;
        Some(match super::geojson::feature_from_json(value) {
            Ok(d) => {
                ids.add(d.0.id.as_ref());
                One::Decoded(Box::new(d))
            }
            Err(why) => One::Skipped(why),
        })
    };
    let Ok(scan) = serde_json::from_str::<FeatureScan<'_>>(text) else {
        // Not JSON, or JSON the fast reader does not take: the value-tree code decides.
        return slow(ids);
    };
    let Some(ok) = scan.usable() else { return slow(ids) };
    ids.add(ok.id.as_ref());
    let geometry = match &ok.geometry {
        None => None,
        Some(value) => match super::geojson::geo_from_json(value) {
            Ok(g) => Some(g),
            Err(_) => return slow(ids),
        },
    };
    let shape = match &geometry {
        Some(geo::Geometry::Point(p)) => Shape::point(crate::spatial::world_from_geo(p.x(), p.y())),
        other => Shape::from_geo(other.as_ref()),
    };
    let props =
        ok.properties.unwrap_or(Picked { values: Map::new(), has_shape_name: false, empty: true, number: false });
    let category = crate::model::category_key(kind)
        .map(|key| props.values.get(key).and_then(Value::as_str).unwrap_or_default().to_owned());
    let mut span = None;
    let mut date_problem = None;
    if matches!(kind, LayerKind::Events | LayerKind::Aid) {
        let probe = Feature {
            id: None,
            geometry: None,
            properties: props.values,
            foreign_members: Map::new(),
            shape: Shape::default(),
            time: None,
        };
        match crate::model::feature_span(kind, None, &probe, Some(zone)) {
            Ok(s) => span = s,
            Err(why) => date_problem = Some(Box::new((ok.id, why))),
        }
    }
    let at = writer.push(text);
    Some(One::Packed(Box::new(Packed {
        feature: PackedFeature { text: at, shape, span },
        layout: ok.layout,
        category,
        date_problem,
        has_shape_name: props.has_shape_name,
    })))
}

/// Decodes a packed feature's text (the store's [`crate::model::store::Decoder`]).
pub(crate) fn decode_feature(text: &str) -> Result<(Feature, FeatureLayout), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    super::geojson::feature_from_json_unshaped(value)
}

/// A Feature object's members, read without building values: only what the fast path
/// takes (every member once, `type` exactly "Feature").
struct FeatureScan<'a> {
    keys: smallvec::SmallVec<[Cow<'a, str>; 6]>,
    ty: Option<&'a RawValue>,
    id: Option<&'a RawValue>,
    /// Read straight into a value (one pass over the text).
    geometry: Option<Value>,
    /// Read straight into the columns' picks (one pass over the text).
    properties: Option<Props>,
    duplicate: bool,
}

/// A feature's `properties` member as the fast reader takes it.
enum Props {
    Null,
    Object(Picked),
    /// Anything else (an error the value-tree code words).
    Other,
}

impl<'de> de::Deserialize<'de> for Props {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Props;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a properties object or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Props, E> {
                Ok(Props::Null)
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Props, M::Error> {
                Picked::from_map(map).map(Props::Object)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Props, E> {
                Ok(Props::Other)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Props, E> {
                Ok(Props::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Props, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Props::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A [`FeatureScan`] the fast path can take.
struct Usable {
    id: Option<FeatureId>,
    geometry: Option<Value>,
    properties: Option<Picked>,
    layout: FeatureLayout,
}

impl FeatureScan<'_> {
    fn usable(self) -> Option<Usable> {
        if self.duplicate || self.ty.map(RawValue::get) != Some("\"Feature\"") {
            return None;
        }
        let id = match self.id.map(RawValue::get) {
            None | Some("null") => None,
            Some(t) if t.starts_with('"') => Some(FeatureId::Str(serde_json::from_str(t).ok()?)),
            Some(t) if t.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                Some(FeatureId::Num(serde_json::from_str(t).ok()?))
            }
            Some(_) => return None,
        };
        let geometry = self.geometry.filter(|g| !g.is_null());
        let (form, properties) = match self.properties {
            None => (PropertiesForm::Absent, None),
            Some(Props::Null) => (PropertiesForm::Null, None),
            Some(Props::Object(p)) if !p.number => (PropertiesForm::Object, Some(p)),
            Some(Props::Object(_) | Props::Other) => return None,
        };
        let layout = FeatureLayout::from_keys(self.keys.iter().map(AsRef::as_ref), form);
        Some(Usable { id, geometry, properties, layout })
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for FeatureScan<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = FeatureScan<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a GeoJSON Feature object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut scan = FeatureScan {
                    keys: smallvec::SmallVec::new(),
                    ty: None,
                    id: None,
                    geometry: None,
                    properties: None,
                    duplicate: false,
                };
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if scan.keys.contains(&key) {
                        scan.duplicate = true;
                    }
                    match key.as_ref() {
                        "type" => scan.ty = Some(map.next_value::<&'de RawValue>()?),
                        "id" => scan.id = Some(map.next_value::<&'de RawValue>()?),
                        "geometry" => scan.geometry = Some(map.next_value::<Value>()?),
                        "properties" => scan.properties = Some(map.next_value::<Props>()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    scan.keys.push(key);
                }
                Ok(scan)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A properties object read for the columns: the values of every key (later keys win, as
/// in a value tree) kept only for small values, plus what `infer_kind`-like checks need.
struct Picked {
    values: Map<String, Value>,
    has_shape_name: bool,
    /// No members at all.
    empty: bool,
    /// Not an object but a number (`serde_json`'s arbitrary-precision numbers arrive as a
    /// one-member map).
    number: bool,
}

impl Picked {
    fn from_map<'de, M: MapAccess<'de>>(mut map: M) -> Result<Self, M::Error> {
        let mut out = Self { values: Map::new(), has_shape_name: false, empty: true, number: false };
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            out.empty = false;
            match key.as_ref() {
                "event_date" | "time_precision" | "event_type" | "announced" | "start" | "end" | "donor" => {
                    let v: Value = map.next_value()?;
                    out.values.insert(key.into_owned(), v);
                }
                other => {
                    if other == "shapeName" {
                        out.has_shape_name = true;
                    }
                    if other == "$serde_json::private::Number" {
                        out.number = true;
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

impl FeaturePacker {
    /// The layer, as `parse_layer` builds it: `root` is the collection object without its
    /// features (`"features"` present as a placeholder, for the member order), `kind`
    /// overrides inference from the first feature with properties.
    pub fn finish(self, mut root: Map<String, Value>, name: &str, source: LayerSource) -> Result<Loaded, GeoJsonError> {
        let label = self.label.clone();
        let label = label.as_str();
        super::crs::refuse_non_lon_lat(&root, label)?;
        let root_layout = super::geojson::collection_layout(&root);
        root.shift_remove("features");
        root.shift_remove("type");
        let Self { store, layouts, categories, names, mut skipped, problems, has_shape_name, kind, ids, .. } = self;
        let kind = kind.unwrap_or(LayerKind::Generic);
        let categories = crate::model::category_key(kind).map(|_| categories);
        let mut layer = Layer::with_store_and_categories(name, kind, source, store, categories.map(|c| (c, names)));
        layer.foreign_members = root;
        layer.layout.root = root_layout;
        layer.layout.features = layouts;
        layer.layout.root.kind = RootKind::FeatureCollection;
        if has_shape_name {
            layer.label_field = Some("shapeName".to_owned());
        }
        layer.set_id_tally(ids);
        crate::model::index_spans(&mut layer);
        skipped.extend(problems);
        Ok(Loaded { layer, skipped })
    }
}
