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

/// Features packed per parallel task (a group of [`super::progress::REPORT_EVERY`] is
/// split into several, so both cores stay busy to the group's end).
const TASK_FEATURES: usize = 1024;

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
    load_file_in(path, progress, CHUNK, None)
}

/// [`load_file`] as a layer of `kind` (`None`: inferred from the properties, as
/// [`super::geojson::parse_layer`] takes it): the file is read once whatever the kind.
pub fn load_file_as(path: &Path, progress: &Progress, kind: Option<LayerKind>) -> Result<Loaded, GeoJsonError> {
    load_file_in(path, progress, CHUNK, kind)
}

/// [`load_file_as`], reading `chunk` bytes at a time.
fn load_file_in(
    path: &Path,
    progress: &Progress,
    chunk: usize,
    kind: Option<LayerKind>,
) -> Result<Loaded, GeoJsonError> {
    match load_fast(path, progress, chunk, kind) {
        Outcome::Loaded(loaded) => Ok(*loaded),
        Outcome::Failed(e) => Err(e),
        Outcome::Fallback => super::geojson::load_file_as(path, progress, kind),
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
    /// Bytes read at a time ([`CHUNK`]; tiny in tests, so features straddle chunks).
    chunk: usize,
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
        self.eof = fill(&mut self.file, &mut self.buf, self.chunk)?;
        Ok(self.buf.len() > old)
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

/// Appends up to `chunk` bytes of `file` to `buf`; true at the end of the file.
fn fill(file: &mut std::fs::File, buf: &mut Vec<u8>, chunk: usize) -> std::io::Result<bool> {
    let old = buf.len();
    buf.resize(old + chunk, 0);
    let mut filled = old;
    let mut eof = false;
    while filled < buf.len() {
        match file.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(eof)
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

/// Where the top-level JSON value of the file at `path` starts (1-based line and column),
/// read from its first 64 KiB; 1:1 when it cannot be read.
fn top_level_place_in(path: &Path) -> (usize, usize) {
    let mut head = Vec::with_capacity(1 << 16);
    let read = std::fs::File::open(path).and_then(|f| f.take(1 << 16).read_to_end(&mut head));
    if read.is_err() {
        return (1, 1);
    }
    let valid = match std::str::from_utf8(&head) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    super::geojson::top_level_place(valid)
}

/// The fast path proper.
fn load_fast(path: &Path, progress: &Progress, chunk: usize, kind: Option<LayerKind>) -> Outcome {
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
    let mut chunks = Chunks { file, buf: Vec::with_capacity(chunk), pos: 0, eof: false, base: 0, chunk };
    match scan(&mut chunks, &label, progress, kind) {
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
                // A refusal of the whole document (a projected `crs`) names the top-level
                // value's place, as the other loaders do.
                Err(GeoJsonError::NotGeoJson { file, message }) => {
                    let (line, col) = top_level_place_in(path);
                    Outcome::Failed(GeoJsonError::NotGeoJsonAt { file, line, col, message })
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
fn scan(
    chunks: &mut Chunks,
    label: &str,
    progress: &Progress,
    kind: Option<LayerKind>,
) -> std::io::Result<Option<Scanned>> {
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
            let mut p = FeaturePacker::new(label, kind);
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

/// Reads the `features` array's elements into the packer. False means "not for the fast
/// path" (a syntax error) or cancelled.
///
/// A pipeline of groups of [`super::progress::REPORT_EVERY`] features: while the cores pack
/// group k, the thread that finishes first merges group k-1 into the packer (in order) and
/// finds the extents of group k+1 (reading the next chunk of the file into a second buffer
/// when group k+1 starts beyond this one).
fn features(chunks: &mut Chunks, packer: &mut FeaturePacker, progress: &Progress) -> std::io::Result<bool> {
    let mut cur = Block { buf: std::mem::take(&mut chunks.buf), base: chunks.base };
    let mut spare: Vec<u8> = Vec::new();
    let mut eof = chunks.eof;
    let mut needs_comma = false;
    let file = &mut chunks.file;
    let chunk = chunks.chunk;
    let Some(mut next) = scan_next(&cur, chunks.pos, &mut needs_comma, file, &mut spare, &mut eof, chunk)? else {
        return Ok(false);
    };
    // Packed but not yet merged: the results, the file offset of their end, their count.
    let mut pending: Option<(Packs, u64, usize)> = None;
    let zone = crate::time::zone::current();
    loop {
        if let Some(block) = next.block.take() {
            spare = std::mem::replace(&mut cur, block).buf;
        }
        let spans = std::mem::take(&mut next.spans);
        let (at, ended) = (next.at, next.ended);
        if spans.is_empty() {
            // The end of the array (`scan_next` returns spans otherwise).
            if let Some((packs, end, n)) = pending.take()
                && !merge_pending(packer, packs, end, n, progress)
            {
                return Ok(false);
            }
            chunks.buf = cur.buf;
            chunks.base = cur.base;
            chunks.pos = at;
            chunks.eof = eof;
            return Ok(ended);
        }
        let texts: Vec<&str> =
            spans.iter().filter_map(|&(a, b)| cur.buf.get(a..b).and_then(|t| std::str::from_utf8(t).ok())).collect();
        if texts.len() != spans.len() {
            return Ok(false);
        }
        let end = cur.base + spans.last().map_or(0, |&(_, b)| b) as u64;
        if packer.kind.is_none() {
            // The kind is inferred in order, with everything before merged.
            if let Some((packs, end, n)) = pending.take()
                && !merge_pending(packer, packs, end, n, progress)
            {
                return Ok(false);
            }
            if !packer.infer_kind(&texts) {
                return Ok(false);
            }
        }
        let kind = packer.kind.unwrap_or(LayerKind::Generic);
        let (side, packs) = rayon::join(
            || -> std::io::Result<Option<(bool, Option<Next>)>> {
                let merged = match pending.take() {
                    Some((packs, end, n)) => merge_pending(packer, packs, end, n, progress),
                    None => true,
                };
                if !merged || ended {
                    return Ok(Some((merged, None)));
                }
                let scanned = scan_next(&cur, at, &mut needs_comma, file, &mut spare, &mut eof, chunk)?;
                Ok(scanned.map(|n| (true, Some(n))))
            },
            || pack_par(&texts, kind, zone),
        );
        let Some(packs) = packs else { return Ok(false) };
        match side? {
            Some((true, Some(n))) => next = n,
            Some((true, None)) => next = Next { block: None, spans: Vec::new(), at, ended: true },
            _ => return Ok(false),
        }
        pending = Some((packs, end, texts.len()));
    }
}

/// One buffer of the file's text.
struct Block {
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
}

/// The next group of features found by [`scan_next`].
struct Next {
    /// A new buffer (the rest of the last one and more of the file), when the group is in it.
    block: Option<Block>,
    /// The group's features (byte ranges in its buffer); empty only at the end of the array.
    spans: Vec<(usize, usize)>,
    /// Where the scan stopped in the group's buffer.
    at: usize,
    /// The array's `]` was read (at `at - 1`).
    ended: bool,
}

/// Finds the next group of up to [`super::progress::REPORT_EVERY`] features from `at` in
/// `cur`, reading more of the file (into `spare`, which becomes the group's buffer) when
/// no whole feature is left in `cur`. `None`: not for the fast path (a syntax error, or the
/// file ends inside the array).
fn scan_next(
    cur: &Block,
    at: usize,
    needs_comma: &mut bool,
    file: &mut std::fs::File,
    spare: &mut Vec<u8>,
    eof: &mut bool,
    chunk: usize,
) -> std::io::Result<Option<Next>> {
    let mut owned: Option<Block> = None;
    let mut at = at;
    loop {
        let block = owned.as_ref().unwrap_or(cur);
        let Some((spans, stop, ended)) = scan_group(&block.buf, at, needs_comma) else { return Ok(None) };
        if !spans.is_empty() || ended {
            return Ok(Some(Next { block: owned, spans, at: stop, ended }));
        }
        if *eof {
            return Ok(None);
        }
        if let Some(block) = owned.as_mut() {
            // A feature longer than a chunk: more of it.
            *eof = fill(file, &mut block.buf, chunk)?;
            at = stop;
            continue;
        }
        // No whole feature left: the rest and the next chunk, in a buffer of their own.
        let mut buf = std::mem::take(spare);
        buf.clear();
        buf.extend_from_slice(cur.buf.get(stop..).unwrap_or_default());
        let base = cur.base + stop as u64;
        *eof = fill(file, &mut buf, chunk)?;
        owned = Some(Block { buf, base });
        at = 0;
    }
}

/// The features from `at` in `buf` (up to [`super::progress::REPORT_EVERY`]): their byte
/// ranges, where the scan stopped, and whether the array's `]` was read. `None` for a
/// syntax error.
fn scan_group(buf: &[u8], mut at: usize, needs_comma: &mut bool) -> Option<(Spans, usize, bool)> {
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(super::progress::REPORT_EVERY);
    while spans.len() < super::progress::REPORT_EVERY {
        let Some(p) = next_non_space(buf, at) else { break };
        let b = buf.get(p).copied();
        if b == Some(b']') {
            return Some((spans, p + 1, true));
        }
        let start = if *needs_comma {
            if b != Some(b',') {
                return None;
            }
            let Some(q) = next_non_space(buf, p + 1) else { break };
            q
        } else {
            p
        };
        if buf.get(start) != Some(&b'{') {
            return None;
        }
        let Some(len) = value_len(buf.get(start..).unwrap_or_default()) else { break };
        spans.push((start, start + len));
        at = start + len;
        *needs_comma = true;
    }
    Some((spans, at, false))
}

/// Features' byte ranges in a buffer.
type Spans = Vec<(usize, usize)>;

/// Merges a packed group and reports it; false when cancelled.
fn merge_pending(packer: &mut FeaturePacker, packs: Packs, end: u64, n: usize, progress: &Progress) -> bool {
    packer.merge(packs);
    progress.set_bytes_done(end);
    progress.add_features(n as u64);
    !progress.cancelled()
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
        if !self.infer_kind(texts) {
            return false;
        }
        let kind = self.kind.unwrap_or(LayerKind::Generic);
        let Some(packs) = pack_par(texts, kind, crate::time::zone::current()) else { return false };
        self.merge(packs);
        true
    }

    /// Infers the layer's kind from the first of `texts` with properties, if it is not known
    /// yet (everything packed so far merged). False when a text is not JSON.
    fn infer_kind(&mut self, texts: &[&str]) -> bool {
        if self.kind.is_some() {
            return true;
        }
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
        true
    }

    /// Takes packed groups, in order.
    fn merge(&mut self, packs: Packs) {
        let kind = self.kind.unwrap_or(LayerKind::Generic);
        for (ones, writer, ids) in packs {
            self.add_batch(ones, writer, kind);
            self.ids.merge(ids);
        }
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

    /// Adds a piece's prepared features (their texts in blocks added from `first_block` on),
    /// all with `layout`: each with its category (an index into `categories`) and its id and
    /// why its date cannot be read; `ids` is the tally of their ids.
    pub(crate) fn push_rows(
        &mut self,
        first_block: u32,
        layout: FeatureLayout,
        categories: &[String],
        ids: crate::model::ids::IdTally,
        rows: impl ExactSizeIterator<Item = (PackedFeature, u32, Option<Box<(String, String)>>)>,
    ) {
        self.ids.merge(ids);
        let counted = crate::model::category_key(self.kind.unwrap_or(LayerKind::Generic)).is_some();
        let global: Vec<u32> = if counted { categories.iter().map(|c| self.intern(c)).collect() } else { Vec::new() };
        self.layouts.reserve(rows.len());
        self.categories.reserve(if counted { rows.len() } else { 0 });
        for (feature, category, date_problem) in rows {
            self.seen += 1;
            if counted {
                let c = match global.get(category as usize) {
                    Some(&c) => c,
                    None => self.intern(""),
                };
                self.categories.push(c);
            }
            self.layouts.push(layout);
            self.store.push_packed(first_block, feature);
            if let Some(problem) = date_problem {
                let (id, why) = *problem;
                self.problems.push(format!("{}: feature {id}: {why}", self.label));
            }
        }
    }

    /// Takes the string id `id` out of the tally of ids (a feature tallied was dropped).
    pub(crate) fn untally_id(&mut self, id: &str) {
        self.ids.remove_str(id);
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

/// What the parallel tasks made of a batch of texts: per task, its features, its blocks and
/// its ids.
type Packs = Vec<(Vec<One>, BlockWriter, crate::model::ids::IdTally)>;

/// Packs `texts` on every core (in tasks of [`TASK_FEATURES`]). `None` when a text is not
/// JSON.
fn pack_par(texts: &[&str], kind: LayerKind, zone: chrono_tz::Tz) -> Option<Packs> {
    texts
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
        .collect()
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
    let shape = match ok.geometry.map(RawValue::get) {
        None => Shape::from_geo(None),
        Some(text) => {
            if let Some((x, y)) = point(text) {
                Shape::point(crate::spatial::world_from_geo(x, y))
            } else {
                let Ok(value) = serde_json::from_str::<Value>(text) else { return slow(ids) };
                match super::geojson::geo_from_json(&value) {
                    Ok(geo::Geometry::Point(p)) => Shape::point(crate::spatial::world_from_geo(p.x(), p.y())),
                    Ok(g) => Shape::from_geo(Some(&g)),
                    Err(_) => return slow(ids),
                }
            }
        }
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
    /// Its text: a point is read from it straight into numbers, anything else as a value.
    geometry: Option<&'a RawValue>,
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
struct Usable<'a> {
    id: Option<FeatureId>,
    geometry: Option<&'a RawValue>,
    properties: Option<Picked>,
    layout: FeatureLayout,
}

impl<'a> FeatureScan<'a> {
    fn usable(self) -> Option<Usable<'a>> {
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
        let geometry = self.geometry.filter(|g| g.get() != "null");
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
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    if scan.keys.contains(&key) {
                        scan.duplicate = true;
                    }
                    match key.as_ref() {
                        "type" => scan.ty = Some(map.next_value::<&'de RawValue>()?),
                        "id" => scan.id = Some(map.next_value::<&'de RawValue>()?),
                        "geometry" => scan.geometry = Some(map.next_value::<&'de RawValue>()?),
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

/// An object key, borrowed from the text unless it has escapes (serde's `Cow<str>` always
/// copies).
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A plain Point geometry's longitude and latitude, read from its text without building
/// values: `{"type":"Point","coordinates":[x,y]}` (members in any order, others ignored as
/// `geo_from_json` ignores them, a third number checked but unused), both numbers finite
/// and in WGS84 ranges. `None` for anything else (which is read as a value, as before).
/// The numbers are parsed from their text as a value tree's numbers are
/// (`arbitrary_precision`: `str::parse`).
fn point(text: &str) -> Option<(f64, f64)> {
    struct Scan<'a> {
        point: bool,
        coordinates: Option<Coords<'a>>,
    }
    /// Up to 3 positions' numbers' texts (more is an error: not a position).
    struct Coords<'a>(smallvec::SmallVec<[&'a RawValue; 3]>);
    impl<'de: 'a, 'a> de::Deserialize<'de> for Coords<'a> {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(std::marker::PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Coords<'a>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a position")
                }
                fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Coords<'a>, A::Error> {
                    let mut out = smallvec::SmallVec::new();
                    while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                        if out.len() == 3 {
                            return Err(de::Error::custom("more than 3 numbers"));
                        }
                        out.push(raw);
                    }
                    Ok(Coords(out))
                }
            }
            d.deserialize_seq(V(std::marker::PhantomData))
        }
    }
    impl<'de: 'a, 'a> de::Deserialize<'de> for Scan<'a> {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(std::marker::PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Scan<'a>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a Point")
                }
                fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Scan<'a>, M::Error> {
                    let mut keys: smallvec::SmallVec<[Cow<'de, str>; 4]> = smallvec::SmallVec::new();
                    let mut scan = Scan { point: false, coordinates: None };
                    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                        if keys.contains(&key) {
                            // Duplicates: the value tree keeps the last; not for this path.
                            return Err(de::Error::custom("duplicate member"));
                        }
                        match key.as_ref() {
                            "type" => scan.point = map.next_value::<&'de RawValue>()?.get() == "\"Point\"",
                            "coordinates" => scan.coordinates = Some(map.next_value()?),
                            _ => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        }
                        keys.push(key);
                    }
                    Ok(scan)
                }
            }
            d.deserialize_map(V(std::marker::PhantomData))
        }
    }
    let scan: Scan<'_> = serde_json::from_str(text).ok()?;
    let Coords(coordinates) = scan.coordinates.filter(|_| scan.point)?;
    if !(2..=3).contains(&coordinates.len()) {
        return None;
    }
    let mut numbers = [0.0_f64; 3];
    for (slot, raw) in numbers.iter_mut().zip(&coordinates) {
        let t = raw.get();
        if !t.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return None;
        }
        *slot = t.parse::<f64>().ok().filter(|x| x.is_finite())?;
    }
    let [lon, lat, _] = numbers;
    ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)).then_some((lon, lat))
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
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
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

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// Loads `text` the value-tree way and the fast way reading `chunk` bytes at a time;
    /// both give the same layer (or error). The number of packed features.
    fn same_both_ways(text: &str, chunk: usize) -> usize {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.geojson");
        std::fs::write(&path, text).unwrap();
        let slow = super::super::geojson::load_file(&path);
        let fast = load_file_in(&path, &Progress::new(), chunk, None);
        match (slow, fast) {
            (Ok(slow), Ok(mut fast)) => {
                fast.layer.uid = slow.layer.uid;
                assert_eq!(fast.skipped, slow.skipped, "chunk {chunk}: skipped");
                assert_eq!(format!("{:?}", fast.layer), format!("{:?}", slow.layer), "chunk {chunk}: layer");
                assert_eq!(fast.layer.categories, slow.layer.categories, "chunk {chunk}");
                assert_eq!(fast.layer.category_names, slow.layer.category_names, "chunk {chunk}");
                assert_eq!(fast.layer.layout, slow.layer.layout, "chunk {chunk}");
                let spans = |l: &Layer| (0..l.features.len()).map(|i| l.features.span(i)).collect::<Vec<_>>();
                assert_eq!(spans(&fast.layer), spans(&slow.layer), "chunk {chunk}: spans");
                let shapes =
                    |l: &Layer| (0..l.features.len()).map(|i| format!("{:?}", l.features.shape(i))).collect::<Vec<_>>();
                assert_eq!(shapes(&fast.layer), shapes(&slow.layer), "chunk {chunk}: shapes");
                fast.layer.features.packed_count()
            }
            (Err(slow), Err(fast)) => {
                assert_eq!(fast.to_string(), slow.to_string(), "chunk {chunk}: error");
                0
            }
            (slow, fast) => {
                panic!("chunk {chunk}: slow {:?} / fast {:?}", slow.map(|l| l.skipped), fast.map(|l| l.skipped))
            }
        }
    }

    /// `n` events of varied shapes and dates; every 97th one odd (no date, a bad position,
    /// a foreign member, a polygon), spread over lines unevenly.
    fn events(n: usize) -> String {
        let mut s = String::from("{\"type\":\"FeatureCollection\",\"name\":\"e\",\"features\":[");
        for i in 0..n {
            if i > 0 {
                s.push_str(if i % 3 == 0 { ",\n" } else { " , " });
            }
            let (lon, lat) = (60.0 + (i % 300) as f64 * 0.0137, 30.0 + (i % 211) as f64 * 0.0071);
            let geometry = match i % 97 {
                5 => format!("{{\"type\":\"Point\",\"coordinates\":[{lat},{}]}}", lon + 100.0),
                7 => "{\"type\":\"Polygon\",\"coordinates\":[[[60,30],[61,30],[61,31],[60,30]]]}".to_owned(),
                9 => "null".to_owned(),
                11 => format!("{{\"coordinates\":[{lon},{lat},12.5],\"type\":\"Point\"}}"),
                13 => format!("{{\"type\":\"Point\",\"coordinates\":[{lon:e},{lat}],\"bbox\":[1,2,3,4]}}"),
                _ => format!("{{\"type\":\"Point\",\"coordinates\":[{lon},{lat}]}}"),
            };
            let date = match i % 97 {
                3 => String::new(),
                4 => ",\"event_date\":\"someday\"".to_owned(),
                _ => format!(",\"event_date\":\"2020-{:02}-{:02}\"", 1 + i % 12, 1 + i % 28),
            };
            let extra = if i % 97 == 17 { ",\"x\":{\"y\":\"]}\\\"\"}" } else { "" };
            write!(
                s,
                "{{\"type\":\"Feature\",\"id\":\"E{i}\",\"geometry\":{geometry},\"properties\":\
                 {{\"event_type\":\"T{}\"{date},\"time_precision\":{},\"notes\":\"n {{[\\\"{i}\"}}{extra}}}",
                i % 5,
                1 + i % 3
            )
            .unwrap();
        }
        s.push_str("\n],\"bbox\":[60,30,65,32]}\n");
        s
    }

    #[test]
    fn features_straddling_tiny_chunks_give_the_value_tree_layer() {
        let text = events(9000);
        for chunk in [7, 100, 4096, 1 << 20] {
            let packed = same_both_ways(&text, chunk);
            assert!(packed > 8000, "chunk {chunk}: only {packed} packed");
        }
        // A byte at a time.
        assert!(same_both_ways(&events(300), 1) > 250);
    }

    #[test]
    fn a_syntax_error_in_a_later_chunk_falls_back_with_its_position() {
        let mut text = events(5000);
        let at = text.len() * 3 / 4;
        let comma = at + text.get(at..).unwrap().find(",\"time_precision\"").unwrap();
        text.replace_range(comma..=comma, " ");
        for chunk in [13, 4096, 1 << 20] {
            assert_eq!(same_both_ways(&text, chunk), 0, "chunk {chunk}");
        }
        // Cut short inside the array.
        let cut = text.get(..text.len() / 2).unwrap().to_owned();
        for chunk in [13, 1 << 20] {
            assert_eq!(same_both_ways(&cut, chunk), 0, "chunk {chunk}");
        }
    }
}
