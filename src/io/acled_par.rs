//! An ACLED CSV export read on every core, straight into the columnar store (issue 8).
//!
//! The file is read in blocks of [`BLOCK`] bytes. Each block is cut at record boundaries into
//! one piece per task, and the pieces are parsed in parallel with `csv_core` (the parser the
//! `csv` crate uses, with its defaults, so a record reads exactly as it does in
//! [`super::acled::stream_acled_rows`]). A good row is checked as that reader checks it, and kept
//! as its **CSV record text** (packed in LZ4 blocks, decoded through the header only when the
//! inspector or a save asks) plus its point, date span and event type in columns. Nothing like
//! the GeoJSON text `import acled` writes is made until a feature is asked for, so the layer
//! is smaller than the file.
//!
//! Record boundaries are found by quote parity: in RFC 4180 CSV a newline ends a record exactly
//! when an even number of quotes came before it. A file where that does not hold (a stray quote
//! inside an unquoted field) is caught: every piece must end exactly where its parse ends a
//! record, and a piece starting at a record start and ending cleanly proves the next piece
//! starts at one too. When a piece does not end cleanly the load says so
//! ([`Outcome::Irregular`]) and the caller reads the file with the serial reader, which reports
//! exactly as before. Duplicate ids (the first row wins) are found in file order after each
//! block, with a hash of each id and the text of the first row checked on a match.

use std::collections::HashMap;
use std::hash::BuildHasher as _;
use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::acled::{AcledSummary, GEOJSON_SEPARATOR, Header, RowCore, RowProblem};
use super::geojson::Loaded;
use super::geojson_fast::FeaturePacker;
use super::progress::Progress;
use crate::model::store::{BlockWriter, PackedFeature};
use crate::model::{Feature, FeatureLayout, LayerKind, LayerSource, PropertiesForm};
use crate::spatial::Shape;

/// Bytes read from the file per round.
pub const BLOCK: usize = 16 * 1024 * 1024;

/// The smallest piece worth a task of its own.
const MIN_PIECE: usize = 256 * 1024;

/// What a parallel load found.
pub enum Outcome {
    /// The layer, with the rows' problems first among its skipped lines.
    Loaded(Box<Loaded>),
    /// Not a file this reader takes (no readable header, not a regular file, stray quotes):
    /// read it with the serial reader, which reports exactly.
    Irregular,
    /// The load failed or was cancelled: the message.
    Failed(String),
}

/// How a parallel read ended.
pub enum Read {
    /// Every row was read: what the serial reader's summary would say.
    Done(AcledSummary),
    /// See [`Outcome::Irregular`]; nothing was handed over yet when the header is refused,
    /// but rows may have been when stray quotes are found further on.
    Irregular,
    /// The read failed or was cancelled: the message.
    Failed(String),
}

/// What each task makes of the good rows of its piece.
trait Sink: Send + Sized {
    /// What it makes of one row.
    type Row: Send;
    /// One good row: its cells, what [`Header::check`] found, and its CSV record text.
    fn row(&mut self, header: &Header, cells: &[&str], core: &RowCore<'_>, raw: &str) -> Self::Row;
    /// The piece about to be read is `bytes` long.
    fn expect(&mut self, bytes: usize) {
        let _ = bytes;
    }
}

/// Loads the ACLED export at `path` (a regular file) into the columnar store; see the module
/// documentation. `block` is the read size ([`BLOCK`]; tests make it small).
pub fn load(path: &Path, progress: &Progress, block: usize) -> Outcome {
    let label = path.display().to_string();
    let mut packer: Option<FeaturePacker> = None;
    let layout = FeatureLayout::from_keys(["type", "geometry", "id", "properties"], PropertiesForm::Object);
    let read = read(path, progress, block, &PackSink::new, |header, mut sink: PackSink, taken| {
        let packer = packer.get_or_insert_with(|| {
            let decoding = Arc::clone(header);
            let decoder: crate::model::store::Decoder = Arc::new(move |text: &str| decode(&decoding, text));
            let mut packer = FeaturePacker::with_decoder(&label, LayerKind::Events, decoder);
            let encoding = Arc::clone(header);
            packer.set_encoder(Arc::new(move |text: &str, out: &mut Vec<u8>| encode(&encoding, text, out)));
            packer
        });
        let first_block = packer.add_blocks(std::mem::take(&mut sink.blocks).finish());
        let (kept, duplicates) = taken.split();
        let rows = kept.map(|row| (row.feature, row.category, row.date_problem));
        packer.push_rows(first_block, layout, &sink.categories, std::mem::take(&mut sink.ids), rows);
        // Duplicates were tallied by the task that read them.
        for id in &duplicates {
            packer.untally_id(id);
        }
        Ok(())
    });
    let summary = match read {
        Read::Done(summary) => summary,
        Read::Irregular => return Outcome::Irregular,
        Read::Failed(e) => return Outcome::Failed(e),
    };
    // A file of a header alone.
    let packer = packer.unwrap_or_else(|| FeaturePacker::new(&label, Some(LayerKind::Events)));
    let name = path.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    let mut root = serde_json::Map::new();
    root.insert("type".to_owned(), serde_json::Value::from("FeatureCollection"));
    root.insert("features".to_owned(), serde_json::Value::Null);
    match packer.finish(root, &name, LayerSource::File(path.to_owned())) {
        Ok(mut loaded) => {
            let problems = summary.problems.iter().map(|p| p.located(&label));
            loaded.skipped.splice(0..0, problems);
            Outcome::Loaded(Box::new(loaded))
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// Reads the ACLED export at `path` (a regular file) on every core, handing each good row's
/// feature text — the bytes [`super::acled::GeoJsonWriter::row`] writes — to `each`, in file
/// order, as [`super::acled::stream_acled_rows`] does; the summary is the one it gives.
/// `block` as in [`load`]. On [`Read::Irregular`] after rows were handed over the caller
/// must start again with the serial reader.
pub fn stream_json(
    path: &Path,
    progress: &Progress,
    block: usize,
    mut each: impl FnMut(&[u8]) -> std::io::Result<()> + Send,
) -> Read {
    let buffers = Buffers::default();
    read(path, progress, block, &|_| buffers.sink(), |_, sink: JsonSink, taken| {
        for (from, to) in taken.split().0 {
            each(sink.buf.get(from..to).unwrap_or_default()).map_err(|e| e.to_string())?;
        }
        buffers.give_back(sink);
        Ok(())
    })
}

/// Reads the ACLED export at `path` as [`stream_json`] does, but hands `each` runs of rows:
/// the feature texts of rows kept one after another, joined by
/// [`super::acled::GEOJSON_SEPARATOR`] (the text [`super::acled::GeoJsonWriter::raw_row`]
/// writes for each of them, after the first's separator). A run is most of a block's piece:
/// a 1M-row import writes a few hundred runs straight to the file instead of copying a
/// million rows through a buffer.
pub fn stream_json_runs(
    path: &Path,
    progress: &Progress,
    block: usize,
    mut each: impl FnMut(&[u8]) -> std::io::Result<()> + Send,
) -> Read {
    let gap = GEOJSON_SEPARATOR.len();
    let buffers = Buffers::default();
    read(path, progress, block, &|_| buffers.sink(), |_, sink: JsonSink, taken| {
        let mut run: Option<(usize, usize)> = None;
        for (from, to) in taken.split().0 {
            run = match run {
                Some((start, end)) if end + gap == from => Some((start, to)),
                Some((start, end)) => {
                    each(sink.buf.get(start..end).unwrap_or_default()).map_err(|e| e.to_string())?;
                    Some((from, to))
                }
                None => Some((from, to)),
            };
        }
        if let Some((start, end)) = run {
            each(sink.buf.get(start..end).unwrap_or_default()).map_err(|e| e.to_string())?;
        }
        buffers.give_back(sink);
        Ok(())
    })
}

/// What [`stream_made`] makes of the good rows of a piece of the file, on the task that
/// read it.
pub(crate) trait Maker: Sync {
    /// What the rows of one piece make.
    type Made: Send;
    /// What no row makes yet.
    fn start(&self) -> Self::Made;
    /// Adds one good row: its cells, and what [`Header::check`] found.
    fn row(&self, made: &mut Self::Made, header: &Header, cells: &[&str], core: &RowCore<'_>);
}

/// Reads the ACLED export at `path` (a regular file) on every core as [`stream_json`] does,
/// the good rows of each piece made into one [`Maker::Made`] by `maker` on the task that read
/// them, and handed to `each` in file order (with the header) with the indices (among the rows it was given,
/// ascending) of the rows kept: all of them, but for duplicate ids, which are skipped. The
/// summary is the one [`stream_json`] gives.
pub(crate) fn stream_made<M: Maker>(
    path: &Path,
    progress: &Progress,
    block: usize,
    maker: &M,
    mut each: impl FnMut(&Header, M::Made, &[usize]) -> Result<(), String> + Send,
) -> Read {
    let new = |_: &Header| MadeSink { maker, made: maker.start(), rows: 0 };
    read(path, progress, block, &new, |header, sink: MadeSink<'_, M>, taken| {
        let kept: Vec<usize> = taken.split().0.collect();
        each(header, sink.made, &kept)
    })
}

/// A piece's rows made by a [`Maker`].
struct MadeSink<'m, M: Maker> {
    maker: &'m M,
    made: M::Made,
    /// Rows given.
    rows: usize,
}

impl<M: Maker> Sink for MadeSink<'_, M> {
    /// The row's index among the piece's rows.
    type Row = usize;

    fn row(&mut self, header: &Header, cells: &[&str], core: &RowCore<'_>, _: &str) -> usize {
        self.maker.row(&mut self.made, header, cells, core);
        self.rows += 1;
        self.rows - 1
    }
}

/// The read behind [`load`] and [`stream_json`]: `take` gets each piece's sink and its kept
/// rows (with their ids), piece after piece in file order.
fn read<S: Sink, F>(
    path: &Path,
    progress: &Progress,
    block: usize,
    new_sink: &(dyn Fn(&Header) -> S + Sync),
    mut take: F,
) -> Read
where
    F: FnMut(&Arc<Header>, S, Taken<S::Row>) -> Result<(), String> + Send,
{
    let label = path.display().to_string();
    let failed = |e: std::io::Error| Read::Failed(format!("{label}: {e}"));
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let size = match file.metadata() {
        Ok(m) if m.is_file() && m.len() <= crate::io::read::MAX_FILE_BYTES => m.len(),
        Ok(_) => return Read::Irregular,
        Err(e) => return failed(e),
    };
    progress.set_total_bytes(size);
    // The file as it is read: never more than the size it had when opened, plus one byte to
    // see that it grew (then the serial reader, with its limits, takes over).
    let mut file = file.take(size + 1);
    let mut data: Vec<u8> = Vec::new();
    let mut eof = false;
    if let Err(e) = fill(&mut file, &mut data, block, &mut eof) {
        return failed(e);
    }
    let Some((header, header_end)) = read_header(&data, &label) else { return Read::Irregular };
    let header = Arc::new(header);
    let header_lines = memchr::memchr_iter(b'\n', data.get(..header_end).unwrap_or_default()).count();
    let mut rows = Rows::new(header_lines, header.required.id);
    // The id table sized once for the rows the file holds, estimated from the first block's
    // lines (growing it a doubling at a time moves every id again: a tenth of the merge).
    let body = data.get(header_end..).unwrap_or_default();
    let lines = memchr::memchr_iter(b'\n', body).count().max(1);
    let estimate = (size as f64 * lines as f64 / body.len().max(1) as f64 * 1.02) as usize;
    rows.seen.reserve(estimate.min(usize::try_from(size / 16).unwrap_or(usize::MAX)));
    let mut start = header_end;
    let mut done: u64 = 0;
    // The buffer the next block is read into (the last block's, once it is parsed).
    let mut spare: Vec<u8> = Vec::new();
    let mut pending: Option<Vec<Piece<S>>> = None;
    let merge = |rows: &mut Rows, take: &mut F, pieces: Vec<Piece<S>>| -> Result<(), String> {
        for piece in pieces {
            let (sink, taken) = rows.add(piece);
            take(&header, sink, taken)?;
        }
        Ok(())
    };
    loop {
        // Quote parity from `start` on, read once for the block's cut and its pieces.
        let parity = Parity::new(data.get(start..).unwrap_or_default());
        let cut = if eof { Some(data.len()) } else { boundary_before_end(parity.bytes, &parity).map(|b| start + b) };
        let Some(cut) = cut else {
            // No record ends in the block: read more of the file into it.
            if let Err(e) = fill(&mut file, &mut data, block, &mut eof) {
                return failed(e);
            }
            continue;
        };
        // Cancel is seen before the next block is parsed and the last one's rows taken.
        if progress.cancelled() {
            return Read::Failed(format!("{label}: loading cancelled"));
        }
        let body = data.get(start..cut).unwrap_or_default();
        let pieces = pieces(body, &parity);
        let parse = || -> Vec<Piece<S>> {
            pieces
                .par_iter()
                .map(|&(a, b)| {
                    let sink = new_sink(&header);
                    parse_piece(body.get(a..b).unwrap_or_default(), &header, eof && b == body.len(), sink)
                })
                .collect()
        };
        // The rest of the block, and the next block read after it while this one is parsed
        // (the reader does not wait for the disk, nor the disk for the parse).
        let mut next = std::mem::take(&mut spare);
        next.clear();
        next.extend_from_slice(data.get(cut..).unwrap_or_default());
        let read_next = || -> std::io::Result<bool> {
            let mut next_eof = eof;
            if !eof {
                fill(&mut file, &mut next, block, &mut next_eof)?;
            }
            Ok(next_eof)
        };
        // The previous block's rows are taken in order on this thread while the other cores
        // parse this block.
        let parse_and_merge = || match pending.take() {
            Some(prev) => rayon::join(|| merge(&mut rows, &mut take, prev), parse),
            None => (Ok(()), parse()),
        };
        let ((merged, outs), next_eof) = rayon::join(parse_and_merge, read_next);
        if let Err(e) = merged {
            return Read::Failed(format!("{label}: {e}"));
        }
        // The block's good rows count as features now, while they are taken (a duplicate
        // id, skipped when taken, is rare): waiting for the take left a file of one block
        // at "0 features" until it was loaded.
        progress.add_features(outs.iter().map(|p| p.rows.len() as u64).sum());
        if outs.iter().any(|p| !p.clean) {
            return Read::Irregular;
        }
        pending = Some(outs);
        done += cut as u64;
        progress.set_bytes_done(done);
        if progress.cancelled() {
            return Read::Failed(format!("{label}: loading cancelled"));
        }
        if eof {
            break;
        }
        eof = match next_eof {
            Ok(eof) => eof,
            Err(e) => return failed(e),
        };
        spare = std::mem::replace(&mut data, next);
        start = 0;
        if done + data.len() as u64 > size {
            // The file grew while it was read.
            return Read::Irregular;
        }
    }
    if let Some(last) = pending
        && let Err(e) = merge(&mut rows, &mut take, last)
    {
        return Read::Failed(format!("{label}: {e}"));
    }
    Read::Done(rows.summary())
}

/// Reads up to `block` more bytes into `data`; sets `eof` when the file has no more.
fn fill(file: &mut impl std::io::Read, data: &mut Vec<u8>, block: usize, eof: &mut bool) -> std::io::Result<()> {
    let want = data.len() + block;
    data.reserve(block);
    while data.len() < want {
        let n = file.by_ref().take((want - data.len()) as u64).read_to_end(data)?;
        if n == 0 {
            *eof = true;
            break;
        }
    }
    Ok(())
}

/// The header and the byte after it, read as the serial reader reads it; `None` when there
/// is no complete header in `data` or it is refused (the serial reader then says why).
fn read_header(data: &[u8], label: &str) -> Option<(Header, usize)> {
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(data);
    let mut record = csv::StringRecord::new();
    if !csv.read_record(&mut record).ok()? {
        return None;
    }
    let end = usize::try_from(csv.position().byte()).ok()?;
    // A header ended by the end of the data rather than a newline may go on in the file.
    if end >= data.len() {
        return None;
    }
    Header::read(&record, label).ok().map(|h| (h, end))
}

/// Whether an odd number of quotes is in `bytes` (counted by `memchr`, many bytes at a time).
fn odd_quotes(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'"', bytes).count() % 2 == 1
}

/// Bytes per part of [`Parity`].
const PARITY_PART: usize = 64 * 1024;

/// The quote parity of some bytes before any position in them, from one pass over them on
/// every core (a block's cut and its pieces' cuts are all found from it).
struct Parity<'a> {
    bytes: &'a [u8],
    /// Whether an odd number of quotes comes before each [`PARITY_PART`] boundary.
    before: Vec<bool>,
}

impl<'a> Parity<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let parts: Vec<bool> = bytes.par_chunks(PARITY_PART).map(odd_quotes).collect();
        let mut before = Vec::with_capacity(parts.len() + 1);
        let mut odd = false;
        before.push(odd);
        for part in parts {
            odd ^= part;
            before.push(odd);
        }
        Self { bytes, before }
    }

    /// Whether an odd number of quotes is in `bytes[..at]`.
    fn odd_before(&self, at: usize) -> bool {
        let part = at / PARITY_PART;
        let whole = self.before.get(part).copied().unwrap_or(false);
        whole ^ odd_quotes(self.bytes.get(part * PARITY_PART..at).unwrap_or_default())
    }
}

/// The first record boundary at or after `from` (after the first line end before a `\n` with an
/// even number of quotes since `data[0]`, which starts a record); `odd` is the parity before
/// `from`.
fn boundary_from(data: &[u8], from: usize, mut odd: bool) -> Option<usize> {
    let rest = data.get(from..)?;
    for (i, &b) in rest.iter().enumerate() {
        if b == b'"' {
            odd = !odd;
        } else if b == b'\n' && !odd {
            // Cut right after the first line end of the run (blank lines stay with the next
            // record, where the serial reader counts them, and CRLF is cut after its CR).
            let mut end = from + i;
            while end > 0 && data.get(end - 1).is_some_and(|&c| c == b'\r' || c == b'\n') {
                end -= 1;
            }
            // A run from `data[0]` on goes with the record before `data` (cut already).
            if end > 0 {
                return Some(end + 1);
            }
        }
    }
    None
}

/// A record boundary in the last sixteenth of `body` (where a record starts; `parity` is its
/// own), or else the first one anywhere; `None` when no record ends in `body`.
fn boundary_before_end(body: &[u8], parity: &Parity<'_>) -> Option<usize> {
    let from = body.len() - body.len() / 16;
    boundary_from(body, from, parity.odd_before(from)).or_else(|| boundary_from(body, 0, false))
}

/// `body` (starting at a record; `parity` of bytes starting where it does) cut at record
/// boundaries into one piece per task: `(start, end)`.
fn pieces(body: &[u8], parity: &Parity<'_>) -> Vec<(usize, usize)> {
    let tasks = (rayon::current_num_threads() * 4).max(1);
    let step = (body.len() / tasks).max(MIN_PIECE);
    let targets: Vec<usize> = (1..tasks).map(|k| k * step).filter(|&t| t < body.len()).collect();
    let mut cuts = vec![0usize];
    for &t in &targets {
        let last = cuts.last().copied().unwrap_or(0);
        if t < last {
            continue;
        }
        match boundary_from(body, t, parity.odd_before(t)) {
            Some(b) if b < body.len() && b > last => cuts.push(b),
            _ => {}
        }
    }
    cuts.push(body.len());
    cuts.dedup();
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

/// One good row of a piece.
struct Row<R> {
    /// Physical line, counted from the piece's start (the piece's first line is 1).
    line: usize,
    /// A hash of its `event_id_cnty`.
    id_hash: u64,
    /// Where its id ends in the piece's `ids`.
    id_end: u32,
    /// What the sink made of it.
    made: R,
    /// How many of the piece's problems come before or with this row.
    problems_before: usize,
}

/// What a task made of one piece.
struct Piece<S: Sink> {
    rows: Vec<Row<S::Row>>,
    /// The rows' ids, end to end.
    ids: String,
    /// Problems, in file order, lines counted from the piece's start.
    problems: Vec<RowProblem>,
    /// Rows read (good and bad), blank lines aside.
    rows_read: usize,
    /// Newlines in the piece.
    newlines: usize,
    sink: S,
    /// The piece ended where a record ended (or it is the file's last).
    clean: bool,
}

/// A row packed for the columnar store.
struct PackRow {
    feature: PackedFeature,
    /// Its event type, in the sink's `categories`.
    category: u32,
    /// Its id and why its date cannot be read.
    date_problem: Option<Box<(String, String)>>,
}

/// Packs a piece's record texts and reads each row's columns.
struct PackSink {
    blocks: BlockWriter,
    event_type: Option<usize>,
    precision: Option<usize>,
    /// The piece's event types, and where each is.
    categories: Vec<String>,
    names: HashMap<String, u32, rustc_hash::FxBuildHasher>,
    /// The ids of the piece's good rows (duplicates too: they are taken out when found).
    ids: crate::model::ids::IdTally,
}

impl PackSink {
    /// A sink for one piece.
    fn new(header: &Header) -> Self {
        Self {
            blocks: BlockWriter::default(),
            event_type: header.known("event_type"),
            precision: header.known("time_precision"),
            categories: Vec::new(),
            names: HashMap::default(),
            ids: crate::model::ids::IdTally::default(),
        }
    }
}

impl Sink for PackSink {
    type Row = PackRow;

    fn row(&mut self, _: &Header, cells: &[&str], core: &RowCore<'_>, raw: &str) -> PackRow {
        // As `model::feature_span` reads an event: `time_precision` as a number (text that
        // parses as one included), 2 and 3 widening a day to its week or month.
        let precision = self.precision.and_then(|p| cells.get(p)).and_then(|t| match t.as_bytes() {
            // One digit (ACLED's codes): what the parse gives.
            &[d @ b'0'..=b'9'] => Some(f64::from(d - b'0')),
            _ => t.trim().parse::<f64>().ok(),
        });
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "as feature_span casts it")]
        let precision = precision.map(|p| p as u8);
        let span = row_span(core, precision);
        let (span, date_problem) = match span {
            Ok(span) => (Some(span), None),
            Err(why) => (None, Some(Box::new((core.id.to_owned(), why)))),
        };
        self.ids.add_str(core.id);
        let at = self.blocks.push(raw);
        let category = self.event_type.and_then(|i| cells.get(i)).copied().unwrap_or_default();
        let category = if let Some(&c) = self.names.get(category) {
            c
        } else {
            let c = self.categories.len() as u32;
            self.categories.push(category.to_owned());
            self.names.insert(category.to_owned(), c);
            c
        };
        PackRow {
            feature: PackedFeature {
                text: at,
                shape: Shape::point(crate::spatial::world_from_geo(core.lon, core.lat)),
                span,
            },
            category,
            date_problem,
        }
    }
}

/// A good row's date span as [`crate::model::feature_span`] reads the event `import acled`
/// writes for it: its day, widened to the ISO week or the month by `time_precision` 2 and 3
/// ([`crate::time::DateSpan::from_acled`]). A day of the years `YYYY-MM-DD` spells reads back as
/// that day, so its span is made from the day without parsing the text again.
fn row_span(core: &RowCore<'_>, precision: Option<u8>) -> Result<crate::time::DateSpan, String> {
    use crate::time::DateSpan;
    if (1..=9999).contains(&chrono::Datelike::year(&core.day)) {
        return Ok(match precision {
            Some(2) => DateSpan::iso_week_of(core.day),
            Some(3) => DateSpan::month_of(core.day),
            _ => DateSpan::day(core.day),
        });
    }
    let parsed = DateSpan::parse(&core.date).map_err(|e| e.to_string())?;
    if parsed.start == parsed.end && matches!(precision, Some(2 | 3)) {
        DateSpan::from_acled(&core.date, precision).map_err(|e| e.to_string())
    } else {
        Ok(parsed)
    }
}

/// Writes a piece's rows as the feature texts `import acled` writes.
struct JsonSink {
    buf: Vec<u8>,
}

/// The buffers of the [`JsonSink`]s whose rows were taken, filled again by the pieces after
/// them. A piece's text is megabytes: a buffer made for each piece and freed after it was
/// handed back to the system and mapped afresh for the next, and the first touch of every page
/// again (zeroing it, on a virtual machine the host backing it too) was about a tenth of an
/// import's time.
#[derive(Default)]
struct Buffers(std::sync::Mutex<Vec<Vec<u8>>>);

impl Buffers {
    /// A sink for one piece, in a buffer used before when there is one.
    fn sink(&self) -> JsonSink {
        let buf = self.0.lock().ok().and_then(|mut free| free.pop()).unwrap_or_default();
        JsonSink { buf }
    }

    /// Keeps the buffer of a sink whose rows were taken.
    fn give_back(&self, sink: JsonSink) {
        let mut buf = sink.buf;
        buf.clear();
        if let Ok(mut free) = self.0.lock() {
            free.push(buf);
        }
    }
}

impl Sink for JsonSink {
    /// Where the row's text is in `buf`.
    type Row = (usize, usize);

    fn row(&mut self, header: &Header, cells: &[&str], core: &RowCore<'_>, _: &str) -> (usize, usize) {
        // Each row after the separator that goes before it, so that rows kept one after the
        // other are one run of text ([`stream_json_runs`]).
        self.buf.extend_from_slice(GEOJSON_SEPARATOR.as_bytes());
        let start = self.buf.len();
        header.write_row_json(cells, core, &mut self.buf);
        (start, self.buf.len())
    }

    fn expect(&mut self, bytes: usize) {
        // A row's feature text is about 2.6 times its CSV record: room for it at once (grown
        // a doubling at a time the texts were copied again, 7% of an import).
        self.buf.reserve(bytes / 8 * 21);
    }
}

/// The hasher of ids (no seed, so equal ids hash alike across tasks).
fn id_hasher() -> rustc_hash::FxBuildHasher {
    rustc_hash::FxBuildHasher
}

/// One record read by `csv_core` from `input`: its fields, the bytes it took, and whether a
/// terminator (not the end of the input) ended it. `None` at the end of the input.
struct RecordReader {
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
    /// Whether `core` has read a record (it strips a BOM before its first).
    used: bool,
}

/// A record [`RecordReader::read`] read.
struct Next<'a> {
    /// Its text without the line ends around it, when it was read the plain way.
    plain: Option<&'a str>,
    /// A line end (not the end of the input) ended it.
    terminated: bool,
    /// The first field that is not UTF-8.
    bad_field: Option<usize>,
}

impl RecordReader {
    fn new() -> Self {
        Self { core: csv_core::Reader::new(), out: vec![0; 64 * 1024], ends: vec![0; 64], len: 0, used: false }
    }

    /// Reads the next record of `input[*pos..]` into `cells`, moving `pos` past it: a plain
    /// record (the usual one, see [`plain_record`], with `scratch` for the fields it
    /// unquotes; `text` is `input` when it is UTF-8) is cut where it lies, any other is read
    /// by `csv_core` (which reads the first record of the input, as it strips a BOM only
    /// there). `None` at the end of the input.
    fn read<'a>(
        &'a mut self,
        input: &'a [u8],
        text: Option<&'a str>,
        pos: &mut usize,
        scratch: &'a mut String,
        cells: &mut smallvec::SmallVec<[&'a str; 40]>,
    ) -> Option<Next<'a>> {
        let start = *pos;
        if self.used {
            if let Some(text) = plain_record(input, text, pos, scratch, cells) {
                return Some(Next { plain: Some(text), terminated: true, bad_field: None });
            }
            *pos = start;
            cells.clear();
        }
        let terminated = self.next(input, pos)?;
        self.used = true;
        let this: &'a Self = self;
        Some(Next { plain: None, terminated, bad_field: this.cells(cells) })
    }

    /// Reads the next record of `input[*pos..]`, moving `pos` past it; `Some(ended_by_terminator)`.
    fn next(&mut self, input: &[u8], pos: &mut usize) -> Option<bool> {
        use csv_core::ReadRecordResult as R;
        let (mut outlen, mut nends) = (0, 0);
        loop {
            let rest = input.get(*pos..).unwrap_or_default();
            let (res, nin, nout, nend) = self.core.read_record(
                rest,
                self.out.get_mut(outlen..).unwrap_or_default(),
                self.ends.get_mut(nends..).unwrap_or_default(),
            );
            *pos += nin;
            outlen += nout;
            nends += nend;
            match res {
                R::InputEmpty => {}
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record => {
                    self.len = nends;
                    return Some(!rest.is_empty());
                }
                R::End => return None,
            }
        }
    }

    /// The fields of the record just read, as text, into `cells`; the first field that is not
    /// UTF-8 stops it (its index is given back).
    fn cells<'s>(&'s self, cells: &mut smallvec::SmallVec<[&'s str; 40]>) -> Option<usize> {
        let used = self.ends.get(..self.len).and_then(|e| e.last()).copied().unwrap_or(0);
        let all = self.out.get(..used).unwrap_or_default();
        // One check for the whole record; fields are cut at character boundaries when it is
        // UTF-8 and each field's own bytes are (a field's end is never inside a character).
        if let Ok(text) = std::str::from_utf8(all) {
            let mut start = 0;
            for &end in self.ends.get(..self.len).unwrap_or_default() {
                match text.get(start..end) {
                    Some(field) => cells.push(field),
                    None => return Some(cells.len()),
                }
                start = end;
            }
            return None;
        }
        for (i, field) in self.fields().enumerate() {
            match std::str::from_utf8(field) {
                Ok(s) => cells.push(s),
                Err(_) => return Some(i),
            }
        }
        None
    }

    /// The fields of the record just read, as bytes.
    fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let ends = self.ends.get(..self.len).unwrap_or_default();
        let mut start = 0;
        ends.iter().map(move |&end| {
            let field = self.out.get(start..end).unwrap_or_default();
            start = end;
            field
        })
    }
}

/// The record at `input[*pos..]` when it is plain, cut into `cells` without `csv_core` and
/// read exactly as `csv_core` reads it: after the line ends it skips, fields that are either
/// unquoted without quotes, or quoted (doubled quotes in them read as one, written into
/// `scratch`) and closed right before a comma or a line end; the record ends at a line end
/// (CR, LF, or the CR of a CRLF, as `csv_core` ends it), and it is valid UTF-8 (known when
/// `whole`, all of `input` as text, is given: a record starts and ends at ASCII bytes). Moves
/// `pos` past the line end and gives the record's text (without line ends); `None` when the
/// record is not plain (`pos` and `cells` are then to be reset).
fn plain_record<'a>(
    input: &'a [u8],
    whole: Option<&'a str>,
    pos: &mut usize,
    scratch: &'a mut String,
    cells: &mut smallvec::SmallVec<[&'a str; 40]>,
) -> Option<&'a str> {
    let mut p = *pos;
    while matches!(input.get(p), Some(b'\r' | b'\n')) {
        p += 1;
    }
    let begin = p;
    // A BOM a fresh `csv_core` would strip when the text is read back: `csv_core` keeps it.
    if input.get(begin) == Some(&0xEF) {
        return None;
    }
    // A field's text (checked as UTF-8 on its own unless all of `input` is text: valid fields
    // between ASCII separators make a valid record, and the other way round).
    let field = |a: usize, b: usize| match whole {
        Some(whole) => whole.get(a..b),
        None => std::str::from_utf8(input.get(a..b)?).ok(),
    };
    // Each field goes to `cells` as it is found, but for fields with doubled quotes: those
    // are written to `scratch` with single quotes as their quotes are found (their cell, and
    // their text's bounds in `scratch`), and their cells are set once the record is read.
    let mut doubled_fields: smallvec::SmallVec<[(usize, usize, usize); 4]> = smallvec::SmallVec::new();
    scratch.clear();
    let mut specials = Specials::starting(input, p);
    let end = loop {
        if input.get(p) == Some(&b'"') {
            let from = p + 1;
            let mut at = from;
            // Where the field starts in `scratch`, once a doubled quote is found in it.
            let mut unquoted = None;
            let close = loop {
                let quote = at + memchr::memchr(b'"', input.get(at..)?)?;
                if input.get(quote + 1) == Some(&b'"') {
                    // The text up to and with the pair's first quote (cut at ASCII quotes, so
                    // at character boundaries); the second is left out.
                    unquoted.get_or_insert(scratch.len());
                    scratch.push_str(field(at, quote + 1)?);
                    at = quote + 2;
                } else {
                    break quote;
                }
            };
            if let Some(start) = unquoted {
                scratch.push_str(field(at, close)?);
                doubled_fields.push((cells.len(), start, scratch.len()));
                cells.push("");
            } else {
                cells.push(field(from, close)?);
            }
            match input.get(close + 1)? {
                b',' => {
                    p = close + 2;
                    specials = Specials::starting(input, p);
                }
                b'\n' | b'\r' => break close + 1,
                _ => return None,
            }
        } else {
            let from = p;
            // The specials after the last field's comma start from this field.
            p = specials.next()?;
            // A quote inside an unquoted field is text: `csv_core` reads that.
            if input.get(p) == Some(&b'"') {
                return None;
            }
            cells.push(field(from, p)?);
            if input.get(p) == Some(&b',') {
                p += 1;
            } else {
                break p;
            }
        }
    };
    let text = field(begin, end)?;
    let scratch: &'a str = scratch;
    for &(cell, x, y) in &doubled_fields {
        *cells.get_mut(cell)? = scratch.get(x..y)?;
    }
    *pos = end + 1;
    Some(text)
}

/// The positions of the `,`, `"`, LF and CR bytes of an input from some point on, in order,
/// found eight bytes at a time.
struct Specials<'a> {
    input: &'a [u8],
    /// Where the word in `mask` starts.
    word: usize,
    /// The high bit of each byte of the word that is special and not yet given.
    mask: u64,
}

impl<'a> Specials<'a> {
    /// The special bytes of `input` from `from` on.
    fn starting(input: &'a [u8], from: usize) -> Self {
        let mut out = Self { input, word: from, mask: 0 };
        out.load();
        out
    }

    /// Reads the word at `self.word` (zeros past the end of the input, which are not special).
    fn load(&mut self) {
        const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
        const ONES: u64 = 0x0101_0101_0101_0101;
        let rest = self.input.get(self.word..).unwrap_or_default();
        let word = u64::from_le_bytes(rest.first_chunk::<8>().copied().unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            for (to, &from) in bytes.iter_mut().zip(rest) {
                *to = from;
            }
            bytes
        }));
        // The high bit of each zero byte of `x`, exactly (no borrow crosses bytes).
        let zero = |x: u64| !(((x & LOW) + LOW) | x | LOW);
        let byte = |b: u8| word ^ (ONES * u64::from(b));
        self.mask = zero(byte(b',')) | zero(byte(b'"')) | zero(byte(b'\n')) | zero(byte(b'\r'));
    }
}

impl Iterator for Specials<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.word += 8;
            if self.word >= self.input.len() {
                return None;
            }
            self.load();
        }
        let at = self.word + (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// Parses one piece (which starts at a record); `last`: it ends the file.
fn parse_piece<S: Sink>(bytes: &[u8], header: &Header, last: bool, sink: S) -> Piece<S> {
    // Room for the rows of a piece of short records (without copying them as they come).
    let mut out = Piece {
        rows: Vec::with_capacity(bytes.len() / 128),
        ids: String::with_capacity(bytes.len() / 16),
        problems: Vec::new(),
        rows_read: 0,
        newlines: 0,
        sink,
        clean: true,
    };
    out.sink.expect(bytes.len());
    let mut reader = RecordReader::new();
    let mut pos = 0;
    let width = header.columns.len();
    let mut scratch = String::new();
    // The piece checked as UTF-8 at once (its records then need no check of their own).
    let text = std::str::from_utf8(bytes).ok();
    loop {
        let start = pos;
        let mut cells: smallvec::SmallVec<[&str; 40]> = smallvec::SmallVec::with_capacity(width);
        let Some(Next { plain, terminated, bad_field }) = reader.read(bytes, text, &mut pos, &mut scratch, &mut cells)
        else {
            break;
        };
        if !terminated && !last {
            out.clean = false;
            return out;
        }
        // The serial reader's line counts the newlines up to and including the record's
        // first byte: where they end stands for the line until the piece is read.
        let line = (start + 1).min(bytes.len());
        if let Some(i) = bad_field {
            out.rows_read += 1;
            out.problems.push(RowProblem {
                line,
                col: i + 1,
                message: format!("{}: not valid UTF-8 (row skipped)", header.column_name(i)),
                skipped: true,
            });
            continue;
        }
        if cells.len() == 1 && cells.first().is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        out.rows_read += 1;
        let core = match header.check(&cells, line, &mut out.problems) {
            Ok(core) => core,
            Err(problem) => {
                out.problems.push(problem);
                continue;
            }
        };
        // Made of valid UTF-8 fields and ASCII separators: UTF-8. A plain record is kept
        // without the line ends around it (it reads back the same).
        let raw =
            plain.unwrap_or_else(|| std::str::from_utf8(bytes.get(start..pos).unwrap_or_default()).unwrap_or_default());
        let made = out.sink.row(header, &cells, &core, raw);
        out.ids.push_str(core.id);
        out.rows.push(Row {
            line,
            id_hash: id_hasher().hash_one(core.id),
            id_end: out.ids.len() as u32,
            made,
            problems_before: out.problems.len(),
        });
    }
    // Lines, counted in one pass for the rows (which counts the piece's newlines too) and
    // one for the problems (each in order).
    let line_of = |ends: &mut dyn Iterator<Item = &mut usize>| {
        let mut newlines = memchr::memchr_iter(b'\n', bytes).peekable();
        let mut seen = 0;
        for end in ends {
            while newlines.next_if(|&at| at < *end).is_some() {
                seen += 1;
            }
            *end = seen + 1;
        }
        seen + newlines.count()
    };
    out.newlines = line_of(&mut out.rows.iter_mut().map(|r| &mut r.line));
    if !out.problems.is_empty() {
        line_of(&mut out.problems.iter_mut().map(|p| &mut p.line));
    }
    out
}

/// The first kept row with each id hash: open addressing with linear probing in slots of 8
/// bytes (the hash's low half, and the row's place in `rows` plus one; 0 is empty), so the
/// one look-up of a new id touches one cache line of a table a quarter the size of a
/// `HashMap` of the same rows.
#[derive(Default)]
struct IdTable {
    slots: Vec<u64>,
    /// The rows in the table: (hash, kept index, line).
    rows: Vec<(u64, u32, u32)>,
}

impl IdTable {
    /// Room for `n` rows in all without growing.
    fn reserve(&mut self, n: usize) {
        self.rows.reserve(n.saturating_sub(self.rows.len()));
        if self.slots.len() < n * 2 {
            self.grow((n * 2).next_power_of_two());
        }
    }

    /// The slot a hash is first looked for in, and its tag.
    fn home(&self, hash: u64) -> (usize, u64) {
        // The high bits, mixed: the slot; the low half: the tag.
        let mixed = hash.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let bits = self.slots.len().trailing_zeros();
        let slot = if bits == 0 { 0 } else { (mixed >> (64 - bits)) as usize };
        (slot, hash << 32)
    }

    /// Rebuilds the table with `len` slots (a power of two).
    fn grow(&mut self, len: usize) {
        self.slots = vec![0; len.max(16)];
        // Each page written once now: a zeroed allocation's pages are the kernel's shared zero
        // page until written, and [`Self::touch`] reads them first, so every first insert in a
        // page would copy it and flush it from the other cores' TLBs (3% of a 1M-row open).
        for page in self.slots.chunks_mut(512) {
            if let Some(first) = page.first_mut() {
                *std::hint::black_box(first) = 0;
            }
        }
        for at in 0..self.rows.len() {
            let hash = self.rows.get(at).map_or(0, |r| r.0);
            self.place(hash, at);
        }
    }

    /// Puts row `at` of `rows` (with this hash) in the first free slot from its home.
    fn place(&mut self, hash: u64, at: usize) {
        let (mut slot, tag) = self.home(hash);
        let mask = self.slots.len() - 1;
        while let Some(s) = self.slots.get_mut(slot) {
            if *s == 0 {
                *s = tag | (at as u64 + 1);
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The row with this hash in the table: `rows` index.
    fn find(&self, hash: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let (mut slot, tag) = self.home(hash);
        let mask = self.slots.len() - 1;
        loop {
            let s = *self.slots.get(slot)?;
            if s == 0 {
                return None;
            }
            if s & !0xFFFF_FFFF == tag {
                let at = (s & 0xFFFF_FFFF) as usize - 1;
                if self.rows.get(at).is_some_and(|r| r.0 == hash) {
                    return Some(at);
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Reads the home slots of these hashes, all at once: the reads do not wait for each
    /// other, so the table's lines are brought into the cache many at a time (one look-up
    /// after another waits for each line in turn).
    fn touch(&self, hashes: impl Iterator<Item = u64>) {
        let mut any = 0u64;
        for hash in hashes {
            any ^= self.slots.get(self.home(hash).0).copied().unwrap_or(0);
        }
        std::hint::black_box(any);
    }

    /// The first kept row with this hash: (kept index, line).
    fn first(&self, hash: u64) -> Option<(u32, u32)> {
        self.find(hash).and_then(|at| self.rows.get(at)).map(|r| (r.1, r.2))
    }

    /// Adds kept row `index` (on `line`) with this hash, unless a row with the hash is in
    /// the table: whether it was added.
    fn insert(&mut self, hash: u64, index: u32, line: u32) -> bool {
        if (self.rows.len() + 1) * 2 > self.slots.len() {
            self.grow((self.slots.len() * 2).max(1024));
        }
        let (mut slot, tag) = self.home(hash);
        let mask = self.slots.len() - 1;
        loop {
            let Some(s) = self.slots.get_mut(slot) else { return false };
            if *s == 0 {
                self.rows.push((hash, index, line));
                *s = tag | self.rows.len() as u64;
                return true;
            }
            if *s & !0xFFFF_FFFF == tag {
                let at = (*s & 0xFFFF_FFFF) as usize - 1;
                if self.rows.get(at).is_some_and(|r| r.0 == hash) {
                    return false;
                }
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// What the merge gives of a piece.
struct Taken<R> {
    /// Its good rows, in order, duplicates among them.
    rows: Vec<Row<R>>,
    /// Where the duplicates are in `rows`, ascending.
    skipped: Vec<usize>,
    /// The ids of its duplicate rows.
    duplicates: Vec<String>,
}

impl<R> Taken<R> {
    /// Its kept rows (not duplicates), in order, moved straight out of the piece's; and the
    /// ids of its duplicates.
    fn split(self) -> (Kept<R>, Vec<String>) {
        let left = self.rows.len() - self.skipped.len();
        let kept = Kept { rows: self.rows.into_iter().enumerate(), skipped: self.skipped.into_iter().peekable(), left };
        (kept, self.duplicates)
    }
}

/// The kept rows of a [`Taken`].
struct Kept<R> {
    rows: std::iter::Enumerate<std::vec::IntoIter<Row<R>>>,
    /// Where the duplicates still ahead are.
    skipped: std::iter::Peekable<std::vec::IntoIter<usize>>,
    /// Kept rows still ahead.
    left: usize,
}

impl<R> Iterator for Kept<R> {
    type Item = R;

    fn next(&mut self) -> Option<R> {
        loop {
            let (k, row) = self.rows.next()?;
            if self.skipped.next_if_eq(&k).is_none() {
                self.left = self.left.saturating_sub(1);
                return Some(row.made);
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<R> ExactSizeIterator for Kept<R> {}

/// The rows read so far, in file order: problems, counts, and the ids kept (the first row
/// with an id wins; later ones are skipped as duplicates, as the serial reader does).
struct Rows {
    problems: Vec<RowProblem>,
    /// Rows read (good and bad), blank lines aside.
    read: usize,
    /// Lines before the next piece, plus one.
    lines: usize,
    /// The id column (for duplicate messages).
    id_column: usize,
    /// Kept rows by id hash: the first kept row with each hash.
    seen: IdTable,
    /// Kept rows whose id hash an earlier kept row with another id has (as good as never).
    also_seen: Vec<(u64, u32, u32)>,
    /// The kept rows' ids, end to end, and where each ends.
    ids: String,
    id_ends: Vec<u32>,
}

impl Rows {
    /// `header_lines`: the newlines before the first data row.
    fn new(header_lines: usize, id_column: usize) -> Self {
        Self {
            problems: Vec::new(),
            read: 0,
            lines: header_lines + 1,
            id_column,
            seen: IdTable::default(),
            also_seen: Vec::new(),
            ids: String::new(),
            id_ends: Vec::new(),
        }
    }

    /// The id of kept row `i`.
    fn id(&self, i: u32) -> &str {
        let end = self.id_ends.get(i as usize).copied().unwrap_or(0) as usize;
        let start = i.checked_sub(1).and_then(|p| self.id_ends.get(p as usize)).copied().unwrap_or(0) as usize;
        self.ids.get(start..end).unwrap_or_default()
    }

    /// The line of the kept row with this id, if there is one.
    fn first_line(&self, hash: u64, id: &str) -> Option<usize> {
        let first = self.seen.first(hash).into_iter();
        let more = self.also_seen.iter().filter(|c| c.0 == hash).map(|c| (c.1, c.2));
        first.chain(more).find_map(|(index, line)| (self.id(index) == id).then_some(line as usize))
    }

    /// Takes the next piece (in file order): its problems and duplicates; gives back its sink
    /// and its kept rows with their ids.
    fn add<S: Sink>(&mut self, piece: Piece<S>) -> (S, Taken<S::Row>) {
        let base = self.lines - 1;
        let mut problems = piece.problems.into_iter().map(|mut p| {
            p.line += base;
            p
        });
        let mut taken = 0;
        let mut skipped = Vec::new();
        let mut duplicates = Vec::new();
        let mut id_start = 0;
        self.seen.reserve(self.seen.rows.len() + piece.rows.len());
        self.seen.touch(piece.rows.iter().map(|r| r.id_hash));
        for (k, row) in piece.rows.iter().enumerate() {
            let id = piece.ids.get(id_start..row.id_end as usize).unwrap_or_default();
            id_start = row.id_end as usize;
            self.problems.extend(problems.by_ref().take(row.problems_before - taken));
            taken = row.problems_before;
            let line = row.line + base;
            let index = self.id_ends.len() as u32;
            // One probe of the table for a new id (nearly every row).
            let first = if self.seen.insert(row.id_hash, index, line as u32) {
                None
            } else {
                let first = self.first_line(row.id_hash, id);
                if first.is_none() {
                    self.also_seen.push((row.id_hash, index, line as u32));
                }
                first
            };
            if let Some(first) = first {
                self.problems.push(RowProblem {
                    line,
                    col: self.id_column + 1,
                    message: format!("event_id_cnty: duplicate id `{id}` (first on line {first}; row skipped)"),
                    skipped: true,
                });
                duplicates.push(id.to_owned());
                skipped.push(k);
                continue;
            }
            self.ids.push_str(id);
            self.id_ends.push(self.ids.len() as u32);
        }
        self.problems.extend(problems);
        self.read += piece.rows_read;
        self.lines += piece.newlines;
        (piece.sink, Taken { rows: piece.rows, skipped, duplicates })
    }

    /// What the serial reader's summary would say.
    fn summary(self) -> AcledSummary {
        AcledSummary { features: self.id_ends.len(), problems: self.problems, rows_read: self.read }
    }
}

/// A packed record's feature: the record read through the header, as `import acled` writes
/// it and the GeoJSON loader reads that (the store's decoder for these layers).
fn decode(header: &Header, text: &str) -> Result<(Feature, FeatureLayout), String> {
    with_scratch(|reader, _| {
        if reader.next(text.as_bytes(), &mut 0).is_none() {
            return Err("an empty record".to_owned());
        }
        let fields: smallvec::SmallVec<[&str; 48]> =
            reader.fields().map(|f| std::str::from_utf8(f).unwrap_or_default()).collect();
        Ok(header.row(&fields).map_err(|p| p.message)?.into_model_feature())
    })
}

/// A packed record as a save writes its feature, without a value tree (the store's
/// [`crate::model::store::Encoder`] for these layers): the JSON `import acled` writes for the
/// row ([`super::acled::AcledRow::write_json`], which [`decode`] reads), in the form a save
/// gives the decoded feature ([`super::save_fast::canonical_feature`]).
fn encode(header: &Header, text: &str, out: &mut Vec<u8>) -> Option<FeatureLayout> {
    with_scratch(|reader, json| {
        reader.next(text.as_bytes(), &mut 0)?;
        let mut cells = smallvec::SmallVec::new();
        if reader.cells(&mut cells).is_some() {
            return None;
        }
        // The row as `import acled` writes it (`Header::row` then `write_json`, the same
        // bytes), without a value per cell.
        let core = header.check(&cells, 0, &mut Vec::new()).ok()?;
        json.clear();
        header.write_row_json(&cells, &core, json);
        super::save_fast::canonical_feature(std::str::from_utf8(json).ok()?, out)
    })
}

/// Runs `f` with this thread's record reader (reset, as new) and JSON buffer, reused from
/// record to record by [`decode`] and [`encode`]: a new reader builds `csv_core`'s state
/// machine and a 64 KiB field buffer, which cost more than reading the record (a million
/// decoded features spent two thirds of their time there).
fn with_scratch<R>(f: impl FnOnce(&mut RecordReader, &mut Vec<u8>) -> R) -> R {
    thread_local! {
        static SCRATCH: std::cell::RefCell<(RecordReader, Vec<u8>)> =
            std::cell::RefCell::new((RecordReader::new(), Vec::new()));
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => {
            let (reader, json) = &mut *scratch;
            reader.core.reset();
            f(reader, json)
        }
        // Only if `f` itself decoded a record: a reader of its own.
        Err(_) => f(&mut RecordReader::new(), &mut Vec::new()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader made of one record: its cells (or its first field that is not UTF-8),
    /// whether a line end ended it, and where the next starts.
    type Got = (Result<Vec<String>, usize>, bool, usize);

    /// Every record of `input` as `csv_core` alone reads them.
    fn by_core(input: &[u8]) -> Vec<Got> {
        let mut reader = RecordReader::new();
        let (mut pos, mut out) = (0, Vec::new());
        while let Some(terminated) = reader.next(input, &mut pos) {
            let mut cells = smallvec::SmallVec::new();
            let got = match reader.cells(&mut cells) {
                Some(i) => Err(i),
                None => Ok(cells.iter().map(|c| (*c).to_owned()).collect()),
            };
            out.push((got, terminated, pos));
        }
        out
    }

    /// Every record of `input` as [`RecordReader::read`] reads them (given `input` as text
    /// when `whole` and it is UTF-8); each plain record's text reads back (as the store's
    /// decoder reads it) to the same cells. The number read plainly.
    fn by_read(input: &[u8], whole: bool) -> (Vec<Got>, usize) {
        let mut reader = RecordReader::new();
        let (mut pos, mut out, mut plain) = (0, Vec::new(), 0);
        let mut scratch = String::new();
        let text = std::str::from_utf8(input).ok().filter(|_| whole);
        loop {
            let mut cells = smallvec::SmallVec::new();
            let Some(next) = reader.read(input, text, &mut pos, &mut scratch, &mut cells) else { break };
            let got = match next.bad_field {
                Some(i) => Err(i),
                None => Ok(cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()),
            };
            if let Some(text) = next.plain {
                plain += 1;
                let mut again = RecordReader::new();
                assert!(again.next(text.as_bytes(), &mut 0).is_some(), "{text:?}");
                let fields: Vec<String> = again.fields().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect();
                assert_eq!(Ok(fields), got, "{text:?} reads back otherwise");
            }
            out.push((got, next.terminated, pos));
        }
        (out, plain)
    }

    /// Found walking the app: a CSV of one block said "0 features" in its progress bar
    /// until it was loaded, the rows being counted only once taken. They count as soon as
    /// the block is parsed: while its rows are taken the progress already has them.
    #[test]
    fn a_block_counts_its_features_before_its_rows_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.csv");
        let rows = (0..300).map(|i| format!("TJK{i},2021-03-04,Battles,37.49,71.55\n"));
        let text: String = std::iter::once("event_id_cnty,event_date,event_type,latitude,longitude\n".to_owned())
            .chain(rows)
            .collect();
        std::fs::write(&path, text).unwrap();
        let progress = Progress::new();
        let mut seen = Vec::new();
        let read = stream_json(&path, &progress, BLOCK, |_| {
            seen.push(progress.snapshot().features);
            Ok(())
        });
        assert!(matches!(read, Read::Done(_)));
        assert_eq!(seen.len(), 300);
        assert!(seen.iter().all(|&n| n == 300), "counted while taken: {:?}", seen.first());
        assert_eq!(progress.snapshot().features, 300);
    }

    /// The store's decoder reuses one record reader per thread: a record decodes to the same
    /// feature whatever was decoded before it on the thread (a quoted record across lines,
    /// a short one, one with quotes inside), as on a thread that decoded nothing yet.
    #[test]
    fn a_record_decodes_the_same_whatever_was_decoded_before_it() {
        let head = "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,\
                    assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,\
                    country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,\
                    notes,fatalities,tags,timestamp\n";
        let records = [
            "TJK1,2021-03-04,2021,1,Political violence,Battles,Armed clash,A,,1,B,,2,12,,762,Caucasus and Central Asia,\
             Tajikistan,Gorno-Badakhshan,Shugnan,,Khorog,37.49,71.55,1,S,National,\
             \"Clash near Khorog, \"\"Shugnan\"\"\nsecond line\",2,,1618000000",
            "TJK2,2021-03-05,2021,1,Demonstrations,Riots,Mob violence,A,,5,,,0,50,,762,Caucasus and Central Asia,\
             Tajikistan,Khatlon,Panj,,Ayvoj,37.0,68.7,2,S,Local,,0,,1618000001",
            "AFG3,2020-12-31,2020,2,Demonstrations,Protests,Peaceful protest,P,,6,,,0,60,,4,Southern Asia,\
             Afghanistan,Badakhshan,Ishkashim,,Ishkashim,36.7,71.6,1,S,National,\"Ishkashim, \"\"Wakhan\"\"\",,,1618000002",
        ];
        let (header, _) = read_header(format!("{head}{}", records[0]).as_bytes(), "t.csv").unwrap();
        let alone: Vec<String> = records
            .iter()
            .map(|r| std::thread::scope(|s| s.spawn(|| format!("{:?}", decode(&header, r))).join().unwrap()))
            .collect();
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 0, 2]] {
            for i in order {
                assert_eq!(format!("{:?}", decode(&header, records[i])), alone[i], "{order:?}");
            }
        }
        assert!(alone.iter().all(|a| a.starts_with("Ok(")), "{alone:?}");
    }

    /// The store's decoder builds a CSV-loaded feature from the row's values. It gives what
    /// the GeoJSON loader read from the text `import acled` writes for the row (as it decoded
    /// before): the same properties in order, numbers with the same digits, the same id,
    /// geometry and layout — for ACLED's columns and others, text that needs escaping, empty
    /// cells, numbers written in every way a cell may, and extreme coordinates.
    #[test]
    fn a_record_decodes_as_the_loader_reads_its_imported_text() {
        let head = "event_id_cnty,event_date,year,time_precision,event_type,actor1,inter1,country,admin1,\
                    location,latitude,longitude,geo_precision,source,notes,fatalities,timestamp,\
                    score,code,label,\u{e9}t\u{e9}\n";
        let records = [
            "TJK1,2021-03-04,2021,1,Battles,A,1,Tajikistan,Gorno-Badakhshan,Khorog,37.49,71.55,1,S,\
             \"Clash near \"\"Khorog\"\"\nsecond\tline \\ \u{1}\",2,1618000000,1.50,007,\u{1F600},x",
            "TJK2,2021-03-05,2021,2,Riots,A,5,Tajikistan,Khatlon,Ayvoj,-89.999999,-179.5,2,S,,0,1618000001,\
             1e5,-0,,",
            "AFG3,2020-12-31,2020,3,Protests,P,6,Afghanistan,Badakhshan,Ishkashim,0,0,3,S,n,,,\
             -12345678901234567890,1.0E-7,\"a,b\",null",
            "AFG4,2020-01-01,2020,1,Protests,P,6,Afghanistan,Badakhshan,Wakhan,36.9999999999999,180,1,S,n,3,0,\
             0.1,+1,true,\"\"",
        ];
        let (header, _) = read_header(format!("{head}{}", records[0]).as_bytes(), "t.csv").unwrap();
        for record in records {
            let mut reader = RecordReader::new();
            assert!(reader.next(record.as_bytes(), &mut 0).is_some());
            let fields: Vec<&str> = reader.fields().map(|f| std::str::from_utf8(f).unwrap()).collect();
            let row = header.row(&fields).unwrap();
            let mut json = Vec::new();
            row.write_json(&mut json).unwrap();
            let text = String::from_utf8(json).unwrap();
            let expected = super::super::geojson_fast::decode_feature(&text).unwrap();
            let got = decode(&header, record).unwrap();
            assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{text}");
            let written = |(f, _): &(Feature, FeatureLayout)| {
                (serde_json::to_string(&f.geometry).unwrap(), serde_json::to_string(&f.properties).unwrap())
            };
            assert_eq!(written(&got), written(&expected), "{text}");
        }
    }

    #[test]
    fn records_read_plainly_are_read_as_csv_core_reads_them() {
        let row = "TJK000001,2017-07-24,2017,2,Political violence,\"Generated event, \"\"in\"\" Gorno\",,72.5\n";
        let typical = row.repeat(3);
        let (got, plain) = by_read(typical.as_bytes(), true);
        assert_eq!(got, by_core(typical.as_bytes()));
        assert_eq!(by_read(typical.as_bytes(), false), (got, plain));
        assert_eq!(plain, 2, "the records after the first are read plainly");
        // Random bytes from an alphabet of CSV's special bytes, text and broken UTF-8.
        let alphabet: [&[u8]; 14] = [
            b"a",
            b"bc",
            b",",
            b",",
            b"\"",
            b"\"",
            b"\r",
            b"\n",
            b"\n",
            b"\r\n",
            b" ",
            b"\xEF\xBB\xBF",
            b"\xFF",
            "é".as_bytes(),
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut plain_total = 0;
        for _ in 0..40_000 {
            let len = next() % 48;
            let mut input = Vec::new();
            for _ in 0..len {
                input.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            let (got, plain) = by_read(&input, true);
            assert_eq!(got, by_core(&input), "{:?}", String::from_utf8_lossy(&input));
            assert_eq!(by_read(&input, false), (got, plain), "{:?}", String::from_utf8_lossy(&input));
            plain_total += plain;
        }
        assert!(plain_total > 10_000, "only {plain_total} records read plainly");
    }

    #[test]
    fn a_rows_span_is_the_one_its_date_text_reads_as() {
        use crate::time::DateSpan;
        let mut day = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        let last = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        let mut days = vec![last, chrono::NaiveDate::from_ymd_opt(2020, 2, 29).unwrap()];
        while day < last {
            days.push(day);
            day = day + chrono::Days::new(97);
        }
        for day in days {
            let date = day.format("%Y-%m-%d").to_string();
            let core = RowCore {
                id: "X1",
                date: std::borrow::Cow::Borrowed(&date),
                day,
                lon: 0.0,
                lat: 0.0,
                plain: [false; 2],
            };
            for precision in [None, Some(0), Some(1), Some(2), Some(3), Some(4)] {
                // How the text reads: parsed, and widened by its precision when a single day.
                let want = DateSpan::parse(&date).map_err(|e| e.to_string()).and_then(|parsed| {
                    if parsed.start == parsed.end && matches!(precision, Some(2 | 3)) {
                        DateSpan::from_acled(&date, precision).map_err(|e| e.to_string())
                    } else {
                        Ok(parsed)
                    }
                });
                assert_eq!(row_span(&core, precision), want, "{date} at precision {precision:?}");
            }
        }
    }

    #[test]
    fn every_special_byte_is_found_in_order_from_anywhere() {
        // Bytes a borrow across bytes could mistake for specials (one above each), and others.
        let bytes = [b'a', b',', b'-', b'"', b'#', b'\n', 0x0B, b'\r', 0x0C, 0x80, 0x01, 0xFF, 0x00];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let input: Vec<u8> =
                (0..len).map(|i| bytes[((state >> (i % 50)) as usize + i * 7) % bytes.len()]).collect();
            for from in 0..=len {
                let want: Vec<usize> =
                    (from..len).filter(|&i| matches!(input[i], b',' | b'"' | b'\n' | b'\r')).collect();
                assert_eq!(Specials::starting(&input, from).collect::<Vec<_>>(), want, "{input:?} from {from}");
            }
        }
    }

    /// A piece of rows with the given ids, hashes and lines (lines from the piece's start).
    fn piece(rows: &[(&str, u64, usize)]) -> Piece<JsonSink> {
        let mut out = Piece {
            rows: Vec::new(),
            ids: String::new(),
            problems: Vec::new(),
            rows_read: rows.len(),
            newlines: rows.last().map_or(0, |r| r.2),
            sink: JsonSink { buf: Vec::new() },
            clean: true,
        };
        for (k, &(id, id_hash, line)) in rows.iter().enumerate() {
            out.ids.push_str(id);
            out.rows.push(Row { line, id_hash, id_end: out.ids.len() as u32, made: (k, k), problems_before: 0 });
        }
        out
    }

    #[test]
    fn ids_whose_hashes_collide_are_told_apart_and_duplicates_name_the_first_line() {
        let mut rows = Rows::new(1, 0);
        // Lines 2.. of the file: A, B (the same hash as A), A again, C.
        let (_, first) = rows.add(piece(&[("A", 7, 1), ("B", 7, 2), ("A", 7, 3), ("C", 9, 4)]));
        let (kept, duplicates) = first.split();
        assert_eq!(kept.collect::<Vec<_>>(), vec![(0, 0), (1, 1), (3, 3)]);
        assert_eq!(duplicates, vec!["A".to_owned()]);
        // The next piece (lines 6..): B and C again, D with A's hash, and D again.
        let (_, second) = rows.add(piece(&[("B", 7, 1), ("C", 9, 2), ("D", 7, 3), ("D", 7, 4)]));
        let (kept, duplicates) = second.split();
        assert_eq!(kept.collect::<Vec<_>>(), vec![(2, 2)]);
        assert_eq!(duplicates, vec!["B".to_owned(), "C".to_owned(), "D".to_owned()]);
        let summary = rows.summary();
        let messages: Vec<String> = summary.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "line 4, column 1: event_id_cnty: duplicate id `A` (first on line 2; row skipped)",
                "line 6, column 1: event_id_cnty: duplicate id `B` (first on line 3; row skipped)",
                "line 7, column 1: event_id_cnty: duplicate id `C` (first on line 5; row skipped)",
                "line 9, column 1: event_id_cnty: duplicate id `D` (first on line 8; row skipped)",
            ]
        );
        assert_eq!((summary.features, summary.rows_read), (4, 8));
    }

    #[test]
    fn the_id_table_finds_every_hash_it_holds_after_growing() {
        let mut table = IdTable::default();
        table.reserve(10);
        let hash = |i: u64| i.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ (i << 40);
        for i in 0..50_000u64 {
            assert!(table.insert(hash(i), i as u32, i as u32 + 2), "{i}");
        }
        for i in 0..50_000u64 {
            assert!(!table.insert(hash(i), 0, 0), "{i} twice");
            assert_eq!(table.first(hash(i)), Some((i as u32, i as u32 + 2)));
        }
        assert_eq!(table.first(hash(50_000)), None);
        // Hashes alike in their low half (the tag) but not whole.
        assert!(table.insert(hash(3) ^ (1 << 63), 9, 9));
        assert_eq!(table.first(hash(3)), Some((3, 5)));
    }
}
