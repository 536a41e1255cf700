//! The streamed conversion: a GeoJSON `FeatureCollection` or an ACLED CSV export (regular
//! files) to a GeoPackage or a GeoJSON file, one feature at a time, in memory bounded by the
//! largest feature rather than the file.
//!
//! Two passes over the input, each reading it once from disk:
//! 1. **Check and plan.** GeoJSON is validated as it streams ([`stream_elements`], the strict
//!    checks with every `FILE:LINE:COL`), ACLED rows are read by the importer's own reader
//!    ([`crate::io::acled`]); each feature is loaded exactly as the whole-file loader loads it
//!    (the same skips, kind and date problems), and a GeoPackage output's table is planned
//!    from it ([`Planner`]: column types, id policy, geometry type, bounds). Nothing is kept
//!    of the features themselves.
//! 2. **Write.** Only when pass 1 found nothing that refuses the conversion (a validation
//!    error, a projected `crs`, unusable features without `--skip-bad`): the features are
//!    read again and written one by one, into the GeoPackage inside one transaction
//!    ([`write_streamed`]) or as GeoJSON text in the one-feature-per-line form of a save,
//!    into a temporary file renamed over the output at the end ([`crate::io::atomic`]).
//!
//! To a GeoPackage, both passes are first tried in one read ([`once`]): the table is planned
//! from the first 10,000 features, and the rows are written while pass 1 reads the file. The
//! file is kept only when every feature planned that same table and pass 1 allows the
//! conversion; otherwise pass 2 writes it as below. A real export's columns keep their types,
//! so it is read once.
//!
//! Why two passes rather than planning from the first features and widening column types as
//! they come: a column's type (an integer column that later meets a decimal), whether the
//! ids are the `fid`s (one duplicate or string id anywhere changes that) and the notes of
//! what is not kept depend on every feature, so a table written before the last feature was
//! seen would have to be rewritten; and a command that fails must write nothing, which pass 1
//! decides before anything is written. Reading the file twice costs one more read (from the
//! page cache); the output is the one the whole-layer writer gives, by construction.
//!
//! In each pass one thread reads the file and cuts out the features (in pass 1 the strict
//! checks of the features a read chunk completes run on every core, [`stream_elements`]) while
//! another loads and plans them (pass 1) or inserts the rows encoded on every core (pass 2).
//! Loading stays on one thread in pass 1: parsed on the pool and dropped on the planning
//! thread, the features cost the allocator more than the parallel parse saved. The disk writes
//! a GeoJSON output while it is produced ([`crate::io::sync_ahead`]), so the commit's sync is
//! short.
//!
//! Features of the common shape (a `Feature` with an id, a geometry and properties, no
//! other members) are not built into `serde_json::Value` trees to a GeoPackage: pass 1 plans
//! the table from each property's JSON kind and loads only the properties the layer's kind and
//! dates are read from ([`Pass1::feature_raw`]), pass 2 writes each cell straight from the
//! feature's text ([`RowEncoder::encode_raw`]); anything else goes through the `Value` tree as
//! before (see [`crate::io::gpkg::raw`]). In pass 1 each feature is parsed once: the
//! validator's quick check of a clean feature also says where its members are
//! ([`Outline`]), and the plan is read from those. Pass 2 cuts the validated file's features
//! out with a plain structural scan ([`cut`]) rather than the validator's, and the features of
//! a batch travel in one buffer.
//!
//! An ACLED export to a GeoPackage is read from its cells in both passes ([`cells`]), not
//! through the GeoJSON text of each row.
//!
//! Inputs this does not cover (pipes, which cannot be read twice; other roots than a
//! `FeatureCollection`; GeoPackage, KML and point CSV inputs; `--layer`) return `None` and are
//! converted whole, as before.

use std::io::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

use super::{BadRows, ConvertError, ConvertReport, Format};
use crate::io::geojson::{GeoJsonError, RootMember, Slot, collection_slots, feature_from_json, feature_to_json};
use crate::io::gpkg::GpkgError;
use crate::io::gpkg::raw::{RawFeature, plain_point};
use crate::io::gpkg::stream::{EncodedRows, Geometry, Planner, RowEncoder, Rows, write_streamed};
use crate::io::read::{MAX_FILE_BYTES, ReadError};
use crate::io::validate_stream::{ElementsError, Outline, stream_elements};
use crate::model::{Feature, Layer, LayerKind, LayerSource};

mod cells;
mod cut;
mod once;

/// What the input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A GeoJSON file (whose root may still turn out not to be a `FeatureCollection`).
    GeoJson,
    /// An ACLED CSV export, read on every core ([`crate::io::acled_par::stream_json`]).
    Acled,
    /// An ACLED CSV export the parallel reader does not take, read by the serial reader.
    AcledSerial,
}

/// Converts `input` to `output` streamed, or `None` when the input is not one this streams
/// (see the module docs); the caller then converts it whole.
pub(super) fn convert(
    input: &Path,
    output: &Path,
    out_format: Format,
    bad_rows: BadRows,
) -> Option<Result<ConvertReport, ConvertError>> {
    if !matches!(out_format, Format::GeoPackage | Format::GeoJson) || !crate::io::read::is_regular_file(input) {
        return None;
    }
    let source = match Format::from_extension(input)? {
        Format::GeoJson => Source::GeoJson,
        Format::Csv if is_acled(input) => Source::Acled,
        _ => return None,
    };
    let label = input.display().to_string();
    let name = input.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    let mut plan = Pass1::new(&label, &name, source, out_format);
    let mut pass1 = if out_format == Format::GeoPackage {
        match once::at_once(input, output, source, &mut plan, bad_rows) {
            once::AtOnce::Done(result, _) => return Some(result),
            once::AtOnce::Irregular => Ok(Read::Irregular),
            once::AtOnce::Whole => Ok(Read::Whole),
            once::AtOnce::NotTaken => check(input, output, source, &mut plan),
        }
    } else {
        check(input, output, source, &mut plan)
    };
    let mut source = source;
    if matches!(pass1, Ok(Read::Irregular)) {
        // The parallel reader does not take the file: the serial reader reads it all again.
        source = Source::AcledSerial;
        plan = Pass1::new(&label, &name, source, out_format);
        pass1 = check(input, output, source, &mut plan);
    }
    let (root, rows) = match pass1 {
        Ok(Read::Root(root, rows)) => (root, rows),
        // Not a `FeatureCollection` this streams: read whole, as before.
        Ok(Read::Whole | Read::Irregular) => return None,
        Err(e) => return Some(Err(e)),
    };
    Some(plan.finish(input, output, root, rows, bad_rows).and_then(|ready| ready.write(input, output, source)))
}

/// Pass 1 over `input` read as `source`, into `plan`. A feature of the common shape is
/// read straight from its text ([`RawFeature`], [`Pass1::feature_raw`]); any other through
/// the `Value` tree, as the whole-file loader reads it.
fn check(input: &Path, output: &Path, source: Source, plan: &mut Pass1) -> Result<Read, ConvertError> {
    if source == Source::Acled {
        return cells::check(input, output, plan);
    }
    read_batches(input, source, Pass::Check, |batch| plan.batch(output, &batch))
}

/// A feature of pass 1 as the whole-file loader loads it, with the refusal of its `crs`.
struct Loaded {
    crs: Result<(), GeoJsonError>,
    feature: Result<Feature, String>,
}

impl Loaded {
    fn new(raw: Value, label: &str) -> Self {
        let crs = match &raw {
            Value::Object(object) => crate::io::crs::refuse_non_lon_lat(object, label),
            _ => Ok(()),
        };
        Self { crs, feature: feature_from_json(raw).map(|(f, _)| f) }
    }
}

/// Whether `path` is a CSV whose header names the ACLED columns the point-CSV reader hands
/// to the ACLED importer (`event_id_cnty` and `event_date`).
fn is_acled(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(file);
    let mut header = csv::StringRecord::new();
    if !reader.read_record(&mut header).unwrap_or(false) {
        return false;
    }
    let names: Vec<String> = header.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase()).collect();
    names.iter().any(|h| h == "event_id_cnty") && names.iter().any(|h| h == "event_date")
}

/// What a pass found at the top level.
enum Read {
    /// A `FeatureCollection`: its members, in order, `features` emptied; and the problems of
    /// the rows of an ACLED CSV (`FILE:LINE:COL: message`), which come first.
    Root(Map<String, Value>, Vec<String>),
    /// Something else: to be read whole.
    Whole,
    /// An ACLED CSV export the parallel reader does not take (see
    /// [`crate::io::acled_par::Read::Irregular`]): to be read by the serial reader, from the
    /// start (some rows may have been handed over).
    Irregular,
}

/// Reads the features of `input` one by one, handing each (its index among the features of
/// the collection, as JSON) to `each`.
///
/// Two threads share the work: one reads the file and cuts out the features (in pass 1
/// validating them, in pass 2 parsing them too, as writing is the heavier side), the other
/// parses them (pass 1) and runs `each`.
fn read(
    input: &Path,
    source: Source,
    pass: Pass,
    mut each: impl FnMut(usize, Value) -> Result<(), ConvertError>,
) -> Result<Read, ConvertError> {
    let label = input.display();
    read_batches(input, source, pass, |batch| {
        for (i, raw) in batch.items {
            let value = match raw {
                Raw::Text(span, _) => serde_json::from_str(batch.text.get(span).unwrap_or_default())
                    .map_err(|e| ConvertError::Read(format!("{label}: feature #{}: {e}", i + 1))),
                Raw::Value(value) => Ok(value),
            };
            value.and_then(|v| each(i, v))?;
        }
        Ok(())
    })
}

/// [`read`] a batch of features at a time, as the reading thread hands them over.
fn read_batches(
    input: &Path,
    source: Source,
    pass: Pass,
    mut each: impl FnMut(Batch) -> Result<(), ConvertError>,
) -> Result<Read, ConvertError> {
    let label = input.display();
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Batch>(8);
        let reader = scope.spawn(move || {
            let mut batch = Batch::new();
            let result = produce(input, source, pass, |i, item| {
                let raw = match item {
                    Item::Text(text, outline) => {
                        let a = batch.text.len();
                        batch.text.push_str(text);
                        Raw::Text(a..batch.text.len(), outline)
                    }
                    Item::Value(value) => Raw::Value(value),
                };
                batch.items.push((i, raw));
                if batch.items.len() >= BATCH {
                    // The receiver is gone only when `each` failed: its error is the one told.
                    send.send(std::mem::replace(&mut batch, Batch::new()))
                        .map_err(|_gone| ConvertError::Read("stopped".to_owned()))?;
                }
                Ok(())
            });
            if !batch.items.is_empty() {
                send.send(batch).ok();
            }
            result
        });
        let mut failed = None;
        for batch in &receive {
            if let Err(e) = each(batch) {
                failed = Some(e);
                break;
            }
        }
        drop(receive);
        let read = reader.join().unwrap_or_else(|_| Err(ConvertError::Read(format!("{label}: the reader failed"))));
        match failed {
            Some(e) => Err(e),
            None => read,
        }
    })
}

/// Which pass over the input a read is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Pass 1: validate GeoJSON as it streams; features are parsed on the other thread.
    Check,
    /// Pass 2 to GeoJSON: the file was validated; features are parsed on the reading thread.
    Write,
    /// Pass 2 to a GeoPackage: the file was validated; features are handed over as text,
    /// parsed and encoded on every core ([`encode_batch`]).
    Encode,
}

/// Features handed from the reading thread to the other at a time.
const BATCH: usize = 256;

/// Features as the reading thread hands them over: their texts in one buffer (a batch is a
/// few allocations however many features it holds).
struct Batch {
    text: String,
    /// Each feature: its index among the features of the collection, and itself.
    items: Vec<(usize, Raw)>,
}

impl Batch {
    fn new() -> Self {
        Self { text: String::with_capacity(BATCH * 1024), items: Vec::with_capacity(BATCH) }
    }
}

/// A feature of a [`Batch`].
enum Raw {
    /// Its JSON text, a span of [`Batch::text`], to be parsed (its outline's spans relative
    /// to the text, when the validator made one).
    Text(std::ops::Range<usize>, Option<Outline>),
    /// Parsed.
    Value(Value),
}

/// A feature as [`produce`] hands it over.
enum Item<'t> {
    /// Its JSON text, to be parsed, and its outline when the validator made one.
    Text(&'t str, Option<Outline>),
    /// Parsed.
    Value(Value),
}

/// [`read`]'s reading side: hands over each feature, as text or (`parse_early`) parsed.
fn produce(
    input: &Path,
    source: Source,
    pass: Pass,
    mut each: impl FnMut(usize, Item<'_>) -> Result<(), ConvertError> + Send,
) -> Result<Read, ConvertError> {
    let label = input.display();
    let (checks, parse_early) = (pass == Pass::Check, pass == Pass::Write);
    match source {
        Source::GeoJson => {
            let mut hand = |i: usize, text: &str, outline: Option<Outline>| {
                if !parse_early {
                    return each(i, Item::Text(text, outline));
                }
                let value = serde_json::from_str(text)
                    .map_err(|e| ConvertError::Read(format!("{label}: feature #{}: {e}", i + 1)))?;
                each(i, Item::Value(value))
            };
            let io = |source| ConvertError::Read(ReadError::Io { path: input.to_owned(), source }.to_string());
            let file = std::fs::File::open(input).map_err(io)?;
            let size = file.metadata().map_err(io)?.len();
            if size > MAX_FILE_BYTES {
                let e = ReadError::TooLarge { path: input.to_owned(), size_mb: crate::io::read::megabytes_over(size) };
                return Err(ConvertError::Read(e.to_string()));
            }
            if !checks {
                // Pass 2: the file was validated; its features are only cut out.
                return match cut::cut_features(file, |i, text| hand(i, text, None)) {
                    Ok(_) => Ok(Read::Root(Map::new(), Vec::new())),
                    Err(cut::CutError::Stopped(e)) => Err(e),
                    Err(e) => Err(ConvertError::Read(format!("{label}: the file changed while it was converted: {e}"))),
                };
            }
            let streamed = stream_elements(std::io::BufReader::new(file), MAX_FILE_BYTES, checks, &mut hand).map_err(
                |e| match e {
                    ElementsError::Stopped(e) => e,
                    ElementsError::Stream(e) => ConvertError::Read(format!("{label}: {e}")),
                },
            )?;
            if crate::io::validate::has_errors(&streamed.problems) {
                return Err(ConvertError::Invalid {
                    problems: streamed.problems.iter().map(|p| format!("{label}:{p}")).collect(),
                });
            }
            let root = streamed.root.and_then(|text| serde_json::from_str::<Value>(&text).ok());
            match root {
                Some(Value::Object(root))
                    if root.get("type").and_then(Value::as_str) == Some("FeatureCollection")
                        && root.get("features").is_some_and(Value::is_array) =>
                {
                    Ok(Read::Root(root, Vec::new()))
                }
                _ => Ok(Read::Whole),
            }
        }
        Source::Acled => {
            use crate::io::acled_par::{BLOCK, Read as Parallel, stream_json};
            let mut stopped = None;
            let mut i = 0;
            let read = stream_json(input, &crate::io::progress::Progress::new(), BLOCK, |json| {
                let text = std::str::from_utf8(json).map_err(std::io::Error::other)?;
                let raw = if parse_early {
                    Item::Value(serde_json::from_str(text).map_err(std::io::Error::other)?)
                } else {
                    Item::Text(text, None)
                };
                let result = each(i, raw);
                i += 1;
                result.map_err(|e| {
                    stopped = Some(e);
                    std::io::Error::other("stopped")
                })
            });
            if let Some(e) = stopped {
                return Err(e);
            }
            match read {
                Parallel::Done(summary) => Ok(acled_root(&label, &summary)),
                Parallel::Irregular => Ok(Read::Irregular),
                Parallel::Failed(message) => Err(ConvertError::Read(message)),
            }
        }
        Source::AcledSerial => {
            let acled = crate::io::acled::open_acled(input).map_err(|e| ConvertError::Read(e.to_string()))?;
            let mut stopped = None;
            let mut i = 0;
            let summary = acled.stream_rows(|row| {
                let value = serde_json::to_value(row.into_feature()).map_err(std::io::Error::other)?;
                let result = each(i, Item::Value(value));
                i += 1;
                result.map_err(|e| {
                    stopped = Some(e);
                    std::io::Error::other("stopped")
                })
            });
            if let Some(e) = stopped {
                return Err(e);
            }
            let summary = summary.map_err(|e| ConvertError::Read(e.to_string()))?;
            Ok(acled_root(&label, &summary))
        }
    }
}

/// What a read of an ACLED export found: a collection, and the rows' problems.
fn acled_root(label: &impl std::fmt::Display, summary: &crate::io::acled::AcledSummary) -> Read {
    let mut root = Map::new();
    root.insert("type".to_owned(), Value::from("FeatureCollection"));
    root.insert("features".to_owned(), Value::Array(Vec::new()));
    let rows: Vec<String> = summary.problems.iter().map(|p| p.located(&label)).collect();
    Read::Root(root, rows)
}

/// Batches of features encoded on every core, each while the one before is inserted.
struct Encoding<'t> {
    label: String,
    encoder: RowEncoder<'t>,
    pool: rayon::ThreadPool,
    /// The batch encoded last, not inserted yet.
    pending: Option<Vec<Result<EncodedRows, ConvertError>>>,
}

impl<'t> Encoding<'t> {
    fn new(input: &Path, encoder: RowEncoder<'t>) -> Result<Self, ConvertError> {
        // Rows are encoded on a pool of their own: the parallel ACLED reader works in the
        // global one, where a task waits for this thread to take its rows.
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| ConvertError::Write(format!("cannot start the encoding threads: {e}")))?;
        Ok(Self { label: input.display().to_string(), encoder, pool, pending: None })
    }

    /// Encodes the features of `batch` but those `skipped` (indices, in order) on the other
    /// cores while this thread inserts the batch encoded before into `rows`.
    fn batch(&mut self, rows: &mut Rows<'_>, batch: &Batch, skipped: &[usize]) -> Result<(), ConvertError> {
        let mut next = None;
        let mut inserted = Ok(());
        let (label, encoder, previous) = (&self.label, self.encoder, self.pending.take());
        self.pool.in_place_scope(|s| {
            s.spawn(|_| next = Some(encode_batch(label, encoder, batch, skipped)));
            if let Some(previous) = previous {
                inserted = Self::insert(rows, previous);
            }
        });
        self.pending = next;
        inserted
    }

    /// Inserts the batch encoded last.
    fn finish(&mut self, rows: &mut Rows<'_>) -> Result<(), ConvertError> {
        self.pending.take().map_or(Ok(()), |last| Self::insert(rows, last))
    }

    fn insert(rows: &mut Rows<'_>, encoded: Vec<Result<EncodedRows, ConvertError>>) -> Result<(), ConvertError> {
        encoded.into_iter().try_for_each(|e| rows.insert_encoded(&e?).map_err(ConvertError::from))
    }
}

/// Features of a batch parsed and encoded by one task.
const CHUNK: usize = 64;

/// Parses the features of `batch` (text, from pass 2) and encodes their rows, on every core:
/// one [`EncodedRows`] per [`CHUNK`] features, in order. The features pass 1 skipped
/// (`skipped`, their indices in order) are skipped again; a feature of the common shape is
/// encoded straight from its text ([`RowEncoder::encode_raw`]), any other through the
/// `Value` tree.
fn encode_batch(
    label: &str,
    encoder: RowEncoder<'_>,
    batch: &Batch,
    skipped: &[usize],
) -> Vec<Result<EncodedRows, ConvertError>> {
    use rayon::prelude::*;
    batch
        .items
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut out = EncodedRows::default();
            for (i, raw) in chunk {
                if skipped.binary_search(i).is_ok() {
                    continue;
                }
                let value = match raw {
                    Raw::Text(span, outline) => {
                        let text = batch.text.get(span.clone()).unwrap_or_default();
                        // Read in one pass, the validator's outline spares parsing it again.
                        let f = match outline {
                            Some(outline) => RawFeature::from_outline(text, outline),
                            None => RawFeature::parse(text),
                        };
                        if let Some(f) = f {
                            encoder.encode_raw(&f, &mut out);
                            continue;
                        }
                        serde_json::from_str(text)
                            .map_err(|e| ConvertError::Read(format!("{label}: feature #{}: {e}", i + 1)))?
                    }
                    Raw::Value(value) => value.clone(),
                };
                if let Ok((f, _)) = feature_from_json(value) {
                    encoder.encode(&f, &mut out);
                }
            }
            Ok(out)
        })
        .collect()
}

/// The properties the kind of a layer ([`crate::io::geojson::infer_kind`]) and the dates of
/// its features ([`crate::model::feature_span`] without date fields) are read from: all
/// [`Pass1::feature_raw`] loads of a feature's properties.
const DATED_KEYS: [&str; 9] =
    ["event_date", "event_type", "time_precision", "donor", "aid_type", "shapeType", "announced", "start", "end"];

/// Pass 1: loads each feature as the whole-file loader would and plans the output.
struct Pass1 {
    label: String,
    name: String,
    /// The layer's kind, once known: ACLED rows are events; GeoJSON layers take the kind of
    /// their first feature with properties ([`crate::io::geojson::infer_kind`]).
    kind: Option<LayerKind>,
    /// Labels of the features with no properties before the kind was known.
    pending: Vec<String>,
    /// Features that cannot be used, as the loader names them.
    skipped: Vec<String>,
    /// Their indices among the features of the collection, in order.
    skipped_at: Vec<usize>,
    /// Unreadable dates, as the loader names them.
    dates: Vec<String>,
    /// Features loaded.
    kept: usize,
    /// The first feature whose `crs` names a projected system.
    crs: Option<GeoJsonError>,
    /// The GeoPackage table's plan, for a GeoPackage output.
    planner: Option<Planner>,
    /// The first feature the GeoPackage cannot take.
    unwritable: Option<GpkgError>,
    zone: Option<chrono_tz::Tz>,
}

impl Pass1 {
    fn new(label: &str, name: &str, source: Source, out_format: Format) -> Self {
        Self {
            label: label.to_owned(),
            name: name.to_owned(),
            kind: matches!(source, Source::Acled | Source::AcledSerial).then_some(LayerKind::Events),
            pending: Vec::new(),
            skipped: Vec::new(),
            skipped_at: Vec::new(),
            dates: Vec::new(),
            kept: 0,
            crs: None,
            planner: (out_format == Format::GeoPackage).then(|| Planner::new(name, false)),
            unwritable: None,
            zone: Some(crate::time::zone::current()),
        }
    }

    /// The features of `batch`, in order.
    fn batch(&mut self, output: &Path, batch: &Batch) -> Result<(), ConvertError> {
        for (i, raw) in &batch.items {
            let value = match raw {
                Raw::Text(span, outline) => {
                    let text = batch.text.get(span.clone()).unwrap_or_default();
                    // The validator's outline spares parsing the feature again.
                    let raw = match outline {
                        Some(outline) => RawFeature::from_outline(text, outline),
                        None => RawFeature::parse(text),
                    };
                    if raw.is_some_and(|f| self.feature_raw(output, &f)) {
                        continue;
                    }
                    serde_json::from_str(text)
                        .map_err(|e| ConvertError::Read(format!("{}: feature #{}: {e}", self.label, i + 1)))?
                }
                Raw::Value(value) => value.clone(),
            };
            let loaded = Loaded::new(value, &self.label);
            self.feature(output, *i, loaded);
        }
        Ok(())
    }

    /// Feature `i` of the collection.
    fn feature(&mut self, output: &Path, i: usize, loaded: Loaded) {
        if self.crs.is_none()
            && let Err(e) = loaded.crs
        {
            self.crs = Some(e);
        }
        let f = match loaded.feature {
            Ok(f) => f,
            Err(why) => {
                self.skipped.push(format!("{}: feature #{} skipped: {why}", self.label, i + 1));
                self.skipped_at.push(i);
                return;
            }
        };
        self.kept_feature(&f, f.properties.is_empty());
        if let Some(planner) = self.planner.as_mut()
            && let Err(e) = planner.add(output, &f)
            && self.unwritable.is_none()
        {
            self.unwritable = Some(e);
        }
    }

    /// Feature `i` of the collection read from its text, as [`Pass1::feature`] takes it
    /// loaded; `false` (and nothing taken) when it cannot be used, for [`Pass1::feature`] to
    /// name why.
    fn feature_raw(&mut self, output: &Path, raw: &RawFeature<'_>) -> bool {
        let Ok(id) = raw.id() else { return false };
        let point = raw.geometry_text().and_then(plain_point);
        let json = if point.is_some() {
            None
        } else {
            let Ok(json) = raw.geometry() else { return false };
            if json.as_ref().is_some_and(|g| crate::io::geojson::geo_from_json(g).is_err()) {
                return false;
            }
            json
        };
        let geometry = match (point, &json) {
            (Some((x, y)), _) => Some(Geometry::Point(x, y)),
            (None, Some(g)) => Some(Geometry::Json(g)),
            (None, None) => None,
        };
        // Only the properties the kind and the dates are read from.
        let mut properties = Map::new();
        for key in DATED_KEYS {
            if let Some(text) = raw.property(key) {
                let Ok(value) = serde_json::from_str::<Value>(text) else { return false };
                properties.insert(key.to_owned(), value);
            }
        }
        let f = Feature {
            id,
            geometry: None,
            properties,
            foreign_members: Map::new(),
            shape: crate::spatial::Shape::from_geo(None),
            time: None,
        };
        self.kept_feature(&f, raw.properties_empty());
        if let Some(planner) = self.planner.as_mut()
            && let Err(e) = planner.add_raw(output, raw, f.id.as_ref(), geometry)
            && self.unwritable.is_none()
        {
            self.unwritable = Some(e);
        }
        true
    }

    /// An ACLED row read from its cells ([`cells`]), as [`Pass1::feature_raw`] takes the
    /// feature it makes: its `id`, its properties' keys and kinds, its point, and why its
    /// date cannot be read (what [`Pass1::date`] would say of it).
    fn row_cells<'k>(
        &mut self,
        output: &Path,
        id: &str,
        properties: impl Iterator<Item = (&'k str, crate::io::gpkg::raw::Kind)>,
        (x, y): (f64, f64),
        date: Option<&str>,
    ) {
        self.kept += 1;
        if let Some(why) = date {
            self.dates.push(format!("{}: feature {id}: {why}", self.label));
        }
        if let Some(planner) = self.planner.as_mut()
            && let Err(e) = planner.add_kinds(
                output,
                properties,
                Some(&crate::model::FeatureId::Str(id.to_owned())),
                Some(Geometry::Point(x, y)),
            )
            && self.unwritable.is_none()
        {
            self.unwritable = Some(e);
        }
    }

    /// Counts a feature kept, and takes its kind and date problems into account (`f` holds
    /// at least its [`DATED_KEYS`]; `no_properties`: it has none).
    fn kept_feature(&mut self, f: &Feature, no_properties: bool) {
        let n = self.kept;
        self.kept += 1;
        let id = || f.id.as_ref().map_or_else(|| format!("#{}", n + 1), ToString::to_string);
        match self.kind {
            Some(kind) => self.date(kind, f, &id()),
            None if no_properties => self.pending.push(id()),
            None => {
                let kind = crate::io::geojson::infer_kind(std::slice::from_ref(f));
                self.kind = Some(kind);
                self.settle_pending(kind);
                self.date(kind, f, &id());
            }
        }
    }

    /// The date problem of `f`, named `id`, in a layer of `kind`.
    fn date(&mut self, kind: LayerKind, f: &Feature, id: &str) {
        if let Err(why) = crate::model::feature_span(kind, None, f, self.zone) {
            self.dates.push(format!("{}: feature {id}: {why}", self.label));
        }
    }

    /// The date problems of the features without properties read before the kind was known.
    fn settle_pending(&mut self, kind: LayerKind) {
        let empty = Feature {
            id: None,
            geometry: None,
            properties: Map::new(),
            foreign_members: Map::new(),
            shape: crate::spatial::Shape::from_geo(None),
            time: None,
        };
        if let Err(why) = crate::model::feature_span(kind, None, &empty, self.zone) {
            for id in std::mem::take(&mut self.pending) {
                self.dates.push(format!("{}: feature {id}: {why}", self.label));
            }
        }
        self.pending.clear();
    }

    /// Decides, once every feature has been seen, whether the conversion goes ahead.
    fn finish(
        mut self,
        input: &Path,
        output: &Path,
        mut root: Map<String, Value>,
        rows: Vec<String>,
        bad_rows: BadRows,
    ) -> Result<Ready, ConvertError> {
        crate::io::crs::refuse_non_lon_lat(&root, &self.label).map_err(|e| ConvertError::Read(e.to_string()))?;
        if let Some(e) = self.crs.take() {
            return Err(ConvertError::Read(e.to_string()));
        }
        self.settle_pending(self.kind.unwrap_or(LayerKind::Generic));
        let layout = crate::io::geojson::collection_layout(&root);
        root.shift_remove("features");
        root.shift_remove("type");
        // The rows' problems come first, as the whole-file reader lists them.
        let mut problems = rows;
        problems.append(&mut self.skipped);
        problems.append(&mut self.dates);
        if !problems.is_empty() && bad_rows == BadRows::Fail {
            return Err(ConvertError::Skipped { input: input.to_owned(), output: output.to_owned(), problems });
        }
        if let Some(e) = self.unwritable.take() {
            return Err(e.into());
        }
        let mut stand_in = Layer::new(
            self.name.clone(),
            self.kind.unwrap_or(LayerKind::Generic),
            LayerSource::File(input.to_owned()),
            Vec::new(),
        );
        stand_in.foreign_members = root;
        stand_in.layout.root = layout;
        Ok(Ready {
            report: ConvertReport {
                input: input.to_owned(),
                output: output.to_owned(),
                layers: vec![(self.name.clone(), self.kept)],
                problems,
                lossy: Vec::new(),
            },
            stand_in,
            planner: self.planner,
            kept: self.kept,
            skipped: self.skipped_at,
        })
    }
}

/// A conversion pass 1 allowed: pass 2 writes it.
struct Ready {
    report: ConvertReport,
    /// The layer without its features: its name, collection members and their layout.
    stand_in: Layer,
    planner: Option<Planner>,
    kept: usize,
    /// The indices of the features pass 1 skipped, in order.
    skipped: Vec<usize>,
}

impl Ready {
    fn write(self, input: &Path, output: &Path, source: Source) -> Result<ConvertReport, ConvertError> {
        let Self { mut report, stand_in, planner, kept, skipped } = self;
        // Features pass 1 skipped are skipped again; the others are loaded as before.
        let load = |raw: Value| feature_from_json(raw).ok();
        if source == Source::Acled
            && let Some(planner) = planner
        {
            report.lossy = write_streamed(output, planner, false, |rows| cells::write(input, rows))?;
        } else if let Some(planner) = planner {
            let members = !stand_in.foreign_members.is_empty();
            report.lossy = write_streamed(output, planner, members, |rows| {
                let mut encoding = Encoding::new(input, rows.encoder())?;
                let read = read_batches(input, source, Pass::Encode, |batch| encoding.batch(rows, &batch, &skipped))?;
                encoding.finish(rows)?;
                match read {
                    Read::Root(..) => Ok(()),
                    Read::Whole | Read::Irregular => {
                        Err(ConvertError::Read(format!("{}: the file changed while it was converted", input.display())))
                    }
                }
            })?;
        } else {
            let io = |e: std::io::Error| ConvertError::Write(format!("cannot write {}: {e}", output.display()));
            let mut staged = crate::io::atomic::Staged::new(output).map_err(io)?;
            let ahead = crate::io::sync_ahead::SyncAhead::start(staged.file_mut()).ok();
            let mut out = crate::io::direct::BlockWriter::new(staged.file_mut());
            let mut written = 0;
            write_collection(&mut out, &stand_in, |out| {
                read(input, source, Pass::Write, |_, raw| {
                    let Some((f, layout)) = load(raw) else { return Ok(()) };
                    out.write_all(if written == 0 { b"\n" } else { b",\n" }).map_err(io)?;
                    serde_json::to_writer(&mut *out, &feature_to_json(&f, layout))
                        .map_err(|e| io(std::io::Error::other(e)))?;
                    written += 1;
                    Ok(())
                })?;
                if written > 0 {
                    out.write_all(b"\n").map_err(io)?;
                }
                Ok(())
            })?;
            out.flush().map_err(io)?;
            drop(out);
            drop(ahead);
            if written != kept {
                return Err(ConvertError::Read(format!(
                    "{}: the file changed while it was converted ({kept} features read, then {written})",
                    input.display()
                )));
            }
            staged.commit().map_err(io)?;
        }
        Ok(report)
    }
}

/// Writes the collection of `layer` (its members, in their order) as a save writes it
/// ([`crate::io::save`]), `features` written by `features` between its brackets.
fn write_collection<W: std::io::Write>(
    out: &mut W,
    layer: &Layer,
    features: impl FnOnce(&mut W) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    let io = |e: &dyn std::fmt::Display| ConvertError::Write(e.to_string());
    let mut features = Some(features);
    let mut foreign = layer.foreign_members.iter();
    out.write_all(b"{").map_err(|e| io(&e))?;
    for (n, slot) in collection_slots(layer).into_iter().enumerate() {
        if n > 0 {
            out.write_all(b",").map_err(|e| io(&e))?;
        }
        match slot {
            Slot::Standard(RootMember::Type) => out.write_all(br#""type":"FeatureCollection""#).map_err(|e| io(&e))?,
            Slot::Standard(RootMember::Features) => {
                out.write_all(br#""features":["#).map_err(|e| io(&e))?;
                if let Some(write) = features.take() {
                    write(out)?;
                }
                out.write_all(b"]").map_err(|e| io(&e))?;
            }
            Slot::Foreign(_) => {
                if let Some((k, v)) = foreign.next() {
                    serde_json::to_writer(&mut *out, k).map_err(|e| io(&e))?;
                    out.write_all(b":").map_err(|e| io(&e))?;
                    serde_json::to_writer(&mut *out, v).map_err(|e| io(&e))?;
                }
            }
        }
    }
    out.write_all(b"}\n").map_err(|e| io(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conversions `tests/convert_stream.rs` compares with the whole-file ones do stream.
    #[test]
    fn collections_and_acled_exports_stream_and_the_rest_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let collection = write(
            "c.geojson",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":1}}]}",
        );
        let bare = write("b.geojson", "{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":1}}");
        let acled =
            write("a.csv", "event_id_cnty,event_date,event_type,latitude,longitude\nTJK1,2021-01-02,Riots,38.5,68.8\n");
        let points = write("p.csv", "name,lat,lon\nx,38.5,68.8\n");
        for (input, streams) in [(&collection, true), (&bare, false), (&acled, true), (&points, false)] {
            for (ext, format) in [("gpkg", Format::GeoPackage), ("geojson", Format::GeoJson)] {
                let out = dir.path().join(format!("out.{ext}"));
                let result = convert(input, &out, format, BadRows::Fail);
                assert_eq!(result.is_some(), streams, "{}", input.display());
                if let Some(result) = result {
                    let report = result.unwrap();
                    assert_eq!(report.layers.first().map(|l| l.1), Some(1));
                    assert!(out.exists());
                }
            }
            assert!(convert(input, &dir.path().join("out.csv"), Format::Csv, BadRows::Fail).is_none());
        }
    }

    /// An ACLED export the parallel reader does not take (a header not ended by a newline)
    /// is read again by the serial reader, and still streams.
    #[test]
    fn an_export_the_parallel_reader_refuses_is_read_by_the_serial_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.csv");
        std::fs::write(&path, "event_id_cnty,event_date,event_type,latitude,longitude").unwrap();
        let parallel = read(&path, Source::Acled, Pass::Check, |_, _| Ok(())).unwrap();
        assert!(matches!(parallel, Read::Irregular));
        let out = dir.path().join("out.gpkg");
        let report = convert(&path, &out, Format::GeoPackage, BadRows::Fail).unwrap().unwrap();
        assert_eq!(report.layers, vec![("h".to_owned(), 0)]);
        assert!(out.exists());
    }
}
