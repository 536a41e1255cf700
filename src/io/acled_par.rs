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

use super::acled::{AcledSummary, Header, RowCore, RowProblem};
use super::geojson::Loaded;
use super::geojson_fast::FeaturePacker;
use super::progress::Progress;
use crate::model::store::{BlockWriter, PackedFeature};
use crate::model::{Feature, FeatureId, FeatureLayout, LayerKind, LayerSource, PropertiesForm};
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
    /// A sink for one piece.
    fn new(header: &Header) -> Self;
    /// One good row: its cells, what [`Header::check`] found, and its CSV record text.
    fn row(&mut self, header: &Header, cells: &[&str], core: &RowCore<'_>, raw: &str) -> Self::Row;
}

/// Loads the ACLED export at `path` (a regular file) into the columnar store; see the module
/// documentation. `block` is the read size ([`BLOCK`]; tests make it small).
pub fn load(path: &Path, progress: &Progress, block: usize) -> Outcome {
    let label = path.display().to_string();
    let mut packer: Option<FeaturePacker> = None;
    let layout = FeatureLayout::from_keys(["type", "geometry", "id", "properties"], PropertiesForm::Object);
    let read = read::<PackSink, _>(path, progress, block, |header, mut sink, rows| {
        let packer = packer.get_or_insert_with(|| {
            let decoding = Arc::clone(header);
            let decoder: crate::model::store::Decoder = Arc::new(move |text: &str| decode(&decoding, text));
            let mut packer = FeaturePacker::with_decoder(&label, LayerKind::Events, decoder);
            let encoding = Arc::clone(header);
            packer.set_encoder(Arc::new(move |text: &str, out: &mut Vec<u8>| encode(&encoding, text, out)));
            packer
        });
        let first_block = packer.add_blocks(std::mem::take(&mut sink.blocks).finish());
        for (id, row) in rows {
            let id = FeatureId::Str(id.into());
            let category = sink.categories.get(row.category as usize).map_or("", String::as_str);
            packer.push_prepared(first_block, row.feature, layout, category, Some(&id), row.date_problem);
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
            let problems = summary.problems.iter().map(|p| format!("{label}:{}:{}: {}", p.line, p.col, p.message));
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
    read::<JsonSink, _>(path, progress, block, |_, sink, rows| {
        for (_, (from, to)) in rows {
            each(sink.buf.get(from..to).unwrap_or_default()).map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// The read behind [`load`] and [`stream_json`]: `take` gets each piece's sink and its kept
/// rows (with their ids), piece after piece in file order.
fn read<S: Sink, F>(path: &Path, progress: &Progress, block: usize, mut take: F) -> Read
where
    F: FnMut(&Arc<Header>, S, Kept<S>) -> Result<(), String> + Send,
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
    let mut pending: Option<Vec<Piece<S>>> = None;
    let merge = |rows: &mut Rows, take: &mut F, pieces: Vec<Piece<S>>| -> Result<(), String> {
        for piece in pieces {
            let (sink, kept) = rows.add(piece);
            take(&header, sink, kept)?;
        }
        Ok(())
    };
    loop {
        let cut = if eof { Some(data.len()) } else { boundary_before_end(&data, start) };
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
        let pieces = pieces(body);
        let parse = || -> Vec<Piece<S>> {
            pieces
                .par_iter()
                .map(|&(a, b)| parse_piece(body.get(a..b).unwrap_or_default(), &header, eof && b == body.len()))
                .collect()
        };
        // The previous block's rows are taken in order on this thread while the other cores
        // parse this block.
        let (merged, outs) = match pending.take() {
            Some(prev) => rayon::join(|| merge(&mut rows, &mut take, prev), parse),
            None => (Ok(()), parse()),
        };
        if let Err(e) = merged {
            return Read::Failed(format!("{label}: {e}"));
        }
        progress.add_features(rows.kept_since_report());
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
        data.drain(..cut);
        start = 0;
        if let Err(e) = fill(&mut file, &mut data, block, &mut eof) {
            return failed(e);
        }
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
    progress.add_features(rows.kept_since_report());
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

/// Whether an odd number of quotes is in `bytes` (on every core; an XOR that vectorises).
fn odd_quotes(bytes: &[u8]) -> bool {
    bytes.par_chunks(1 << 20).map(|c| c.iter().fold(0u8, |a, &b| a ^ u8::from(b == b'"'))).reduce(|| 0, |a, b| a ^ b)
        == 1
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

/// A record boundary in the last sixteenth of `data` (after `start`, where a record starts), or
/// else the first one anywhere after `start`; `None` when no record ends in `data`.
fn boundary_before_end(data: &[u8], start: usize) -> Option<usize> {
    let body = data.get(start..)?;
    let from = body.len() - body.len() / 16;
    let odd = odd_quotes(body.get(..from)?);
    boundary_from(body, from, odd).or_else(|| boundary_from(body, 0, false)).map(|b| start + b)
}

/// `body` (starting at a record) cut at record boundaries into one piece per task: `(start, end)`.
fn pieces(body: &[u8]) -> Vec<(usize, usize)> {
    let tasks = (rayon::current_num_threads() * 4).max(1);
    let step = (body.len() / tasks).max(MIN_PIECE);
    let targets: Vec<usize> = (1..tasks).map(|k| k * step).filter(|&t| t < body.len()).collect();
    // Quote parity before each target, counted in parallel.
    let mut bounds = vec![0usize];
    bounds.extend(&targets);
    bounds.push(body.len());
    let odd: Vec<bool> = bounds.par_windows(2).map(|w| odd_quotes(body.get(w[0]..w[1]).unwrap_or_default())).collect();
    let mut parity = false;
    let mut cuts = vec![0usize];
    for (k, &t) in targets.iter().enumerate() {
        parity ^= odd.get(k).copied().unwrap_or(false);
        let last = cuts.last().copied().unwrap_or(0);
        if t < last {
            continue;
        }
        match boundary_from(body, t, parity) {
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
    /// Its id.
    id: Box<str>,
    /// What the sink made of it.
    made: R,
    /// How many of the piece's problems come before or with this row.
    problems_before: usize,
}

/// What a task made of one piece.
struct Piece<S: Sink> {
    rows: Vec<Row<S::Row>>,
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
    date_problem: Option<String>,
}

/// Packs a piece's record texts and reads each row's columns.
struct PackSink {
    blocks: BlockWriter,
    event_type: Option<usize>,
    precision: Option<usize>,
    /// The piece's event types, and where each is.
    categories: Vec<String>,
    names: HashMap<String, u32, rustc_hash::FxBuildHasher>,
}

impl Sink for PackSink {
    type Row = PackRow;

    fn new(header: &Header) -> Self {
        Self {
            blocks: BlockWriter::default(),
            event_type: header.known("event_type"),
            precision: header.known("time_precision"),
            categories: Vec::new(),
            names: HashMap::default(),
        }
    }

    fn row(&mut self, _: &Header, cells: &[&str], core: &RowCore<'_>, raw: &str) -> PackRow {
        // As `model::feature_span` reads an event: `time_precision` as a number (text that
        // parses as one included), 2 and 3 widening a day to its week or month.
        let precision = self.precision.and_then(|p| cells.get(p)).and_then(|t| t.trim().parse::<f64>().ok());
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "as feature_span casts it")]
        let precision = precision.map(|p| p as u8);
        // A day of the years `YYYY-MM-DD` spells reads back as that day: not parsed again.
        let plain_day = !matches!(precision, Some(2 | 3)) && (1..=9999).contains(&chrono::Datelike::year(&core.day));
        let span = if plain_day {
            Ok(crate::time::DateSpan::day(core.day))
        } else {
            crate::time::DateSpan::parse(&core.date).map_err(|e| e.to_string())
        };
        let span = span.and_then(|parsed| {
            if parsed.start == parsed.end && matches!(precision, Some(2 | 3)) {
                crate::time::DateSpan::from_acled(&core.date, precision).map_err(|e| e.to_string())
            } else {
                Ok(parsed)
            }
        });
        let (span, date_problem) = match span {
            Ok(span) => (Some(span), None),
            Err(why) => (None, Some(why)),
        };
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

/// Writes a piece's rows as the feature texts `import acled` writes.
struct JsonSink {
    buf: Vec<u8>,
}

impl Sink for JsonSink {
    /// Where the row's text is in `buf`.
    type Row = (usize, usize);

    fn new(_: &Header) -> Self {
        Self { buf: Vec::new() }
    }

    fn row(&mut self, header: &Header, cells: &[&str], _: &RowCore<'_>, _: &str) -> (usize, usize) {
        let start = self.buf.len();
        // The row was checked: it makes a row, and writing to a Vec does not fail.
        if let Ok(row) = header.row(cells) {
            let _ = row.write_json(&mut self.buf);
        }
        (start, self.buf.len())
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
}

impl RecordReader {
    fn new() -> Self {
        Self { core: csv_core::Reader::new(), out: vec![0; 64 * 1024], ends: vec![0; 64], len: 0 }
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

/// Parses one piece (which starts at a record); `last`: it ends the file.
fn parse_piece<S: Sink>(bytes: &[u8], header: &Header, last: bool) -> Piece<S> {
    let mut out =
        Piece { rows: Vec::new(), problems: Vec::new(), rows_read: 0, newlines: 0, sink: S::new(header), clean: true };
    let mut reader = RecordReader::new();
    let mut pos = 0;
    // Newlines counted so far, and where counting stopped.
    let (mut seen, mut counted) = (0usize, 0usize);
    let width = header.columns.len();
    loop {
        let start = pos;
        let Some(terminated) = reader.next(bytes, &mut pos) else { break };
        if !terminated && !last {
            out.clean = false;
            return out;
        }
        // The serial reader's line: newlines up to and including the record's first byte.
        let upto = (start + 1).min(bytes.len());
        seen += memchr::memchr_iter(b'\n', bytes.get(counted..upto).unwrap_or_default()).count();
        counted = counted.max(upto);
        let line = seen + 1;
        let mut cells: smallvec::SmallVec<[&str; 40]> = smallvec::SmallVec::with_capacity(width);
        let bad_field = reader.cells(&mut cells);
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
        // Made of valid UTF-8 fields and ASCII separators: UTF-8.
        let raw = std::str::from_utf8(bytes.get(start..pos).unwrap_or_default()).unwrap_or_default();
        let made = out.sink.row(header, &cells, &core, raw);
        out.rows.push(Row {
            line,
            id_hash: id_hasher().hash_one(core.id),
            id: core.id.into(),
            made,
            problems_before: out.problems.len(),
        });
    }
    out.newlines = seen + memchr::memchr_iter(b'\n', bytes.get(counted..).unwrap_or_default()).count();
    out
}

/// A piece's kept rows (not duplicates), with their ids.
type Kept<S> = Vec<(Box<str>, <S as Sink>::Row)>;

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
    /// Kept rows by id hash: (kept index, line).
    seen: HashMap<u64, (u32, u32), rustc_hash::FxBuildHasher>,
    /// Kept rows whose id hash an earlier kept row with another id has (as good as never).
    also_seen: Vec<(u64, u32, u32)>,
    /// The kept rows' ids, end to end, and where each ends.
    ids: String,
    id_ends: Vec<u32>,
    reported: usize,
}

impl Rows {
    /// `header_lines`: the newlines before the first data row.
    fn new(header_lines: usize, id_column: usize) -> Self {
        Self {
            problems: Vec::new(),
            read: 0,
            lines: header_lines + 1,
            id_column,
            seen: HashMap::default(),
            also_seen: Vec::new(),
            ids: String::new(),
            id_ends: Vec::new(),
            reported: 0,
        }
    }

    /// Rows kept since the last call.
    fn kept_since_report(&mut self) -> u64 {
        let n = self.id_ends.len() - self.reported;
        self.reported = self.id_ends.len();
        n as u64
    }

    /// The id of kept row `i`.
    fn id(&self, i: u32) -> &str {
        let end = self.id_ends.get(i as usize).copied().unwrap_or(0) as usize;
        let start = i.checked_sub(1).and_then(|p| self.id_ends.get(p as usize)).copied().unwrap_or(0) as usize;
        self.ids.get(start..end).unwrap_or_default()
    }

    /// The line of the kept row with this id, if there is one.
    fn first_line(&self, hash: u64, id: &str) -> Option<usize> {
        let first = self.seen.get(&hash).into_iter().copied();
        let more = self.also_seen.iter().filter(|c| c.0 == hash).map(|c| (c.1, c.2));
        first.chain(more).find_map(|(index, line)| (self.id(index) == id).then_some(line as usize))
    }

    /// Takes the next piece (in file order): its problems and duplicates; gives back its sink
    /// and its kept rows with their ids.
    fn add<S: Sink>(&mut self, piece: Piece<S>) -> (S, Kept<S>) {
        let base = self.lines - 1;
        let mut problems = piece.problems.into_iter().map(|mut p| {
            p.line += base;
            p
        });
        let mut taken = 0;
        let mut kept = Vec::with_capacity(piece.rows.len());
        for row in piece.rows {
            self.problems.extend(problems.by_ref().take(row.problems_before - taken));
            taken = row.problems_before;
            let line = row.line + base;
            let index = self.id_ends.len() as u32;
            // One probe of the table for a new id (nearly every row).
            let first = if let std::collections::hash_map::Entry::Vacant(slot) = self.seen.entry(row.id_hash) {
                slot.insert((index, line as u32));
                None
            } else {
                let first = self.first_line(row.id_hash, &row.id);
                if first.is_none() {
                    self.also_seen.push((row.id_hash, index, line as u32));
                }
                first
            };
            if let Some(first) = first {
                self.problems.push(RowProblem {
                    line,
                    col: self.id_column + 1,
                    message: format!("event_id_cnty: duplicate id `{}` (first on line {first}; row skipped)", row.id),
                    skipped: true,
                });
                continue;
            }
            self.ids.push_str(&row.id);
            self.id_ends.push(self.ids.len() as u32);
            kept.push((row.id, row.made));
        }
        self.problems.extend(problems);
        self.read += piece.rows_read;
        self.lines += piece.newlines;
        (piece.sink, kept)
    }

    /// What the serial reader's summary would say.
    fn summary(self) -> AcledSummary {
        AcledSummary { features: self.id_ends.len(), problems: self.problems, rows_read: self.read }
    }
}

/// A packed record's feature: the record read through the header, as `import acled` writes
/// it and the GeoJSON loader reads that (the store's decoder for these layers).
fn decode(header: &Header, text: &str) -> Result<(Feature, FeatureLayout), String> {
    let mut reader = RecordReader::new();
    if reader.next(text.as_bytes(), &mut 0).is_none() {
        return Err("an empty record".to_owned());
    }
    let fields: Vec<&str> = reader.fields().map(|f| std::str::from_utf8(f).unwrap_or_default()).collect();
    let row = header.row(&fields).map_err(|p| p.message)?;
    let mut json = Vec::with_capacity(text.len() * 2);
    row.write_json(&mut json).map_err(|e| e.to_string())?;
    super::geojson_fast::decode_feature(std::str::from_utf8(&json).map_err(|e| e.to_string())?)
}

/// A packed record as a save writes its feature, without a value tree (the store's
/// [`crate::model::store::Encoder`] for these layers): the JSON `import acled` writes for the
/// row ([`super::acled::AcledRow::write_json`], which [`decode`] reads), in the form a save
/// gives the decoded feature ([`super::save_fast::canonical_feature`]).
fn encode(header: &Header, text: &str, out: &mut Vec<u8>) -> Option<FeatureLayout> {
    thread_local! {
        /// A reader and a JSON buffer reused from record to record.
        static SCRATCH: std::cell::RefCell<(RecordReader, Vec<u8>)> =
            std::cell::RefCell::new((RecordReader::new(), Vec::new()));
    }
    SCRATCH.with(|scratch| {
        let Ok(mut scratch) = scratch.try_borrow_mut() else { return None };
        let (reader, json) = &mut *scratch;
        reader.core.reset();
        reader.next(text.as_bytes(), &mut 0)?;
        let mut cells = smallvec::SmallVec::new();
        if reader.cells(&mut cells).is_some() {
            return None;
        }
        let row = header.row(&cells).ok()?;
        json.clear();
        row.write_json(json).ok()?;
        super::save_fast::canonical_feature(std::str::from_utf8(json).ok()?, out)
    })
}
