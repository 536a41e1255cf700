//! ACLED CSV import: turns an ACLED export into GeoJSON point features.
//!
//! Columns are found by header **name** (trimmed, case-insensitive, UTF-8 BOM stripped), so
//! column order, extra columns and missing optional columns do not matter. Required:
//! [`REQUIRED_COLUMNS`]. Bad rows are reported as [`RowProblem`]s with their physical line
//! (1-based, the header is line 1; a quoted field with embedded newlines spans several lines and
//! the record's *first* line is reported) and skipped; the rest loads.
//!
//! Each feature is a `Point [longitude, latitude]` with `id` = `event_id_cnty` and properties
//! in ACLED's column order ([`ACLED_COLUMNS`]), then unknown extra columns (as strings, under
//! their header text). `event_date` is normalised to `YYYY-MM-DD`. Numeric columns
//! ([`NUMERIC_COLUMNS`]) become JSON numbers (an empty cell becomes `null`); text in `inter1`,
//! `inter2` or `interaction` (ACLED's newer exports spell these out) stays a string; other
//! non-numeric text in a numeric column is kept as a string and reported as a problem with
//! `skipped == false`.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use ::geojson::{Feature, Geometry, JsonObject, feature::Id};
use serde_json::{Number, Value};

use crate::time::{DateSpan, Precision};

/// ACLED's export columns, in export order.
pub const ACLED_COLUMNS: [&str; 31] = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
];

/// Columns a file must have to be imported.
pub const REQUIRED_COLUMNS: [&str; 5] = ["event_id_cnty", "event_date", "event_type", "latitude", "longitude"];

/// Columns written as JSON numbers.
pub const NUMERIC_COLUMNS: [&str; 11] = [
    "year",
    "time_precision",
    "inter1",
    "inter2",
    "interaction",
    "iso",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "timestamp",
];

/// Numeric columns whose text values are legitimate (newer ACLED exports) and kept silently.
const TEXT_OK_COLUMNS: [&str; 3] = ["inter1", "inter2", "interaction"];

/// The result of an import: the features that loaded and the problems found.
#[derive(Debug, Clone, Default)]
pub struct AcledImport {
    /// One point feature per good row, in file order.
    pub features: Vec<Feature>,
    /// Problems, in file order.
    pub problems: Vec<RowProblem>,
    /// Data rows read (excluding the header and blank lines).
    pub rows_read: usize,
}

impl AcledImport {
    /// Number of rows skipped because of a problem.
    pub fn rows_skipped(&self) -> usize {
        self.problems.iter().filter(|p| p.skipped).count()
    }
}

/// One problem in one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// Physical line (1-based) where the record starts.
    pub line: usize,
    /// 1-based column (position in the header); 0 when the problem concerns the whole row.
    pub col: usize,
    /// What is wrong, naming the column.
    pub message: String,
    /// Whether the row was skipped (otherwise it loaded with the value kept as text).
    pub skipped: bool,
}

impl RowProblem {
    /// `FILE:LINE:COL: message`, the file named by `label`; a problem of the whole row is at
    /// its first column (every command names a row's place alike).
    pub fn located(&self, label: &impl fmt::Display) -> String {
        format!("{label}:{}:{}: {}", self.line, self.col.max(1), self.message)
    }
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.col, self.message)
    }
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum AcledError {
    /// The file could not be opened or read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The header lacks required columns.
    #[error("{file}:1:1: not an ACLED export: missing column(s) {}", .columns.join(", "))]
    MissingColumns {
        /// The file.
        file: String,
        /// The missing column names.
        columns: Vec<String>,
    },
    /// Two header cells name the same column (trimmed, case-insensitive), so which one a
    /// value comes from would be a guess. One `FILE:1:COL` line per repeated cell.
    #[error("{}", duplicate_columns_message(file, columns))]
    DuplicateColumns {
        /// The file.
        file: String,
        /// Each repeated cell: its 1-based column, the name, and the 1-based column of its first use.
        columns: Vec<(usize, String, usize)>,
    },
    /// The CSV itself is unreadable at some point.
    #[error("`{file}` line {line}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// The line, 1-based.
        line: usize,
        /// What the CSV reader reported.
        message: String,
    },
}

/// Reads an ACLED export from disk (see [`parse_acled`]).
pub fn import_acled(path: &Path) -> Result<AcledImport, AcledError> {
    let label = path.display().to_string();
    let file = File::open(path).map_err(|source| AcledError::Io { path: label.clone(), source })?;
    parse_acled(BufReader::new(file), &label)
}

/// How one header column is used.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// Property key: the canonical ACLED name, or the header text of an extra column.
    key: String,
    /// Position in [`ACLED_COLUMNS`], or `None` for an extra column.
    known: Option<usize>,
    /// A known column written as a JSON number ([`NUMERIC_COLUMNS`]).
    numeric: bool,
    /// A numeric column whose text is kept without a problem ([`TEXT_OK_COLUMNS`]).
    text_ok: bool,
}

/// Column positions of the fields every row needs.
pub(crate) struct Required {
    /// `event_id_cnty`.
    pub id: usize,
    /// `event_date`.
    pub date: usize,
    /// `latitude`.
    pub lat: usize,
    /// `longitude`.
    pub lon: usize,
    /// `country`, when the export has it (a point outside the country it names is told).
    pub country: Option<usize>,
}

/// Reads an ACLED export from `reader`; `file_label` names it in messages.
pub fn parse_acled(reader: impl Read, file_label: &str) -> Result<AcledImport, AcledError> {
    let mut features = Vec::new();
    let summary = stream_acled(reader, file_label, |feature| {
        features.push(feature);
        Ok(())
    })
    .map_err(|e| match e {
        AcledStreamError::Input(e) => e,
        // Neither happens here: the closure above never fails, and the reader is the caller's.
        AcledStreamError::Output(source) => AcledError::Io { path: file_label.to_owned(), source },
        AcledStreamError::Read(e) => {
            AcledError::Io { path: file_label.to_owned(), source: std::io::Error::other(e.to_string()) }
        }
    })?;
    Ok(AcledImport { features, problems: summary.problems, rows_read: summary.rows_read })
}

/// What a streamed import found (the features themselves went to the caller one by one).
#[derive(Debug, Clone, Default)]
pub struct AcledSummary {
    /// Problems, in file order.
    pub problems: Vec<RowProblem>,
    /// Data rows read (excluding the header and blank lines).
    pub rows_read: usize,
    /// Features handed over.
    pub features: usize,
}

impl AcledSummary {
    /// Number of rows skipped because of a problem.
    pub fn rows_skipped(&self) -> usize {
        self.problems.iter().filter(|p| p.skipped).count()
    }
}

/// Why a streamed import stopped.
#[derive(Debug, thiserror::Error)]
pub enum AcledStreamError {
    /// The input cannot be imported (see [`AcledError`]).
    #[error(transparent)]
    Input(#[from] AcledError),
    /// The consumer of the features failed (a write, typically).
    #[error("{0}")]
    Output(std::io::Error),
    /// The file cannot be read (or is larger than [`crate::io::read`] allows).
    #[error(transparent)]
    Read(#[from] crate::io::read::ReadError),
}

/// An ACLED export opened for streaming ([`open_acled`]).
#[derive(Debug)]
pub struct AcledInput {
    file: std::io::Take<File>,
    path: std::path::PathBuf,
    limit: u64,
    regular: bool,
}

/// Opens the ACLED export at `path` to be read once, streamed, within the limits of
/// [`crate::io::read::read_input`] (a folder, a regular file over its cap and a pipe or device
/// that gives more than its cap are refused with the same messages).
pub fn open_acled(path: &Path) -> Result<AcledInput, crate::io::read::ReadError> {
    use crate::io::read::{MAX_FILE_BYTES, MAX_STREAM_BYTES, ReadError};
    let io = |source| ReadError::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(ReadError::Folder { path: path.to_owned() });
    }
    let regular = meta.is_file();
    if regular && meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            size_mb: crate::io::read::megabytes_over(meta.len()),
        });
    }
    let limit = if regular { MAX_FILE_BYTES } else { MAX_STREAM_BYTES };
    // One byte more than the cap, to tell a file at the cap from a larger one.
    Ok(AcledInput { file: file.take(limit + 1), path: path.to_owned(), limit, regular })
}

impl AcledInput {
    /// [`stream_acled`] on the file, named in messages as its path is displayed.
    pub fn stream(
        self,
        mut each: impl FnMut(Feature) -> std::io::Result<()>,
    ) -> Result<AcledSummary, AcledStreamError> {
        self.stream_rows(|row| each(row.into_feature()))
    }

    /// [`stream_acled_rows`] on the file, named in messages as its path is displayed.
    pub fn stream_rows(
        self,
        each: impl FnMut(AcledRow<'_>) -> std::io::Result<()>,
    ) -> Result<AcledSummary, AcledStreamError> {
        self.stream_rows_with(&crate::io::progress::Progress::new(), each)
    }

    /// [`AcledInput::stream_rows`] reporting the bytes read to `progress`.
    pub fn stream_rows_with(
        self,
        progress: &crate::io::progress::Progress,
        each: impl FnMut(AcledRow<'_>) -> std::io::Result<()>,
    ) -> Result<AcledSummary, AcledStreamError> {
        use crate::io::read::ReadError;
        let Self { file, path, limit, regular } = self;
        let count = std::cell::Cell::new(0u64);
        let reader = Counting { inner: file, count: &count, progress };
        let result = stream_acled_rows(reader, &path.display().to_string(), each);
        if count.get() > limit {
            return Err(if regular {
                ReadError::TooLarge { path, size_mb: crate::io::read::megabytes_over(count.get()) }
            } else {
                ReadError::EndlessStream { path }
            }
            .into());
        }
        result
    }
}

/// Whether the regular file at `path` starts with an ACLED header (`event_id_cnty` and
/// `event_date` among the first row's columns, as the CSV opener tells ACLED exports).
pub fn is_acled_file(path: &Path) -> bool {
    let Ok(file) = File::open(path) else { return false };
    let mut head = Vec::new();
    if file.take(64 * 1024).read_to_end(&mut head).is_err() {
        return false;
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(head.as_slice());
    let mut record = csv::StringRecord::new();
    if !reader.read_record(&mut record).unwrap_or(false) {
        return false;
    }
    let header: Vec<String> = record.iter().map(normalise).collect();
    is_acled_header(&header)
}

/// A reader that counts the bytes it gives.
struct Counting<'c, R> {
    inner: R,
    count: &'c std::cell::Cell<u64>,
    progress: &'c crate::io::progress::Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        self.progress.set_bytes_done(self.count.get());
        Ok(n)
    }
}

/// Reads an ACLED export from `reader` row by row, handing each good row's feature to `each`
/// as soon as it is read, in file order; never holds more than one row. Problems and
/// skipped rows are as [`parse_acled`] reports them.
pub fn stream_acled(
    reader: impl Read,
    file_label: &str,
    mut each: impl FnMut(Feature) -> std::io::Result<()>,
) -> Result<AcledSummary, AcledStreamError> {
    stream_acled_rows(reader, file_label, |row| each(row.into_feature()))
}

/// [`stream_acled`] handing over each good row as an [`AcledRow`], which
/// [`GeoJsonWriter::row`] writes without building the [`Feature`] first.
pub fn stream_acled_rows(
    reader: impl Read,
    file_label: &str,
    mut each: impl FnMut(AcledRow<'_>) -> std::io::Result<()>,
) -> Result<AcledSummary, AcledStreamError> {
    let newlines = Rc::new(RefCell::new(VecDeque::new()));
    let mut lines = LineCounter { newlines: Rc::clone(&newlines), passed: 0 };
    let tracker = NewlineTracker { inner: reader, offset: 0, newlines };
    let mut csv =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 16).from_reader(tracker);
    let mut record = csv::StringRecord::new();
    let csv_error = |e: &csv::Error| AcledError::Csv {
        file: file_label.to_owned(),
        line: e.position().map_or(1, |p| usize::try_from(p.line()).unwrap_or(usize::MAX)),
        message: e.to_string(),
    };
    let has_header = csv.read_record(&mut record).map_err(|e| match e.kind() {
        csv::ErrorKind::Io(_) => {
            AcledError::Io { path: file_label.to_owned(), source: std::io::Error::other(e.to_string()) }
        }
        _ => csv_error(&e),
    })?;
    if !has_header {
        return Err(AcledStreamError::Input(AcledError::MissingColumns {
            file: file_label.to_owned(),
            columns: REQUIRED_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        }));
    }
    let Header { columns, order, required, .. } = Header::read(&record, file_label)?;

    let mut out = AcledSummary::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if let csv::ErrorKind::Utf8 { pos, err } = e.kind() {
                    out.rows_read += 1;
                    let line = pos.as_ref().map_or(0, |p| lines.line_at(p.byte()));
                    let col = err.field() + 1;
                    out.problems.push(RowProblem {
                        line,
                        col,
                        message: format!("{}: not valid UTF-8 (row skipped)", column_name(&columns, col - 1)),
                        skipped: true,
                    });
                    continue;
                }
                return Err(csv_error(&e).into());
            }
        }
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        out.rows_read += 1;
        let cells: Vec<&str> = record.iter().collect();
        match row_values(&cells, &columns, &order, &required, line, &mut out.problems) {
            Err(problem) => out.problems.push(problem),
            Ok(row) => {
                let id = record.get(required.id).unwrap_or_default().trim().to_owned();
                if let Some(first) = seen.get(&id) {
                    out.problems.push(RowProblem {
                        line,
                        col: required.id + 1,
                        message: format!("event_id_cnty: duplicate id `{id}` (first on line {first}; row skipped)"),
                        skipped: true,
                    });
                } else {
                    seen.insert(id, line);
                    each(row).map_err(AcledStreamError::Output)?;
                    out.features += 1;
                }
            }
        }
    }
    Ok(out)
}

/// What an export's header says: its columns, the property order and the required columns.
pub(crate) struct Header {
    /// Every column, in file order.
    pub columns: Vec<Column>,
    /// Property order: known columns in ACLED order, then extras in file order.
    pub order: Vec<usize>,
    /// Where the required columns are.
    pub required: Required,
    /// What goes before each property's value, in property order: its key as JSON and a
    /// colon, after a comma but for the first (written once, not for every row).
    property_heads: Vec<Box<[u8]>>,
    /// How each property's value is written, in property order (see [`Header::write_row_json`]).
    property_kinds: Vec<PropertyKind>,
}

/// How [`Header::write_row_json`] writes a property's value, decided once per column as
/// [`cell_scalar`] decides it for every cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PropertyKind {
    /// The row's checked date.
    Date,
    /// The row's checked id.
    Id,
    /// The longitude or latitude column (0 and 1: the position's number written first).
    Coordinate(usize),
    /// Another numeric column.
    Number,
    /// Text as it stands.
    Text,
}

impl Header {
    /// Reads the header row; refuses duplicate and missing columns.
    pub(crate) fn read(record: &csv::StringRecord, file_label: &str) -> Result<Self, AcledError> {
        let duplicates = duplicate_columns(record);
        if !duplicates.is_empty() {
            return Err(AcledError::DuplicateColumns { file: file_label.to_owned(), columns: duplicates });
        }
        let columns = header_columns(record);
        let required = find_required(&columns, file_label)?;
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by_key(|&i| columns.get(i).map_or((1, i), |c| c.known.map_or((1, i), |k| (0, k))));
        let property_heads = order
            .iter()
            .filter_map(|&i| columns.get(i))
            .enumerate()
            .map(|(k, column)| {
                let mut head = if k == 0 { Vec::new() } else { b",".to_vec() };
                // Writing to a Vec does not fail.
                let _ = Scalar::Str(&column.key).write_json(&mut head);
                head.push(b':');
                head.into_boxed_slice()
            })
            .collect();
        let property_kinds = order
            .iter()
            .map(|&i| match i {
                _ if i == required.date => PropertyKind::Date,
                _ if i == required.id => PropertyKind::Id,
                _ if !columns.get(i).is_some_and(|c| c.numeric) => PropertyKind::Text,
                _ if i == required.lon => PropertyKind::Coordinate(0),
                _ if i == required.lat => PropertyKind::Coordinate(1),
                _ => PropertyKind::Number,
            })
            .collect();
        Ok(Self { columns, order, required, property_heads, property_kinds })
    }

    /// The key of column `i`, or "column N".
    pub(crate) fn column_name(&self, i: usize) -> String {
        column_name(&self.columns, i)
    }

    /// Checks a row (see [`row_check`]).
    pub(crate) fn check<'r>(
        &self,
        cells: &[&'r str],
        line: usize,
        problems: &mut Vec<RowProblem>,
    ) -> Result<RowCore<'r>, RowProblem> {
        row_check(cells, &self.columns, &self.order, &self.required, line, problems)
    }

    /// The column index of the known ACLED column `name`.
    pub(crate) fn known(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.known.is_some() && c.key == name)
    }

    /// A good row as the [`AcledRow`] [`GeoJsonWriter::row`] writes (`problems` get nothing
    /// new: they were reported when the row was first read).
    pub(crate) fn row<'h>(&'h self, cells: &[&str]) -> Result<AcledRow<'h>, RowProblem> {
        row_values(cells, &self.columns, &self.order, &self.required, 0, &mut Vec::new())
    }

    /// Writes a good row (`core` from [`Self::check`] on its `cells`) as
    /// [`AcledRow::write_json`] writes [`Self::row`]'s, without making it: no value is built
    /// or checked again (building them was a fifth of `import acled`).
    ///
    /// Two shortcuts give the bytes [`cell_scalar`]'s value would, without parsing and
    /// formatting it again: a numeric cell that is a plain whole number is written as it
    /// stands (what `itoa` writes of the `i64` it parses to), and a `longitude` or `latitude`
    /// cell that is a plain decimal fraction is the position's number, written by
    /// [`write_point_feature`] already: its digits are copied from the geometry.
    pub(crate) fn write_row_json(&self, cells: &[&str], core: &RowCore<'_>, out: &mut Vec<u8>) {
        let start = out.len();
        // Writing to a Vec does not fail.
        let _ = write_point_feature(out, [core.lon, core.lat], core.id, |out| {
            let position = point_digits(out, start);
            let properties = self.order.iter().zip(&self.property_heads).zip(&self.property_kinds);
            for ((&i, head), &kind) in properties {
                out.extend_from_slice(head);
                let text = cells.get(i).copied().unwrap_or_default();
                match kind {
                    PropertyKind::Date => Scalar::Str(&core.date).write_json(out)?,
                    PropertyKind::Id => Scalar::Str(core.id).write_json(out)?,
                    PropertyKind::Text => Scalar::Str(text).write_json(out)?,
                    PropertyKind::Coordinate(k) => {
                        if core.plain[k] {
                            out.extend_from_within(position[k].clone());
                        } else {
                            Scalar::from(cell_scalar(cells, &self.columns, &self.required, core, i)).write_json(out)?;
                        }
                    }
                    PropertyKind::Number => {
                        let t = text.trim();
                        if plain_integer(t) {
                            out.extend_from_slice(t.as_bytes());
                        } else {
                            Scalar::from(cell_scalar(cells, &self.columns, &self.required, core, i)).write_json(out)?;
                        }
                    }
                }
            }
            Ok(())
        });
    }
}

/// Wraps the input and records the byte offset of every `\n` it passes to the CSV reader.
///
/// `csv::Position::line()` miscounts with CRLF line ends (it is taken between the `\r` and the
/// `\n`), so physical lines are computed here from the record's byte offset instead.
struct NewlineTracker<R> {
    inner: R,
    offset: u64,
    newlines: Rc<RefCell<VecDeque<u64>>>,
}

impl<R: Read> Read for NewlineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut queue = self.newlines.borrow_mut();
        for (i, &b) in buf.iter().take(n).enumerate() {
            if b == b'\n' {
                queue.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Turns record byte offsets (non-decreasing) into 1-based physical lines.
struct LineCounter {
    newlines: Rc<RefCell<VecDeque<u64>>>,
    /// Newlines already popped (all before earlier records).
    passed: usize,
}

impl LineCounter {
    /// The line of a record starting at `byte`. A record never starts on a `\n`, so a newline
    /// at `byte` itself is the one csv's CRLF handling points at and counts as passed.
    fn line_at(&mut self, byte: u64) -> usize {
        let mut queue = self.newlines.borrow_mut();
        while queue.front().is_some_and(|&nl| nl <= byte) {
            queue.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

/// Whether a CSV's normalised header names an ACLED export (`event_id_cnty` and
/// `event_date` among its columns): the one test File → Open and the loaders share.
pub fn is_acled_header(header: &[String]) -> bool {
    header.iter().any(|h| h == "event_id_cnty") && header.iter().any(|h| h == "event_date")
}

/// Normalised header name: BOM stripped, trimmed, lower case.
pub(crate) fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// Header cells whose name (trimmed, case-insensitive, BOM stripped) an earlier cell already
/// has: `(column, name, first column)`, 1-based. Empty cells are not names and may repeat.
pub fn duplicate_columns<'h>(header: impl IntoIterator<Item = &'h str>) -> Vec<(usize, String, usize)> {
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, raw) in header.into_iter().enumerate() {
        let name = normalise(raw);
        if name.is_empty() {
            continue;
        }
        match first.get(&name) {
            Some(&at) => out.push((i + 1, raw.trim_start_matches('\u{feff}').trim().to_owned(), at)),
            None => {
                first.insert(name, i + 1);
            }
        }
    }
    out
}

/// One `FILE:1:COL: duplicate column ...` line per repeated header cell (see
/// [`duplicate_columns`]), for this reader and the point CSV reader.
pub fn duplicate_columns_message(file: &str, columns: &[(usize, String, usize)]) -> String {
    let lines: Vec<String> = columns
        .iter()
        .map(|(col, name, first)| {
            format!(
                "{file}:1:{col}: duplicate column `{name}` (also column {first}): which one is meant is \
                 ambiguous; rename or remove one"
            )
        })
        .collect();
    lines.join("\n")
}

fn header_columns(header: &csv::StringRecord) -> Vec<Column> {
    let mut taken: Vec<String> = Vec::new();
    header
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let norm = normalise(raw);
            let known = ACLED_COLUMNS.iter().position(|c| *c == norm);
            let mut key = match known {
                Some(k) => ACLED_COLUMNS.get(k).map_or(norm.clone(), |c| (*c).to_owned()),
                None => raw.trim_start_matches('\u{feff}').trim().to_owned(),
            };
            let duplicate = taken.contains(&key);
            if duplicate || key.is_empty() {
                key = format!("{key}_{}", i + 1);
            }
            taken.push(key.clone());
            let known = if duplicate { None } else { known };
            let numeric = known.is_some() && NUMERIC_COLUMNS.contains(&key.as_str());
            Column { text_ok: numeric && TEXT_OK_COLUMNS.contains(&key.as_str()), key, known, numeric }
        })
        .collect()
}

fn find_required(columns: &[Column], file: &str) -> Result<Required, AcledError> {
    let find = |name: &str| columns.iter().position(|c| c.known.is_some() && c.key == name);
    let missing: Vec<String> = REQUIRED_COLUMNS.iter().filter(|c| find(c).is_none()).map(|c| (*c).to_owned()).collect();
    match (find("event_id_cnty"), find("event_date"), find("latitude"), find("longitude")) {
        (Some(id), Some(date), Some(lat), Some(lon)) if missing.is_empty() => {
            Ok(Required { id, date, lat, lon, country: find("country") })
        }
        _ => Err(AcledError::MissingColumns { file: file.to_owned(), columns: missing }),
    }
}

fn column_name(columns: &[Column], index: usize) -> String {
    columns.get(index).map_or_else(|| format!("column {}", index + 1), |c| c.key.clone())
}

fn skip(line: usize, col: usize, message: String) -> RowProblem {
    RowProblem { line, col, message, skipped: true }
}

/// Parses a coordinate in `min..=max`; also whether the text is a plain decimal fraction
/// (digits, a point and digits, [`plain_decimal`]): then the number a property of it is written
/// as is the one the position is (see [`Header::write_row_json`]).
fn coordinate(text: &str, min: f64, max: f64) -> Option<(f64, bool)> {
    let t = text.trim();
    let plain = plain_decimal(t);
    let v = plain.or_else(|| t.parse::<f64>().ok()).filter(|v| v.is_finite() && (min..=max).contains(v))?;
    Some((v, plain.is_some() && t.contains('.')))
}

/// `text` as a number when it is a plain decimal (`-?D+(.D+)?` with at most 15 digits): the
/// value `str::parse` gives, without its general parse. The digits make an integer below
/// 2^53 and the divisor a power of ten below 10^16, both exact in an `f64`, so their quotient
/// is the correctly rounded value of the text (Clinger's fast path). `None` for other text.
fn plain_decimal(text: &str) -> Option<f64> {
    const POWERS: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || whole.len() + fraction.len() > 15 || (digits.contains('.') && fraction.is_empty()) {
        return None;
    }
    let mut mantissa: u64 = 0;
    for &d in whole.as_bytes().iter().chain(fraction.as_bytes()) {
        if !d.is_ascii_digit() {
            return None;
        }
        mantissa = mantissa * 10 + u64::from(d - b'0');
    }
    let value = mantissa as f64 / POWERS.get(fraction.len())?;
    Some(if negative { -value } else { value })
}

/// One good row of an ACLED export: its feature's id, position and properties (in
/// property order), ready to be written ([`GeoJsonWriter::row`]) or made a [`Feature`].
#[derive(Debug, Clone)]
pub struct AcledRow<'c> {
    columns: &'c [Column],
    id: String,
    lon: f64,
    lat: f64,
    /// `(column, value)` in property order.
    values: Vec<(usize, Value)>,
}

impl AcledRow<'_> {
    /// The row as a GeoJSON point feature.
    pub fn into_feature(self) -> Feature {
        let properties = properties(self.columns, self.values);
        Feature {
            bbox: None,
            geometry: Some(Geometry::new_point([self.lon, self.lat])),
            id: Some(Id::String(self.id)),
            properties: Some(properties),
            foreign_members: None,
        }
    }

    /// The row as the store's feature and layout: what the GeoJSON loader gives for the text
    /// [`AcledRow::write_json`] writes, built from the values without writing and parsing
    /// that text (half the cost of decoding a feature of a CSV-loaded layer).
    pub(crate) fn into_model_feature(self) -> (crate::model::Feature, crate::model::FeatureLayout) {
        let properties = properties(self.columns, self.values);
        // Numbers from `f64`s keep the digits `serde_json` writes for them (`ryu`), the text
        // the loader reads back.
        let mut geometry = serde_json::Map::with_capacity(2);
        geometry.insert("type".to_owned(), Value::String("Point".to_owned()));
        geometry.insert("coordinates".to_owned(), Value::Array(vec![Value::from(self.lon), Value::from(self.lat)]));
        let feature = crate::model::Feature {
            id: Some(crate::model::FeatureId::Str(self.id)),
            geometry: Some(Value::Object(geometry)),
            properties,
            foreign_members: serde_json::Map::new(),
            shape: crate::spatial::Shape::from_geo(None),
            time: None,
        };
        // The members in the order `write_point_feature` writes them.
        let layout = crate::model::FeatureLayout::from_keys(
            ["type", "geometry", "id", "properties"],
            crate::model::PropertiesForm::Object,
        );
        (feature, layout)
    }

    /// Writes the feature as `serde_json` writes [`AcledRow::into_feature`]'s: the same bytes.
    pub(crate) fn write_json<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        write_point_feature(out, [self.lon, self.lat], &self.id, |out| {
            let mut first = true;
            for (i, value) in &self.values {
                let Some(column) = self.columns.get(*i) else {
                    continue;
                };
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                Scalar::Str(&column.key).write_json(out)?;
                out.write_all(b":")?;
                Scalar::Json(value).write_json(out)?;
            }
            Ok(())
        })
    }
}

/// A row's properties in property order, keyed by their columns.
fn properties(columns: &[Column], values: Vec<(usize, Value)>) -> JsonObject {
    let mut properties = JsonObject::with_capacity(values.len());
    for (i, value) in values {
        if let Some(column) = columns.get(i) {
            properties.insert(column.key.clone(), value);
        }
    }
    properties
}

/// Writes a point feature as `serde_json` writes a [`Feature`] with this position and string
/// id, its properties written by `properties`: the frame of [`AcledRow::write_json`] and
/// [`Header::write_row_json`].
fn write_point_feature<W: std::io::Write>(
    out: &mut W,
    [lon, lat]: [f64; 2],
    id: &str,
    properties: impl FnOnce(&mut W) -> std::io::Result<()>,
) -> std::io::Result<()> {
    out.write_all(POINT_HEAD)?;
    Scalar::Float(lon).write_json(out)?;
    out.write_all(b",")?;
    Scalar::Float(lat).write_json(out)?;
    out.write_all(b"]},\"id\":")?;
    Scalar::Str(id).write_json(out)?;
    out.write_all(b",\"properties\":{")?;
    properties(out)?;
    out.write_all(b"}}")
}

/// Where [`write_point_feature`], writing from `start` of `out`, wrote the longitude's and the
/// latitude's digits.
fn point_digits(out: &[u8], start: usize) -> [std::ops::Range<usize>; 2] {
    let lon = start + POINT_HEAD.len();
    let written = out.get(lon..).unwrap_or_default();
    let comma = written.iter().position(|&b| b == b',').map_or(lon, |k| lon + k);
    let end = written.iter().position(|&b| b == b']').map_or(comma, |k| lon + k);
    [lon..comma, (comma + 1).min(end)..end]
}

/// Whether `text` is a whole number `itoa` writes as it stands once parsed to an `i64`: an
/// optional minus and at most 18 digits, without a leading zero (`0` itself but not `-0`).
fn plain_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text).as_bytes();
    match digits {
        [b'0'] => digits.len() == text.len(),
        [first, ..] => *first != b'0' && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit),
        [] => false,
    }
}

/// How [`write_point_feature`] begins, up to the longitude's digits.
const POINT_HEAD: &[u8] = b"{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[";

/// The values of a row, written by `serde_json` exactly as inside a [`Feature`].
enum Scalar<'v> {
    Null,
    Int(i64),
    Float(f64),
    Str(&'v str),
    Json(&'v Value),
}

impl<'v> From<CellScalar<'v>> for Scalar<'v> {
    fn from(cell: CellScalar<'v>) -> Self {
        match cell {
            CellScalar::Null => Self::Null,
            CellScalar::Int(v) => Self::Int(v),
            CellScalar::Float(v) => Self::Float(v),
            CellScalar::Str(v) => Self::Str(v),
        }
    }
}

impl Scalar<'_> {
    fn write_json<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        let text = match self {
            Self::Str(v) => Some(*v),
            Self::Json(Value::String(v)) => Some(v.as_str()),
            Self::Null | Self::Int(_) | Self::Float(_) | Self::Json(_) => None,
        };
        if let Some(text) = text
            && !needs_escape(text)
        {
            out.write_all(b"\"")?;
            out.write_all(text.as_bytes())?;
            return out.write_all(b"\"");
        }
        match self {
            Self::Null => out.write_all(b"null"),
            // The digits `serde_json` writes for a `Number` made from it.
            Self::Int(v) => out.write_all(itoa::Buffer::new().format(*v).as_bytes()),
            Self::Float(v) => serde_json::to_writer(out, v).map_err(std::io::Error::other),
            Self::Str(v) => serde_json::to_writer(out, v).map_err(std::io::Error::other),
            Self::Json(v) => serde_json::to_writer(out, v).map_err(std::io::Error::other),
        }
    }
}

/// Whether `serde_json` writes `text` other than between two quotes as it is: it has a
/// quote, a backslash or a control character (looked for 16 bytes at a time).
fn needs_escape(text: &str) -> bool {
    text.as_bytes()
        .chunks(16)
        .any(|chunk| chunk.iter().fold(0u8, |any, &b| any | u8::from(b < 0x20 || b == b'"' || b == b'\\')) != 0)
}

/// What every good row has, checked: its id, normalised date and position.
pub(crate) struct RowCore<'r> {
    /// `event_id_cnty`, trimmed.
    pub id: &'r str,
    /// `event_date` as `YYYY-MM-DD` (the cell itself when it is written so).
    pub date: std::borrow::Cow<'r, str>,
    /// `event_date`, the day `date` names.
    pub day: chrono::NaiveDate,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Whether the longitude's and the latitude's cells are plain decimal fractions, read
    /// exactly ([`coordinate`]).
    pub plain: [bool; 2],
}

/// Checks a row's cells as [`row_values`] does (the same skips and the same problems, pushed
/// to `problems` in the same order) without building its values.
pub(crate) fn row_check<'r>(
    record: &[&'r str],
    columns: &[Column],
    order: &[usize],
    req: &Required,
    line: usize,
    problems: &mut Vec<RowProblem>,
) -> Result<RowCore<'r>, RowProblem> {
    if record.len() != columns.len() {
        return Err(skip(line, 0, format!("{} fields, expected {} (row skipped)", record.len(), columns.len())));
    }
    let cell = |i: usize| record.get(i).copied().unwrap_or_default();
    let id = cell(req.id).trim();
    if id.is_empty() {
        return Err(skip(line, req.id + 1, "event_id_cnty: missing event id (row skipped)".to_owned()));
    }
    let plain = plain_iso_day(cell(req.date));
    let (date, day) = match plain.map_or_else(|| DateSpan::parse(cell(req.date)), Ok) {
        // A plain day is written as `iso_day` writes it.
        Ok(span) if plain.is_some() => (std::borrow::Cow::Borrowed(cell(req.date)), span.start),
        Ok(span) if span.precision == Precision::Day => (std::borrow::Cow::Owned(iso_day(span.start)), span.start),
        Ok(_) => {
            return Err(skip(
                line,
                req.date + 1,
                format!("event_date: `{}` is not a single day (row skipped)", cell(req.date).trim()),
            ));
        }
        Err(e) => {
            return Err(skip(line, req.date + 1, format!("event_date: {e} (row skipped)")));
        }
    };
    let (lat, lat_plain) = coordinate(cell(req.lat), -90.0, 90.0).ok_or_else(|| {
        skip(
            line,
            req.lat + 1,
            format!("latitude: `{}` is not a number between -90 and 90 (row skipped)", cell(req.lat)),
        )
    })?;
    let (lon, lon_plain) = coordinate(cell(req.lon), -180.0, 180.0).ok_or_else(|| {
        skip(
            line,
            req.lon + 1,
            format!("longitude: `{}` is not a number between -180 and 180 (row skipped)", cell(req.lon)),
        )
    })?;

    let country = req.country.map(cell);
    if let Some(inside) = crate::geodata::swapped_into(lon, lat, country) {
        problems.push(RowProblem {
            line,
            col: req.lat + 1,
            message: swapped_message(lat, lon, country, inside),
            skipped: false,
        });
    }

    for &i in order {
        let Some(column) = columns.get(i) else {
            continue;
        };
        // The date and id are not numbers, and the coordinates were read as numbers above.
        if i == req.lat || i == req.lon {
            continue;
        }
        if i != req.date && i != req.id && column.numeric && !column.text_ok && !is_number(cell(i)) {
            problems.push(RowProblem {
                line,
                col: i + 1,
                message: format!("{}: `{}` is not a number (kept as text)", column.key, cell(i).trim()),
                skipped: false,
            });
        }
    }
    Ok(RowCore { id, date, day, lon, lat, plain: [lon_plain, lat_plain] })
}

/// The words for a point that looks written with its latitude and longitude swapped (see
/// [`crate::geodata::swapped_into`]): `country` the row's own, if it names one; `inside` the
/// country the swapped point lies in. The point is kept as written: coordinates are facts,
/// and only the analyst can say which way round they are.
pub(crate) fn swapped_message(lat: f64, lon: f64, country: Option<&str>, inside: &str) -> String {
    let named = country.map(str::trim).is_some_and(|c| c.eq_ignore_ascii_case(inside));
    let (outside, swapped) = if named {
        (format!("outside {inside} (the row's `country`)"), "inside it".to_owned())
    } else {
        ("far from the frontier this map shows".to_owned(), format!("in {inside}"))
    };
    format!(
        "latitude {lat} and longitude {lon} look swapped: that point is {outside}, the swapped one {swapped} (kept as written)"
    )
}

/// The day `text` names when it is exactly `YYYY-MM-DD` (a calendar day): the span
/// [`DateSpan::parse`] gives such text, without its general parse. `None` for any other text.
fn plain_iso_day(text: &str) -> Option<DateSpan> {
    let b = text.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b.get(range)?.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?).map(DateSpan::day)
}

/// `day` as chrono's `%Y-%m-%d` writes it (without its formatting machinery for the usual years).
fn iso_day(day: chrono::NaiveDate) -> String {
    use chrono::Datelike as _;
    match u32::try_from(day.year()) {
        Ok(year) if year <= 9999 => {
            let mut out = String::with_capacity(10);
            let digits = [
                year / 1000,
                year / 100 % 10,
                year / 10 % 10,
                year % 10,
                10,
                day.month() / 10,
                day.month() % 10,
                10,
                day.day() / 10,
                day.day() % 10,
            ];
            for d in digits {
                out.push(char::from_digit(d, 10).unwrap_or('-'));
            }
            out
        }
        _ => day.format("%Y-%m-%d").to_string(),
    }
}

/// Whether a numeric cell of `text` is a number or null in [`cell_value`] (not text).
fn is_number(text: &str) -> bool {
    // The usual cell, a few plain digits: a whole number `i64` takes (18 digits are below
    // 2^63), without trimming or parsing.
    let digits = text.as_bytes();
    if !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let t = text.trim();
    t.is_empty() || t.parse::<i64>().is_ok() || t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A row's cell `i` as its property value (`core` from [`row_check`] on the same row).
pub(crate) fn cell_value(record: &[&str], columns: &[Column], req: &Required, core: &RowCore<'_>, i: usize) -> Value {
    match cell_scalar(record, columns, req, core, i) {
        CellScalar::Null => Value::Null,
        CellScalar::Int(v) => Value::Number(v.into()),
        CellScalar::Float(v) => Number::from_f64(v).map_or(Value::Null, Value::Number),
        CellScalar::Str(v) => Value::String(v.to_owned()),
    }
}

/// A row's property value as [`cell_value`] makes it, without building it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CellScalar<'r> {
    /// An empty numeric cell.
    Null,
    /// A numeric cell that is an integer.
    Int(i64),
    /// A numeric cell that is another finite number.
    Float(f64),
    /// Text.
    Str(&'r str),
}

/// A row's cell `i` as [`cell_value`] makes it (see [`CellScalar`]).
pub(crate) fn cell_scalar<'r>(
    record: &[&'r str],
    columns: &[Column],
    req: &Required,
    core: &'r RowCore<'r>,
    i: usize,
) -> CellScalar<'r> {
    let text = record.get(i).copied().unwrap_or_default();
    if i == req.date {
        CellScalar::Str(&core.date)
    } else if i == req.id {
        CellScalar::Str(core.id)
    } else if columns.get(i).is_some_and(|c| c.numeric) {
        let t = text.trim();
        if t.is_empty() {
            CellScalar::Null
        } else if let Ok(v) = t.parse::<i64>() {
            CellScalar::Int(v)
        } else {
            t.parse::<f64>().ok().filter(|v| v.is_finite()).map_or(CellScalar::Str(text), CellScalar::Float)
        }
    } else {
        CellScalar::Str(text)
    }
}

impl Column {
    /// The property key of the column.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }
}

/// A good row's checked values, in property order; problems go to `problems` (see
/// [`row_check`]).
fn row_values<'c>(
    record: &[&str],
    columns: &'c [Column],
    order: &[usize],
    req: &Required,
    line: usize,
    problems: &mut Vec<RowProblem>,
) -> Result<AcledRow<'c>, RowProblem> {
    let core = row_check(record, columns, order, req, line, problems)?;
    let values = order.iter().map(|&i| (i, cell_value(record, columns, req, &core, i))).collect();
    Ok(AcledRow { columns, id: core.id.to_owned(), lon: core.lon, lat: core.lat, values })
}

/// What [`write_geojson`] writes before the first feature.
pub const GEOJSON_HEAD: &str = "{\"type\":\"FeatureCollection\",\"features\":[\n";
/// What [`write_geojson`] writes between two features.
pub const GEOJSON_SEPARATOR: &str = ",\n";
/// What [`write_geojson`] writes after the last feature.
pub const GEOJSON_TAIL: &str = "\n]}\n";

/// Writes features one by one as [`write_geojson`] writes them all at once: the same bytes.
pub struct GeoJsonWriter<W: std::io::Write> {
    out: W,
    first: bool,
}

impl<W: std::io::Write> GeoJsonWriter<W> {
    /// Starts the `FeatureCollection`.
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(GEOJSON_HEAD.as_bytes())?;
        Ok(Self { out, first: true })
    }

    /// Writes one row's feature (the same bytes as [`GeoJsonWriter::feature`] on
    /// [`AcledRow::into_feature`], without building it).
    pub fn row(&mut self, row: &AcledRow<'_>) -> std::io::Result<()> {
        if !self.first {
            self.out.write_all(GEOJSON_SEPARATOR.as_bytes())?;
        }
        self.first = false;
        row.write_json(&mut self.out)
    }

    /// Writes one row's feature text as [`AcledRow::write_json`] wrote it (the parallel
    /// reader's rows, [`crate::io::acled_par::stream_json`]), or a run of them joined by
    /// [`GEOJSON_SEPARATOR`] ([`crate::io::acled_par::stream_json_runs`]).
    pub fn raw_row(&mut self, json: &[u8]) -> std::io::Result<()> {
        if !self.first {
            self.out.write_all(GEOJSON_SEPARATOR.as_bytes())?;
        }
        self.first = false;
        self.out.write_all(json)
    }

    /// Writes one feature.
    pub fn feature(&mut self, feature: &Feature) -> std::io::Result<()> {
        if !self.first {
            self.out.write_all(GEOJSON_SEPARATOR.as_bytes())?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, feature).map_err(std::io::Error::other)
    }

    /// Ends the `FeatureCollection` and gives back the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(GEOJSON_TAIL.as_bytes())?;
        Ok(self.out)
    }
}

/// The import as a GeoJSON `FeatureCollection` text, one feature per line.
pub fn write_geojson(import: &AcledImport) -> String {
    let mut out = String::from(GEOJSON_HEAD);
    let mut first = true;
    for feature in &import.features {
        // Serialising a geojson Feature of finite numbers and strings cannot fail; a feature
        // that somehow did would be written as `null` rather than dropped silently.
        let text = serde_json::to_string(feature).unwrap_or_else(|_| "null".to_owned());
        if !first {
            out.push_str(GEOJSON_SEPARATOR);
        }
        first = false;
        out.push_str(&text);
    }
    out.push_str(GEOJSON_TAIL);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells of plain digits take the short way; every cell is a number exactly when its
    /// trimmed text parses as one.
    #[test]
    fn a_cell_is_a_number_as_its_trimmed_text_parses() {
        let reference = |text: &str| {
            let t = text.trim();
            t.is_empty() || t.parse::<i64>().is_ok() || t.parse::<f64>().is_ok_and(f64::is_finite)
        };
        let mut cells: Vec<String> =
            ["", " ", "0", "007", "-1", "+1", "1.5", " 12 ", "1e5", "inf", "NaN", "1_000", "٣", "12a"]
                .map(str::to_owned)
                .to_vec();
        for len in 1..=22 {
            cells.push("9".repeat(len));
            cells.push(format!("1{}", "0".repeat(len)));
        }
        for cell in &cells {
            assert_eq!(is_number(cell), reference(cell), "{cell:?}");
        }
    }

    /// A row written straight from its cells is the row made and then written: numbers
    /// (negative, zero-padded, exponent, fraction, empty, text in a number column), text
    /// that needs escapes, and the date and id as the check read them.
    #[test]
    fn a_row_written_from_its_cells_is_the_row_made_then_written() {
        let head = "event_id_cnty,event_date,year,time_precision,event_type,fatalities,latitude,longitude,notes,extra";
        let header = Header::read(&csv::StringRecord::from(head.split(',').collect::<Vec<_>>()), "t.csv").unwrap();
        let numbers = [
            "0",
            "-0",
            "-12",
            "007",
            "1e5",
            "0.10",
            "-3.25",
            "",
            " 4 ",
            "ten",
            "18446744073709551616",
            "+5",
            "999999999999999999",
            "9223372036854775807",
            "-9223372036854775808",
            " 007 ",
            "1.",
            ".5",
            "-",
        ];
        for (k, n) in numbers.iter().enumerate() {
            let notes = ["plain", "a \"quoted\" word", "back\\slash\ttab", "Qal\u{02bf}a", "\u{1}"][k % 5];
            let lat = ["37.5", "37.50", "-0.0", "37", " 37.25 ", "37.12345678901234567", "+37.5"][k % 7];
            let lon = ["71.25", "71", " 71.5", "-0.5", "71.100", "7.1e1"][k % 6];
            let row: [String; 10] = [
                "TJK1".into(),
                "2024-03-0".to_owned() + &(k % 9 + 1).to_string(),
                "2024".into(),
                "1".into(),
                "Battles".into(),
                (*n).into(),
                lat.into(),
                lon.into(),
                notes.into(),
                (*n).into(),
            ];
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            let core = header.check(&cells, 2, &mut Vec::new()).unwrap();
            let mut direct = Vec::new();
            header.write_row_json(&cells, &core, &mut direct);
            let mut made = Vec::new();
            header.row(&cells).unwrap().write_json(&mut made).unwrap();
            assert_eq!(String::from_utf8(direct).unwrap(), String::from_utf8(made).unwrap(), "{n:?} {lat:?} {lon:?}");
        }
    }

    /// The test for escapes finds every byte `serde_json` escapes, at any place in texts of
    /// every length up to a chunk and a half, and no other byte.
    #[test]
    fn a_text_needs_escapes_exactly_when_a_byte_of_it_does() {
        for len in 1..=24 {
            for at in 0..len {
                for b in 0..=0x7fu8 {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = b;
                    let text = std::str::from_utf8(&bytes).unwrap();
                    assert_eq!(needs_escape(text), b < 0x20 || b == b'"' || b == b'\\', "{len} {at} {b:#x}");
                }
            }
        }
        // Bytes of other scripts (0x80 and up, never escaped) beside the special ones.
        for text in ["Qal\u{02bf}a-ye Panja", "\u{fffd}\u{7ff}\u{800}", "Ишкашим", "ÿ\"", "\u{1}é"] {
            let expected = text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
            assert_eq!(needs_escape(text), expected, "{text:?}");
        }
        assert!(!needs_escape(""));
    }

    /// Strings are written as `serde_json` writes them, whether or not they need escapes
    /// (the long ones end their escape past the first 16 bytes).
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let long = format!("{}\"{}", "x".repeat(40), "y".repeat(7));
        let texts = ["", "plain", "Qal\u{02bf}a", "a\"b", "back\\slash", "tab\there", "nl\n", "\u{1}", "\u{7f}", &long];
        for text in texts {
            let mut written = Vec::new();
            Scalar::Str(text).write_json(&mut written).unwrap();
            assert_eq!(written, serde_json::to_vec(text).unwrap(), "{text:?}");
            let value = Value::String(text.to_owned());
            let mut written = Vec::new();
            Scalar::Json(&value).write_json(&mut written).unwrap();
            assert_eq!(written, serde_json::to_vec(&value).unwrap(), "{text:?}");
        }
    }

    /// A plain decimal read without the general parse is the number the general parse gives.
    #[test]
    fn a_plain_decimal_is_the_number_the_parser_reads() {
        let texts = [
            "0",
            "-0",
            "-0.0",
            "37.4498",
            "72.5732",
            "-12.5",
            "180",
            "-90.000000",
            "0.1",
            "0.30000000000000004",
            "123456789012345",
            "1234567890123456",
            "9.99999999999999",
            "1.",
            ".5",
            "-",
            "",
            "1e5",
            "+1.5",
            "1.2.3",
            "4,5",
            " 1",
            "inf",
            "NaN",
            "00012.5000",
        ];
        let mut plain = 0;
        for text in texts {
            if let Some(v) = plain_decimal(text) {
                plain += 1;
                let parsed = text.parse::<f64>().unwrap();
                assert_eq!(v.to_bits(), parsed.to_bits(), "{text:?}");
            }
        }
        assert_eq!(plain, 12, "the plain decimals are read plainly");
        // Every value of four decimals across the coordinate range reads alike.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let text = format!(
                "{}{}.{:0w$}",
                if state & 1 == 0 { "-" } else { "" },
                (state >> 8) % 181,
                (state >> 20) % 10_u64.pow((state >> 50) as u32 % 9),
                w = ((state >> 50) % 9) as usize
            );
            let text = text.trim_end_matches('.').to_owned();
            assert_eq!(
                plain_decimal(&text).map(f64::to_bits),
                Some(text.parse::<f64>().unwrap().to_bits()),
                "{text:?}"
            );
        }
    }

    /// The plain day read without the general parse is the day the general parse gives.
    #[test]
    fn a_plain_iso_day_is_the_day_the_date_parser_reads() {
        let texts = [
            "2017-07-24",
            "0000-01-01",
            "9999-12-31",
            "2024-02-29",
            "2023-02-29",
            "2022-02-30",
            "2017-13-01",
            "2017-00-10",
            "2017-07-00",
            "2017-7-24",
            " 2017-07-24",
            "2017-07-24 ",
            "2017/07/24",
            "2017-07-2a",
            "+017-07-24",
            "2017-07-24T10",
            "24-07-2017",
            "",
        ];
        let mut plain = 0;
        for text in texts {
            if let Some(day) = plain_iso_day(text) {
                plain += 1;
                assert_eq!(Ok(day), DateSpan::parse(text).map_err(|e| e.to_string()), "{text:?}");
                assert_eq!(iso_day(day.start), text, "a plain day is kept as written");
            }
        }
        assert_eq!(plain, 4, "the valid `YYYY-MM-DD` days are read plainly");
    }
}
