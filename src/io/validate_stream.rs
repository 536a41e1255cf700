//! Streaming validation: the checks of [`crate::io::validate`] on a reader, in bounded memory.
//!
//! A document up to [`STREAM_THRESHOLD`] bytes is read whole and validated by
//! [`validate_bytes`]. A larger one is read in chunks: when its root is an object with a
//! `features` array, each element of that array is cut out of the stream, parsed and checked
//! on its own (with the same code, its positions shifted to the file's), and only the rest of
//! the root (its other members) is kept in memory — memory stays bounded by the largest single
//! feature, whatever the file size. Anything else (another root, no `features` array) is read
//! whole, as before.
//!
//! The result is exactly what [`validate_bytes`] gives on the same bytes: the same problems,
//! positions and messages, in the same order, with the same cap of [`MAX_PROBLEMS`] (which
//! problems the cap keeps depends on the order the checks record them in, and that order is
//! reproduced: value-level checks from the last feature back, then structure checks forward).
//! The byte-level checks (UTF-8, control characters, non-JSON whitespace, nesting depth) run
//! on every byte as it streams past; a syntax error is reported with the parser's own message
//! by re-parsing the root's text with the few bytes around the error.
//!
//! The byte scan is serial; the checks of the elements a read chunk completes run on every
//! core and their problems are recorded in element order, so the result is the same. An
//! element is first given a quick check ([`fast`]: one pass, nothing built) that only says
//! "nothing wrong" when the full checks would find nothing; anything else gets the full
//! checks, so the problems do not depend on it. An
//! element that does not parse sends its chunk back through the serial checks, from the state
//! before the chunk, which halt at it exactly as before.

use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::path::Path;

use jsonc_parser::ast::{Object, Value};
use jsonc_parser::{CollectOptions, parse_to_ast};

mod fast;

pub use fast::Outline;

use super::read::{MAX_FILE_BYTES, MAX_STREAM_BYTES, ReadError};
use super::validate::{
    LineIndex, MAX_DEPTH, MAX_PROBLEMS, Problem, Severity, Sink, Slot, check_every_value, check_geojson,
    control_character_message, crs_verdict, kind_name, outside_character_message, prop_name, start_of, strict_options,
    syntax_error, too_deep_message, validate_bytes,
};

/// The [`Outline`] of `text` when it is a Feature the checks find nothing wrong with.
#[cfg(test)]
pub(crate) fn outline_of(text: &str) -> Option<Outline> {
    fast::outline(text)
}

/// Documents up to this many bytes are validated in memory by [`validate_bytes`].
pub const STREAM_THRESHOLD: usize = 16 * 1024 * 1024;

/// Bytes read from the input at a time.
const CHUNK: usize = 1 << 20;

/// Bytes kept after a syntax error for the parser to name it.
const ERROR_WINDOW: usize = 1 << 20;

/// Validates the file at `path`, reading it once (a FIFO or pipe too), in bounded memory for
/// a `FeatureCollection` (see the module docs). Errors name the file, as
/// [`crate::io::read::read_input`]'s do.
pub fn validate_path(path: &Path) -> Result<Vec<Problem>, ReadError> {
    let io = |source| ReadError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(ReadError::Folder { path: path.to_owned() });
    }
    let limit = if meta.is_file() { MAX_FILE_BYTES } else { MAX_STREAM_BYTES };
    match validate_reader_with(file, STREAM_THRESHOLD, limit) {
        Ok(problems) => Ok(problems),
        Err(StreamError::Io(source)) => Err(io(source)),
        Err(StreamError::TooMuchHeld) if meta.is_file() => {
            Err(ReadError::TooLarge { path: path.to_owned(), size_mb: crate::io::read::megabytes_over(meta.len()) })
        }
        Err(StreamError::TooMuchHeld) => Err(ReadError::EndlessStream { path: path.to_owned() }),
    }
}

/// Why a streamed validation stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The reader failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The document needed more than the allowed bytes in memory (it is not a
    /// `FeatureCollection` that can be streamed, or one of its features is that large).
    #[error("the document needs more memory than allowed")]
    TooMuchHeld,
}

/// Validates what `reader` gives: whole up to `threshold` bytes, streamed above; at most
/// `max_held` bytes are held in memory at once.
pub fn validate_reader_with(
    mut reader: impl Read,
    threshold: usize,
    max_held: u64,
) -> Result<Vec<Problem>, StreamError> {
    let mut head = Vec::new();
    (&mut reader).take(threshold.max(4) as u64 + 1).read_to_end(&mut head)?;
    if head.len() <= threshold {
        return Ok(validate_bytes(&head));
    }
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let mut streamer = Streamer::new(bom, max_held);
    // The elements are cut out to be checked on every core, then dropped.
    streamer.cut = Some(Cut::default());
    let mut pipeline = Pipeline { s: streamer, pending: None };
    let mut drop_them = |cut: &mut Cut| {
        cut.clear();
        Ok::<(), StreamError>(())
    };
    pipeline.feed(head.get(if bom { 3 } else { 0 }..).unwrap_or_default(), &mut drop_them)?;
    drop(head);
    let mut chunk = vec![0u8; CHUNK];
    crate::io::read::for_each_chunk(&mut reader, &mut chunk, |data| pipeline.feed(data, &mut drop_them))?;
    pipeline.flush(&mut drop_them)?;
    Ok(pipeline.s.finish())
}

/// What [`stream_elements`] found besides the elements it handed over.
#[derive(Debug, Clone, Default)]
pub struct Streamed {
    /// The problems, exactly as [`validate_bytes`] gives them on the same bytes (empty when
    /// the elements were not checked).
    pub problems: Vec<Problem>,
    /// The root object's text with its `features` array emptied (`{…"features":[]…}`), when
    /// the document is an object whose `features` array was streamed to its end; `None` for
    /// any other document (another root, no `features` array, a syntax error), which the
    /// caller reads whole.
    pub root: Option<String>,
    /// Elements handed over.
    pub elements: usize,
}

/// Why [`stream_elements`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum ElementsError<E> {
    /// The reader failed or the document held too much.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// The caller's `each` failed.
    #[error("{0}")]
    Stopped(E),
}

/// Reads `reader` once, streamed whatever its size (as [`validate_reader_with`] streams a
/// large document), and hands each element of the root's `features` array to `each` (its
/// index, its JSON text, and with `checks` its [`Outline`] when it is a Feature the checks
/// found nothing wrong with) as soon as it has been cut out, in order, holding at most `max_held`
/// bytes of the document (plus the elements of one read chunk) at a time.
///
/// With `checks`, every element is validated as [`validate_bytes`] would (the problems come
/// back in [`Streamed::problems`]); elements are handed over whatever their problems, the
/// caller decides at the end. Without, elements are only cut out (a second pass over a file
/// already validated): faster, and [`Streamed::problems`] then only holds syntax errors.
pub fn stream_elements<E>(
    mut reader: impl Read,
    max_held: u64,
    checks: bool,
    mut each: impl FnMut(usize, &str, Option<Outline>) -> Result<(), E>,
) -> Result<Streamed, ElementsError<E>> {
    let mut chunk = vec![0u8; CHUNK];
    let mut streamer: Option<Pipeline> = None;
    let mut start = Vec::new();
    let mut elements = 0;
    let mut hand = |cut: &mut Cut| -> Result<(), ElementsError<E>> {
        elements += hand_over(cut, &mut each)?;
        Ok(())
    };
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(StreamError::Io(e).into()),
        };
        let mut data = chunk.get(..n).unwrap_or_default();
        let p = if let Some(p) = streamer.as_mut() {
            p
        } else {
            // The byte-order mark is told from the first three bytes.
            start.extend_from_slice(data);
            if start.len() < 3 {
                continue;
            }
            let bom = start.starts_with(&[0xEF, 0xBB, 0xBF]);
            let mut s = Streamer::new(bom, max_held);
            s.checks = checks;
            s.cut = Some(Cut::default());
            data = start.get(if bom { 3 } else { 0 }..).unwrap_or_default();
            streamer.insert(Pipeline { s, pending: None })
        };
        if checks {
            p.feed(data, &mut hand)?;
        } else {
            p.s.feed(data)?;
            p.s.hand_over(&mut hand)?;
        }
        start.clear();
    }
    let Some(mut p) = streamer else {
        // Fewer than three bytes: nothing to stream.
        return Ok(Streamed {
            problems: if checks { validate_bytes(&start) } else { Vec::new() },
            ..Streamed::default()
        });
    };
    p.flush(&mut hand)?;
    let s = p.s;
    let root = (s.mode == Mode::Suffix && s.bad_utf8.is_none() && s.utf8_carry.is_empty() && s.too_deep.is_none())
        .then(|| {
            let mut text = s.prefix.clone();
            text.extend_from_slice(&s.suffix);
            String::from_utf8(text).ok()
        })
        .flatten();
    let problems = s.finish();
    Ok(Streamed { problems, root, elements })
}

/// Hands the elements of `cut` to `each` and empties it; the number handed over.
fn hand_over<E>(
    cut: &mut Cut,
    each: &mut impl FnMut(usize, &str, Option<Outline>) -> Result<(), E>,
) -> Result<usize, ElementsError<E>> {
    let mut from = 0;
    for (k, &(index, end)) in cut.ends.iter().enumerate() {
        // Cut out of valid UTF-8 at element boundaries: always UTF-8.
        let text = cut.text.get(from..end).and_then(|t| std::str::from_utf8(t).ok()).unwrap_or_default();
        let outline = cut.outlines.get_mut(k).and_then(Option::take);
        each(index, text, outline).map_err(ElementsError::Stopped)?;
        from = end;
    }
    let n = cut.ends.len();
    cut.clear();
    Ok(n)
}

/// [`Streamer::feed_parallel`] one chunk behind: while a chunk is cut into elements (the
/// serial scan), the elements of the chunk before it are checked on the other cores, where
/// `feed_parallel` alone waits for the checks before the next scan. The outcome is the same
/// chunk by chunk: a chunk's elements are checked, their problems recorded in order and the
/// elements handed over before anything of the next chunk is, and when one of them does not
/// parse, both chunks are fed again from the state before the first, as `feed_parallel` feeds
/// them (see [`Pipeline::feed`]).
struct Pipeline {
    s: Streamer,
    /// The chunk fed last with its checks deferred: its elements are not checked yet.
    pending: Option<Pending>,
}

/// A chunk whose elements wait for their checks.
struct Pending {
    /// The streamer before the chunk, without what [`Streamer::take_kept`] takes (which a
    /// deferred feed does not change).
    before: Box<Streamer>,
    /// The chunk's bytes.
    data: Vec<u8>,
    /// Its elements, unchecked.
    cut: Cut,
}

impl Pipeline {
    /// Feeds the next chunk; `hand` takes the elements of each chunk once they are checked.
    fn feed<X: From<StreamError>>(
        &mut self,
        data: &[u8],
        hand: &mut impl FnMut(&mut Cut) -> Result<(), X>,
    ) -> Result<(), X> {
        if !self.s.defers() {
            self.flush(hand)?;
            self.s.feed_parallel(data)?;
            return self.s.hand_over(hand);
        }
        let before = Box::new(self.s.snapshot());
        let pending = self.pending.take();
        self.s.defer = true;
        let s = &mut self.s;
        let (fed, checked) = rayon::join(|| s.feed(data), || pending.as_ref().map(|p| check_cut(&p.cut)));
        self.s.defer = false;
        // Still inside the array, and nothing new to stop at in this chunk: its elements wait
        // for their checks, and those of the chunk before are recorded now. (A problem found
        // earlier in the file does not make every later chunk go the slow way.)
        let steady = fed.is_ok()
            && self.s.defers()
            && self.s.too_deep.is_some() == before.too_deep.is_some()
            && self.s.bad_utf8.is_some() == before.bad_utf8.is_some()
            && self.s.lexical.is_some() == before.lexical.is_some();
        match (pending, checked.flatten()) {
            (Some(p), Some(checked)) if steady => self.resolve(p.cut, checked, hand)?,
            (Some(p), checked) => {
                // The chunk fed meanwhile is fed again once the one before is done.
                self.s.rewind(*before);
                if let Some(checked) = checked {
                    self.resolve(p.cut, checked, hand)?;
                } else {
                    // One of its elements does not parse: fed again from the state before it
                    // with the serial checks, which halt there (as `feed_parallel`).
                    self.s.rewind(*p.before);
                    self.s.feed(&p.data)?;
                    self.s.hand_over(hand)?;
                }
                self.s.feed_parallel(data)?;
                return self.s.hand_over(hand);
            }
            (None, _) if !steady => {
                self.s.rewind(*before);
                self.s.feed_parallel(data)?;
                return self.s.hand_over(hand);
            }
            (None, _) => {}
        }
        let cut = self.s.cut.as_mut().map(std::mem::take).unwrap_or_default();
        self.pending = Some(Pending { before, data: data.to_vec(), cut });
        Ok(())
    }

    /// Checks the elements of the chunk still waiting, records their problems and hands them
    /// over (the end of the stream, or a chunk that is not fed deferred).
    fn flush<X: From<StreamError>>(&mut self, hand: &mut impl FnMut(&mut Cut) -> Result<(), X>) -> Result<(), X> {
        let Some(p) = self.pending.take() else { return Ok(()) };
        if let Some(checked) = check_cut(&p.cut) {
            return self.resolve(p.cut, checked, hand);
        }
        // Nothing was fed after it: the state before it, with what was recorded since.
        self.s.rewind(*p.before);
        self.s.feed(&p.data)?;
        self.s.hand_over(hand)
    }

    /// Records the problems of a chunk's checked elements, in order, and hands them over.
    fn resolve<X>(
        &mut self,
        mut cut: Cut,
        checked: Vec<Checked>,
        hand: &mut impl FnMut(&mut Cut) -> Result<(), X>,
    ) -> Result<(), X> {
        for (slot, mut c) in cut.outlines.iter_mut().zip(checked) {
            *slot = c.outline.take();
            self.s.record(c);
        }
        hand(&mut cut)
    }
}

/// Checks the elements of `cut` on every core; `None` if one does not parse.
fn check_cut(cut: &Cut) -> Option<Vec<Checked>> {
    use rayon::prelude::*;
    let mut from = 0;
    let mut elements = Vec::with_capacity(cut.ends.len());
    for (&(index, end), &at) in cut.ends.iter().zip(&cut.starts) {
        elements.push((index, from, end, at));
        from = end;
    }
    let text = &cut.text;
    elements
        .par_iter()
        .with_min_len(16)
        .map(|&(index, a, b, at)| {
            text.get(a..b).and_then(|t| std::str::from_utf8(t).ok()).and_then(|t| check_element(t, index, at))
        })
        .collect()
}

/// A position in the (byte-order-mark-free) text: byte offset, 1-based line and column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Pos {
    offset: usize,
    line: usize,
    col: usize,
}

impl Pos {
    /// The position of `local` (line, column) in a text that starts at `self`.
    fn shift(self, local_offset: usize, (line, col): (usize, usize)) -> Self {
        if line == 1 {
            Self { offset: self.offset + local_offset, line: self.line, col: self.col + col - 1 }
        } else {
            Self { offset: self.offset + local_offset, line: self.line + line - 1, col }
        }
    }
}

/// One problem with its position resolved.
#[derive(Debug, Clone)]
struct Item {
    pos: Pos,
    message: String,
    severity: Severity,
}

/// Problems in the order they were recorded, capped as [`Sink`] caps them: the first
/// [`MAX_PROBLEMS`] kept, the rest counted.
#[derive(Debug, Clone, Default)]
struct Seq {
    kept: Vec<Item>,
    dropped: usize,
    first_dropped: Pos,
    dropped_error: bool,
}

impl Seq {
    /// The problems of a sink whose offsets `map` resolves.
    fn from_sink(sink: Sink, map: impl Fn(usize) -> Pos) -> Self {
        Self {
            kept: sink
                .kept
                .into_iter()
                .map(|(offset, message, severity)| Item { pos: map(offset), message, severity })
                .collect(),
            dropped: sink.dropped,
            first_dropped: if sink.dropped > 0 { map(sink.first_dropped) } else { Pos::default() },
            dropped_error: sink.dropped_error,
        }
    }

    /// Number of problems recorded.
    fn len(&self) -> usize {
        self.kept.len() + self.dropped
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `other`'s problems recorded after these.
    fn append(&mut self, other: Self) {
        for item in other.kept {
            if self.kept.len() < MAX_PROBLEMS {
                self.kept.push(item);
            } else {
                if self.dropped == 0 {
                    self.first_dropped = item.pos;
                }
                self.dropped += 1;
                self.dropped_error |= item.severity == Severity::Error;
            }
        }
        if other.dropped > 0 {
            if self.dropped == 0 {
                self.first_dropped = other.first_dropped;
            }
            self.dropped += other.dropped;
            self.dropped_error |= other.dropped_error;
        }
    }

    /// Sorted by position, with the "… N more problems" line, as [`Sink`] finishes.
    fn into_problems(mut self) -> Vec<Problem> {
        self.kept.sort_by_key(|item| item.pos.offset);
        let mut out: Vec<Problem> = self
            .kept
            .into_iter()
            .map(|i| Problem { line: i.pos.line, col: i.pos.col, message: i.message, severity: i.severity })
            .collect();
        if self.dropped > 0 {
            let s = if self.dropped == 1 { "" } else { "s" };
            out.push(Problem {
                line: self.first_dropped.line,
                col: self.first_dropped.col,
                message: format!("… {} more problem{s}", self.dropped),
                severity: if self.dropped_error { Severity::Error } else { Severity::Note },
            });
        }
        out
    }
}

/// The value-level problems of the features, to be recorded from the last feature back to
/// the first: only the last features' problems (enough to fill the cap) are kept.
#[derive(Clone, Default)]
struct Backwards {
    recent: VecDeque<Seq>,
    recent_len: usize,
    older: usize,
    older_error: bool,
}

impl Backwards {
    fn push(&mut self, seq: Seq) {
        if seq.is_empty() {
            return;
        }
        self.recent_len += seq.len();
        self.recent.push_back(seq);
        while let Some(front) = self.recent.front() {
            if self.recent_len - front.len() <= MAX_PROBLEMS {
                break;
            }
            self.recent_len -= front.len();
            self.older += front.len();
            self.older_error |= front.dropped_error || front.kept.iter().any(|i| i.severity == Severity::Error);
            self.recent.pop_front();
        }
    }

    /// All of them, last feature first.
    fn into_seq(self) -> Seq {
        let mut out = Seq::default();
        for seq in self.recent.into_iter().rev() {
            out.append(seq);
        }
        // At least MAX_PROBLEMS + 1 problems come before these, so none of them is kept and
        // the first dropped one is already known.
        out.dropped += self.older;
        out.dropped_error |= self.older_error;
        out
    }
}

/// Where the structural scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Before the root object, or inside it before the `features` array: bytes go to `prefix`.
    Root,
    /// Not a streamable document: everything goes to `prefix`, validated whole at the end.
    Whole,
    /// Inside the `features` array.
    Elements(Elem),
    /// After the `features` array: bytes go to `suffix`.
    Suffix,
    /// A syntax error (or what the parser will call one) was seen: a window of bytes after it
    /// is kept for the parser to name it.
    Halted,
}

/// Where the scan is inside the `features` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    /// Right after `[`.
    First,
    /// After a `,`.
    Next,
    /// Inside an object or array element.
    Container,
    /// Inside a string element.
    Str,
    /// Inside a number or literal element.
    Scalar,
    /// After an element.
    After,
}

/// How far the scan has got through `"features" : [` at the root's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    None,
    /// A string starts at this offset of `prefix`.
    InString(usize),
    Name,
    Colon,
}

/// The streaming validator's state.
#[derive(Clone)]
#[expect(clippy::struct_excessive_bools, reason = "the pre-scan's flags, as in `validate::prescan`")]
struct Streamer {
    max_held: u64,
    bom: bool,
    /// Position of the next byte.
    pos: Pos,
    /// The previous byte was a `\r` (a line break unless a `\n` follows).
    cr: bool,
    /// Up to 3 bytes of a UTF-8 sequence cut by a chunk boundary.
    utf8_carry: Vec<u8>,
    /// First invalid UTF-8: raw byte offset (with the BOM), position, the byte.
    bad_utf8: Option<(usize, Pos, u8)>,
    // The pre-scan of `validate`: nesting depth, strings, first lexical problem.
    depth: usize,
    in_string: bool,
    escaped: bool,
    too_deep: Option<Pos>,
    lexical: Option<(Pos, String)>,
    // Structure.
    mode: Mode,
    /// The root's first byte has been seen.
    seen_root: bool,
    key: Key,
    /// The root's text up to and including the `[` of `features` (the whole text in
    /// [`Mode::Whole`]).
    prefix: Vec<u8>,
    /// Bytes since the end of the previous element (or the `[`).
    tail: Vec<u8>,
    tail_pos: Pos,
    /// Where the current element starts in `tail`, and its position.
    elem_at: usize,
    elem_pos: Pos,
    /// Depth inside the `features` array.
    array_depth: usize,
    /// Elements seen.
    elements: usize,
    /// The first byte of the last element seen.
    last_kind: u8,
    /// The root's text from the `]` of `features` on.
    suffix: Vec<u8>,
    suffix_pos: Pos,
    /// Bytes still kept after a syntax error.
    window_left: usize,
    // Problems of the elements.
    every: Backwards,
    /// Structure problems of the features if the root's `crs` says lon/lat (or is absent) …
    lon_lat: Seq,
    /// … and if it names another system.
    projected: Seq,
    /// Check the elements (false: only cut them out, for a second pass over a file already
    /// validated).
    checks: bool,
    /// With `checks`: cut the elements out unchecked, with their positions, for the caller
    /// to check a chunk's elements on every core ([`Streamer::feed_parallel`]).
    defer: bool,
    /// The elements cut out since the caller last took them ([`stream_elements`]).
    cut: Option<Cut>,
}

/// Elements of `features` cut out of the stream, waiting to be handed to the caller.
#[derive(Clone, Default)]
struct Cut {
    /// Their texts, one after the other.
    text: Vec<u8>,
    /// For each: its index in `features` and where its text ends in `text`.
    ends: Vec<(usize, usize)>,
    /// For each, when their checks are deferred: where it starts in the document.
    starts: Vec<Pos>,
    /// For each: its outline, when it was checked and found clean.
    outlines: Vec<Option<Outline>>,
}

impl Cut {
    /// Forgets the elements (keeping the buffers).
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.starts.clear();
        self.outlines.clear();
    }
}

impl Streamer {
    fn new(bom: bool, max_held: u64) -> Self {
        Self {
            max_held,
            bom,
            pos: Pos { offset: 0, line: 1, col: 1 },
            cr: false,
            utf8_carry: Vec::new(),
            bad_utf8: None,
            depth: 0,
            in_string: false,
            escaped: false,
            too_deep: None,
            lexical: None,
            mode: Mode::Root,
            seen_root: false,
            key: Key::None,
            prefix: Vec::new(),
            tail: Vec::new(),
            tail_pos: Pos::default(),
            elem_at: 0,
            elem_pos: Pos::default(),
            array_depth: 0,
            elements: 0,
            last_kind: b'0',
            suffix: Vec::new(),
            suffix_pos: Pos::default(),
            window_left: ERROR_WINDOW,
            every: Backwards::default(),
            lon_lat: Seq::default(),
            projected: Seq::default(),
            checks: true,
            defer: false,
            cut: None,
        }
    }

    /// [`Streamer::feed`], the elements cut out of `chunk` checked on every core: the same
    /// state and problems as the serial checks give. While inside the `features` array the
    /// elements are cut out unchecked, then checked in parallel and their problems recorded in
    /// order; if one does not parse, the chunk is fed again from the state before it with the
    /// serial checks, which halt at that element and name the syntax error as before.
    fn feed_parallel(&mut self, chunk: &[u8]) -> Result<(), StreamError> {
        if !self.defers() {
            return self.feed(chunk);
        }
        // Inside the array, with the checks deferred, nothing changes the root's text or the
        // problems recorded: they are kept out of the snapshot.
        let before = self.snapshot();
        let held = self.cut.as_ref().map_or(0, |c| c.ends.len());
        self.defer = true;
        let fed = self.feed(chunk);
        self.defer = false;
        fed?;
        let Some(cut) = self.cut.as_mut() else { return Ok(()) };
        // Elements handed over are gone from the cut: the ones held are only this chunk's.
        debug_assert_eq!(held, 0, "the cut is handed over after every chunk");
        let Some(checked) = check_cut(cut) else {
            self.rewind(before);
            return self.feed(chunk);
        };
        for (k, mut c) in checked.into_iter().enumerate() {
            if let Some(slot) = self.cut.as_mut().and_then(|cut| cut.outlines.get_mut(held + k)) {
                *slot = c.outline.take();
            }
            self.record(c);
        }
        Ok(())
    }

    /// Whether the elements of what is fed next are cut out to be checked later, on every
    /// core ([`Streamer::feed_parallel`], [`Pipeline`]): inside the `features` array, with
    /// the checks on and the elements kept.
    fn defers(&self) -> bool {
        self.checks && matches!(self.mode, Mode::Elements(_)) && self.cut.is_some()
    }

    /// Hands the elements cut out so far to `hand`.
    fn hand_over<X>(&mut self, hand: &mut impl FnMut(&mut Cut) -> Result<(), X>) -> Result<(), X> {
        match self.cut.as_mut() {
            Some(cut) => hand(cut),
            None => Ok(()),
        }
    }

    /// The state now, without the root's text and the problems recorded (which a deferred
    /// feed does not change, and which may be large): what [`Streamer::rewind`] goes back to.
    fn snapshot(&mut self) -> Self {
        let kept = self.take_kept();
        let before = self.clone();
        self.put_kept(kept);
        before
    }

    /// Back to `before` (from [`Streamer::snapshot`]), keeping the root's text and the
    /// problems recorded since.
    fn rewind(&mut self, before: Self) {
        let kept = self.take_kept();
        *self = before;
        self.put_kept(kept);
    }

    /// The root's text and the problems recorded, taken out (see [`Streamer::feed_parallel`]).
    fn take_kept(&mut self) -> (Vec<u8>, Backwards, Seq, Seq) {
        (
            std::mem::take(&mut self.prefix),
            std::mem::take(&mut self.every),
            std::mem::take(&mut self.lon_lat),
            std::mem::take(&mut self.projected),
        )
    }

    /// Puts back what [`Streamer::take_kept`] took.
    fn put_kept(&mut self, (prefix, every, lon_lat, projected): (Vec<u8>, Backwards, Seq, Seq)) {
        self.prefix = prefix;
        self.every = every;
        self.lon_lat = lon_lat;
        self.projected = projected;
    }

    /// Records the problems of the next element.
    fn record(&mut self, checked: Checked) {
        self.every.push(checked.every);
        if let Some((lon_lat, projected)) = checked.structure {
            self.projected.append(projected);
            self.lon_lat.append(lon_lat);
        }
    }

    /// Takes the next bytes of the document.
    fn feed(&mut self, chunk: &[u8]) -> Result<(), StreamError> {
        if self.mode == Mode::Whole {
            // Validated whole at the end (UTF-8 included).
            self.prefix.extend_from_slice(chunk);
            return self.check_held();
        }
        if self.bad_utf8.is_some() {
            return Ok(());
        }
        let joined;
        let data = if self.utf8_carry.is_empty() {
            chunk
        } else {
            let mut j = std::mem::take(&mut self.utf8_carry);
            j.extend_from_slice(chunk);
            joined = j;
            &joined
        };
        let (good, bad) = match std::str::from_utf8(data) {
            Ok(_) => (data.len(), false),
            Err(e) => (e.valid_up_to(), e.error_len().is_some()),
        };
        let (valid, rest) = data.split_at(good);
        if self.too_deep.is_none() {
            self.scan(valid);
        }
        if self.mode == Mode::Whole {
            self.prefix.extend_from_slice(rest);
            return self.check_held();
        }
        if bad {
            self.set_bad_utf8(rest.first().copied().unwrap_or(0));
        } else {
            self.utf8_carry = rest.to_vec();
        }
        self.check_held()
    }

    /// Records the first invalid UTF-8 byte at the current position.
    fn set_bad_utf8(&mut self, byte: u8) {
        let raw = self.pos.offset + if self.bom { 3 } else { 0 };
        let mut at = self.position_now();
        if self.bom && at.line == 1 {
            // `validate_bytes` counts the byte-order mark as a character here.
            at.col += 1;
        }
        self.bad_utf8 = Some((raw, at, byte));
    }

    /// The position of the next byte, with a pending `\r` counted as a line break.
    fn position_now(&self) -> Pos {
        if self.cr { Pos { offset: self.pos.offset, line: self.pos.line + 1, col: 1 } } else { self.pos }
    }

    fn check_held(&self) -> Result<(), StreamError> {
        let held = self.prefix.len() + self.tail.len() + self.suffix.len();
        if held as u64 > self.max_held { Err(StreamError::TooMuchHeld) } else { Ok(()) }
    }

    /// Scans valid UTF-8 bytes.
    fn scan(&mut self, data: &[u8]) {
        let mut i = 0;
        while let Some(&b) = data.get(i) {
            // Fast path: a run of plain characters inside a string (most of a feature's bytes)
            // changes nothing but the position, and is kept as a whole.
            if self.in_string && !self.escaped && is_plain(b) {
                let run = data.get(i..).unwrap_or_default();
                let len = plain_len(run);
                if let Some(run) = run.get(..len)
                    && self.keep_run(run)
                {
                    i += len;
                    continue;
                }
            }
            // A quote that opens or closes a string inside an element: it changes only that
            // (an element ends at a bracket, never at a quote).
            if b == b'"' && !self.escaped && self.mode == Mode::Elements(Elem::Container) {
                if self.cr {
                    // A `\r` before it was a line break.
                    self.pos.line += 1;
                    self.pos.col = 1;
                    self.cr = false;
                }
                self.in_string = !self.in_string;
                self.tail.push(b);
                self.pos.offset += 1;
                self.pos.col += 1;
                i += 1;
                continue;
            }
            // Likewise a run of ASCII outside strings inside an element (numbers, `:` and `,`,
            // literals, spaces): it neither opens nor closes anything.
            if !self.in_string && self.mode == Mode::Elements(Elem::Container) && is_inert(b) {
                let run = data.get(i..).unwrap_or_default();
                let len = run.iter().position(|&c| !is_inert(c)).unwrap_or(run.len());
                let run = run.get(..len).unwrap_or_default();
                self.tail.extend_from_slice(run);
                if self.cr {
                    // A `\r` before the run was a line break.
                    self.pos.line += 1;
                    self.pos.col = 1;
                    self.cr = false;
                }
                self.pos.offset += len;
                self.pos.col += len;
                i += len;
                continue;
            }
            self.byte(data, i, b);
            if self.too_deep.is_some() {
                return;
            }
            if self.mode == Mode::Whole {
                // Everything from here on is validated whole at the end.
                self.prefix.extend_from_slice(data.get(i + 1..).unwrap_or_default());
                return;
            }
            i += 1;
        }
    }

    /// Keeps a run of plain string characters where the current mode keeps bytes, and moves
    /// the position past it; false (nothing done) in a mode that looks at each byte.
    fn keep_run(&mut self, run: &[u8]) -> bool {
        let keep = match self.mode {
            Mode::Root => &mut self.prefix,
            Mode::Elements(Elem::Container | Elem::Str) => &mut self.tail,
            Mode::Suffix => &mut self.suffix,
            _ => return false,
        };
        keep.extend_from_slice(run);
        if self.cr {
            // A `\r` before the run (none inside a string is plain) was a line break.
            self.pos.line += 1;
            self.pos.col = 1;
            self.cr = false;
        }
        self.pos.offset += run.len();
        self.pos.col += run.iter().filter(|&&c| c & 0xC0 != 0x80).count();
        true
    }

    /// Scans byte `b` at `data[i]`.
    fn byte(&mut self, data: &[u8], i: usize, b: u8) {
        {
            // Position of this byte.
            if self.cr && b != b'\n' {
                self.pos.line += 1;
                self.pos.col = 1;
            }
            self.cr = false;
            let at = self.pos;
            let was_in_string = self.in_string;
            // The pre-scan, as `validate::prescan` does it.
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                } else if b < 0x20 && self.lexical.is_none() {
                    self.lexical = Some((at, control_character_message(b)));
                }
            } else {
                match b {
                    b'[' | b'{' => {
                        self.depth += 1;
                        if self.depth > MAX_DEPTH {
                            self.too_deep = Some(at);
                            return;
                        }
                    }
                    b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                    b'"' => self.in_string = true,
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ if !(0x20..0x80).contains(&b) && self.lexical.is_none() => {
                        let c = data.get(i..).and_then(|s| std::str::from_utf8(s).ok()).and_then(|s| s.chars().next());
                        self.lexical = Some((at, outside_character_message(c.unwrap_or('?'))));
                    }
                    _ => {}
                }
            }
            self.structure(b, at, was_in_string);
            if self.mode == Mode::Whole {
                return;
            }
            // Advance.
            self.pos.offset += 1;
            match b {
                b'\n' => {
                    self.pos.line += 1;
                    self.pos.col = 1;
                }
                b'\r' => {
                    self.pos.col += 1;
                    self.cr = true;
                }
                _ if b & 0xC0 != 0x80 => self.pos.col += 1,
                _ => {}
            }
        }
    }

    /// The structural scan of byte `b` at `at` (the pre-scan has already seen it;
    /// `was_in_string` is whether it is inside a string or its closing quote).
    fn structure(&mut self, b: u8, at: Pos, was_in_string: bool) {
        let ws = matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        match self.mode {
            Mode::Whole => {}
            Mode::Root => {
                self.prefix.push(b);
                if !self.seen_root && !ws {
                    // The first significant byte: streamable only if it opens an object.
                    if b != b'{' {
                        self.mode = Mode::Whole;
                        return;
                    }
                    self.seen_root = true;
                }
                self.root_key(b, was_in_string, at);
            }
            Mode::Elements(state) => self.element_byte(state, b, at, ws),
            Mode::Suffix => self.suffix.push(b),
            Mode::Halted => {
                if self.window_left > 0 {
                    self.tail.push(b);
                    self.window_left -= 1;
                }
            }
        }
    }

    /// Follows `"features" : [` at the root's level (depth 1).
    fn root_key(&mut self, b: u8, was_in_string: bool, at: Pos) {
        let ws = matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        let end = self.prefix.len();
        self.key = match (self.key, b) {
            // The opening quote (the pre-scan is now inside the string, at depth 1).
            (_, b'"') if !was_in_string && self.depth == 1 => Key::InString(end - 1),
            (Key::InString(start), b'"') if !self.in_string => {
                if self.prefix.get(start + 1..end - 1) == Some(b"features".as_slice()) { Key::Name } else { Key::None }
            }
            (Key::InString(start), _) => Key::InString(start),
            (key, _) if ws => key,
            (Key::Name, b':') => Key::Colon,
            (Key::Colon, b'[') if self.depth == 2 => {
                self.array_depth = self.depth;
                self.mode = Mode::Elements(Elem::First);
                self.tail_pos = at.next();
                Key::None
            }
            _ => Key::None,
        };
    }

    /// One byte inside the `features` array.
    fn element_byte(&mut self, state: Elem, b: u8, at: Pos, ws: bool) {
        match state {
            Elem::First | Elem::Next | Elem::After => {
                if ws {
                    self.tail.push(b);
                    return;
                }
                match (state, b) {
                    (Elem::After, b',') => {
                        self.tail.push(b);
                        self.mode = Mode::Elements(Elem::Next);
                    }
                    (Elem::First | Elem::After, b']') => {
                        self.mode = Mode::Suffix;
                        self.suffix_pos = at;
                        self.suffix.push(b);
                        self.tail.clear();
                    }
                    (Elem::First | Elem::Next, b'{' | b'[' | b'"') => {
                        self.start_element(b, at);
                        self.mode = Mode::Elements(if b == b'"' { Elem::Str } else { Elem::Container });
                    }
                    (Elem::First | Elem::Next, b'-' | b'0'..=b'9' | b'a'..=b'z') => {
                        self.start_element(b, at);
                        self.mode = Mode::Elements(Elem::Scalar);
                    }
                    // Anything else is a syntax error, or (a character strict JSON does not
                    // allow, which the pre-scan has noted) one the parser may take for white
                    // space: let it decide.
                    _ => self.halt(b),
                }
            }
            Elem::Container => {
                self.tail.push(b);
                if !self.in_string && self.depth == self.array_depth {
                    self.end_element(at.next());
                }
            }
            Elem::Str => {
                self.tail.push(b);
                if !self.in_string {
                    self.end_element(at.next());
                }
            }
            Elem::Scalar => match b {
                b',' | b']' => {
                    self.end_element(at);
                    if self.mode == Mode::Halted {
                        self.tail.push(b);
                    } else {
                        self.element_byte(Elem::After, b, at, ws);
                    }
                }
                _ if ws => {
                    self.end_element(at);
                    self.tail.push(b);
                }
                b'{' | b'[' | b'"' | b'}' | b':' | 0x80.. => self.halt(b),
                _ => self.tail.push(b),
            },
        }
    }

    fn start_element(&mut self, b: u8, at: Pos) {
        self.elem_at = self.tail.len();
        self.elem_pos = at;
        self.tail.push(b);
    }

    /// Something the parser will call a syntax error: keep a window of bytes to let it.
    fn halt(&mut self, b: u8) {
        self.tail.push(b);
        self.mode = Mode::Halted;
    }

    /// The element in `tail[elem_at..]` is complete (the next byte is at `next`): check it.
    fn end_element(&mut self, next: Pos) {
        let index = self.elements;
        let mut outline = None;
        let ok = match self.tail.get(self.elem_at..).map(std::str::from_utf8) {
            Some(Ok(_)) if !self.checks || self.defer => true,
            Some(Ok(text)) => match check_element(text, index, self.elem_pos) {
                Some(mut checked) => {
                    outline = checked.outline.take();
                    self.record(checked);
                    true
                }
                None => false,
            },
            _ => false,
        };
        if !ok {
            self.mode = Mode::Halted;
            return;
        }
        if let (Some(cut), Some(text)) = (self.cut.as_mut(), self.tail.get(self.elem_at..)) {
            cut.text.extend_from_slice(text);
            cut.ends.push((index, cut.text.len()));
            cut.starts.push(self.elem_pos);
            cut.outlines.push(outline);
        }
        self.elements += 1;
        self.last_kind = self.tail.get(self.elem_at).copied().unwrap_or(b'0');
        self.tail.clear();
        self.tail_pos = next;
        self.mode = Mode::Elements(Elem::After);
    }

    /// The result, once every byte has been fed.
    fn finish(mut self) -> Vec<Problem> {
        if self.mode == Mode::Whole {
            return self.validate_prefix();
        }
        if self.bad_utf8.is_none() && !self.utf8_carry.is_empty() {
            let byte = self.utf8_carry.first().copied().unwrap_or(0);
            self.set_bad_utf8(byte);
        }
        if let Some((raw, at, byte)) = self.bad_utf8 {
            return vec![error(at, format!("invalid UTF-8: byte 0x{byte:02X} at byte offset {raw}"))];
        }
        if let Some(at) = self.too_deep {
            return vec![error(at, too_deep_message())];
        }
        let end = self.position_now();
        match self.mode {
            // No `features` array: the whole text is in `prefix`.
            Mode::Root => self.validate_prefix(),
            Mode::Elements(_) | Mode::Halted => {
                // A syntax error, or the end of the file inside the array.
                match (self.window_error(end), self.lexical.take()) {
                    (Some(syntax), lexical) => {
                        self.lexical = lexical;
                        vec![self.first_of(syntax)]
                    }
                    (None, Some((at, message))) => vec![error(at, message)],
                    // Not expected: the scan stopped where the parser sees nothing wrong.
                    (None, None) => vec![error(self.tail_pos, "JSON syntax error in the `features` array".to_owned())],
                }
            }
            Mode::Suffix | Mode::Whole => self.finish_skeleton(end),
        }
    }

    /// [`validate_bytes`] on the whole document, held in `prefix`.
    fn validate_prefix(&mut self) -> Vec<Problem> {
        let mut bytes = if self.bom { vec![0xEF, 0xBB, 0xBF] } else { Vec::new() };
        bytes.append(&mut self.prefix);
        validate_bytes(&bytes)
    }

    /// The lexical problem if it comes before `syntax`, else `syntax` (as `validate` does).
    fn first_of(&mut self, (syntax_at, message): (Pos, String)) -> Problem {
        match self.lexical.take() {
            Some((at, lexical)) if at.offset < syntax_at.offset => error(at, lexical),
            _ => error(syntax_at, message),
        }
    }

    /// The parser's error on the root's text, the previous elements replaced by `0`, and the
    /// bytes kept from the previous element's end on.
    fn window_error(&self, end: Pos) -> Option<(Pos, String)> {
        let mut text = self.prefix.clone();
        if self.elements > 0 {
            // A stand-in of the same kind as the last element, so that the bytes after it are
            // read as they are after that element.
            text.extend_from_slice(match self.last_kind {
                b'{' => b"{}",
                b'[' => b"[]",
                b'"' => b"\"\"",
                _ => b"0",
            });
        }
        let cut = text.len();
        text.extend_from_slice(&self.tail);
        let text = String::from_utf8_lossy(&text);
        let prefix_text = String::from_utf8_lossy(&self.prefix);
        let tail_text = String::from_utf8_lossy(&self.tail);
        match parse_to_ast(&text, &CollectOptions::default(), &strict_options()) {
            Err(err) => {
                let (offset, message) = syntax_error(&err, text.len());
                let at = match offset {
                    None => end,
                    Some(o) if o < self.prefix.len() => Pos::START.shift(o, super::validate::line_col(&prefix_text, o)),
                    Some(o) => {
                        let local = o.saturating_sub(cut);
                        self.tail_pos.shift(local, super::validate::line_col(&tail_text, local))
                    }
                };
                Some((at, message))
            }
            // The scan stopped at a character the parser takes for white space.
            Ok(_) => None,
        }
    }

    /// The document parsed as its root without the elements of `features`, plus the
    /// elements' problems.
    fn finish_skeleton(&mut self, end: Pos) -> Vec<Problem> {
        let cut = self.prefix.len();
        let mut bytes = std::mem::take(&mut self.prefix);
        bytes.extend_from_slice(&self.suffix);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let prefix_index = LineIndex::new(text.get(..cut).unwrap_or_default());
        let suffix_text = text.get(cut..).unwrap_or_default();
        let suffix_index = LineIndex::new(suffix_text);
        let suffix_pos = self.suffix_pos;
        let prefix_text = text.get(..cut).unwrap_or_default();
        let map = |o: usize| {
            if o < cut {
                let (line, col) = prefix_index.line_col(prefix_text, o);
                Pos { offset: o, line, col }
            } else {
                let local = o - cut;
                suffix_pos.shift(local, suffix_index.line_col(suffix_text, local))
            }
        };
        let parsed = parse_to_ast(&text, &CollectOptions::default(), &strict_options());
        let root = match parsed {
            Err(err) => {
                let (offset, message) = syntax_error(&err, text.len());
                let at = offset.map_or(end, map);
                return vec![self.first_of((at, message))];
            }
            Ok(result) => result.value,
        };
        if let Some((at, message)) = self.lexical.take() {
            return vec![error(at, message)];
        }
        let Some(Value::Object(root)) = root else {
            // Not reachable: the scan saw the root object.
            return Vec::new();
        };
        let features_at =
            root.properties.iter().position(|p| matches!(&p.value, Value::Array(a) if a.range.start + 1 == cut));
        // Value-level checks: the root's repeated names, then its members from the last.
        let mut all = Seq::default();
        let mut sink = Sink::default();
        let mut seen: HashSet<&str> = HashSet::new();
        for prop in &root.properties {
            let (name, offset) = prop_name(prop);
            if !seen.insert(name) {
                sink.push(offset, format!("duplicate member name \"{name}\" in the same object"));
            }
        }
        all.append(Seq::from_sink(sink, map));
        let every = std::mem::take(&mut self.every);
        let mut every = Some(every);
        for (i, prop) in root.properties.iter().enumerate().rev() {
            if Some(i) == features_at {
                if let Some(e) = every.take() {
                    all.append(e.into_seq());
                }
                continue;
            }
            let mut sink = Sink::default();
            check_every_value(&prop.value, &mut sink);
            all.append(Seq::from_sink(sink, map));
        }
        // Structure checks of the root, then of the features.
        let projected = root.get("crs").is_some_and(|crs| !crs_verdict(&crs.value).is_lon_lat());
        let mut sink = Sink { projected, ..Sink::default() };
        check_geojson(&root, Slot::Root, &mut sink);
        all.append(Seq::from_sink(sink, map));
        let first_features = root.properties.iter().position(|p| p.name.as_str() == "features");
        if is_feature_collection(&root) && first_features.is_some() && first_features == features_at {
            all.append(std::mem::take(if projected { &mut self.projected } else { &mut self.lon_lat }));
        }
        all.into_problems()
    }
}

impl Pos {
    /// The start of the text.
    const START: Self = Self { offset: 0, line: 1, col: 1 };

    /// The position after a one-byte ASCII token at `self`.
    fn next(self) -> Self {
        Self { offset: self.offset + 1, line: self.line, col: self.col + 1 }
    }
}

/// A byte inside a string that ends nothing, escapes nothing and is no control character.
fn is_plain(b: u8) -> bool {
    b != b'"' && b != b'\\' && b >= 0x20
}

/// How many bytes at the start of `run` are [`is_plain`], found eight at a time.
fn plain_len(run: &[u8]) -> usize {
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The high bit of each zero byte of `x`, exactly (no borrow crosses bytes).
    let zero = |x: u64| !(((x & LOW) + LOW) | x | LOW);
    let mut i = 0;
    while let Some(chunk) = run.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let word = u64::from_le_bytes(*chunk);
        // Bytes below 0x20: high bit clear, and below 0x20 without it.
        let control = !(((word & LOW) + ONES * (0x80 - 0x20)) | word) & !LOW;
        let special = zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\'))) | control;
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let rest = run.get(i..).unwrap_or_default();
    i + rest.iter().position(|&c| !is_plain(c)).unwrap_or(rest.len())
}

/// A byte outside strings that changes nothing but the position (one column): printable
/// ASCII that opens or closes nothing and starts no string.
fn is_inert(b: u8) -> bool {
    (0x20..0x7F).contains(&b) && !matches!(b, b'"' | b'[' | b']' | b'{' | b'}')
}

/// Whether `validate` checks a root object's `features` elements as Features: its `type` is
/// `FeatureCollection` (in any case, which is reported but checked on).
fn is_feature_collection(root: &Object<'_>) -> bool {
    root.get("type")
        .is_some_and(|t| matches!(&t.value, Value::StringLit(s) if s.value.eq_ignore_ascii_case("FeatureCollection")))
}

/// An error at `at`.
fn error(at: Pos, message: String) -> Problem {
    Problem { line: at.line, col: at.col, message, severity: Severity::Error }
}

/// The problems of one element of `features`, to be recorded in element order
/// ([`Streamer::record`]).
struct Checked {
    /// Its value-level problems.
    every: Seq,
    /// Its structure problems if the root's `crs` says lon/lat, and if it names another
    /// system; `None` when it has none as lon/lat.
    structure: Option<(Seq, Seq)>,
    /// Its outline, when it has no problems (and the quick check saw it).
    outline: Option<Outline>,
}

/// Checks one element of `features` (its `text` starts at `at`); `None` if it does not parse.
fn check_element(text: &str, index: usize, at: Pos) -> Option<Checked> {
    if let Some(outline) = fast::outline(text) {
        // What the checks below give a Feature they find nothing wrong with.
        return Some(Checked { every: Seq::default(), structure: None, outline: Some(outline) });
    }
    let parsed = parse_to_ast(text, &CollectOptions::default(), &strict_options()).ok()?;
    let value = parsed.value?;
    let index_cell = std::cell::OnceCell::new();
    let map = |o: usize| at.shift(o, index_cell.get_or_init(|| LineIndex::new(text)).line_col(text, o));
    let mut sink = Sink::default();
    check_every_value(&value, &mut sink);
    let every = Seq::from_sink(sink, map);
    let structure = |as_projected: bool| {
        let mut sink = Sink { projected: as_projected, ..Sink::default() };
        match &value {
            Value::Object(f) => check_geojson(f, Slot::Feature, &mut sink),
            other => sink.push(
                start_of(other),
                format!("features[{index}] must be a Feature object, found {}", kind_name(other)),
            ),
        }
        Seq::from_sink(sink, map)
    };
    let as_lon_lat = structure(false);
    if as_lon_lat.is_empty() {
        // Without problems as lon/lat, there are none when range checks are skipped either.
        return Some(Checked { every, structure: None, outline: None });
    }
    let as_projected = structure(true);
    Some(Checked { every, structure: Some((as_lon_lat, as_projected)), outline: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streamed (threshold 0, so every document streams) and whole results must be equal;
    /// and so must they when the document comes a few bytes at a time, so that most chunks
    /// start inside the `features` array and their elements are checked in parallel (a
    /// syntax error inside an element then falls back to the serial checks).
    fn same(doc: &[u8]) {
        let whole = validate_bytes(doc);
        let streamed = validate_reader_with(doc, 0, u64::MAX).unwrap();
        assert_eq!(streamed, whole, "document: {:?}", String::from_utf8_lossy(doc));
        for piece in [5, 61] {
            let trickled = validate_reader_with(Trickle(doc, piece), 0, u64::MAX).unwrap();
            assert_eq!(trickled, whole, "in pieces of {piece}: {:?}", String::from_utf8_lossy(doc));
            let mut checked = Vec::new();
            let elements = stream_elements(Trickle(doc, piece), u64::MAX, true, |i, text, _| {
                checked.push((i, text.to_owned()));
                Ok::<(), ()>(())
            })
            .unwrap();
            let mut unchecked = Vec::new();
            stream_elements(doc, u64::MAX, false, |i, text, _| {
                unchecked.push((i, text.to_owned()));
                Ok::<(), ()>(())
            })
            .unwrap();
            assert_eq!(elements.problems, whole, "elements in pieces of {piece}: {:?}", String::from_utf8_lossy(doc));
            if !has_errors(&whole) {
                assert_eq!(checked, unchecked);
            }
        }
    }

    fn has_errors(problems: &[Problem]) -> bool {
        problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// A reader giving at most `.1` bytes at a time.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            let (head, rest) = self.0.split_at(n);
            if let Some(to) = buf.get_mut(..n) {
                to.copy_from_slice(head);
            }
            self.0 = rest;
            Ok(n)
        }
    }

    /// Many features, one with a syntax error in the middle: the chunk holding it is checked
    /// again serially and the error named where the whole parser names it.
    #[test]
    fn a_syntax_error_inside_a_feature_checked_in_parallel_is_named_as_before() {
        let feature = "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [1.5, 2]}, \"properties\": {\"a\": [1, {\"b\": null}], \"n\": -1e3}}";
        let many = vec![feature; 300].join(",\n  ");
        let good = format!("{{\"type\": \"FeatureCollection\", \"features\": [\n  {many}\n]}}");
        assert!(validate_bytes(good.as_bytes()).is_empty());
        same(good.as_bytes());
        let at = good.len() / 2;
        let cut = good.get(at..).unwrap().find("\"properties\"").unwrap() + at;
        let mut bad = good.clone();
        bad.replace_range(cut - 2..cut - 1, "");
        assert!(has_errors(&validate_bytes(bad.as_bytes())));
        same(bad.as_bytes());
        let duplicate = good.replacen("\"n\": -1e3", "\"n\": -1e3, \"n\": 1", 200);
        assert!(!validate_bytes(duplicate.as_bytes()).is_empty());
        same(duplicate.as_bytes());
        let mut chunked = Vec::new();
        let streamed = validate_reader_with(Trickle(bad.as_bytes(), 4096), 0, u64::MAX).unwrap();
        chunked.extend(streamed);
        assert_eq!(chunked, validate_bytes(bad.as_bytes()));
    }

    const BASE: &str = concat!(
        "{\"type\": \"FeatureCollection\", \"name\": \"x\",\r\n \"features\": [\n",
        "  {\"type\": \"Feature\", \"id\": 1, \"geometry\": {\"type\": \"Point\", \"coordinates\": [69.5, 37.2]}, \"properties\": {\"name\": \"Qal\u{02bf}a\"}},\n",
        "  {\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [200, 95]}, \"properties\": null, \"bbox\": [1, 2, 3]},\r\n",
        "  {\"type\": \"Feature\", \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0],[1,1],[0,2]]]}, \"properties\": {\"a\": 1e400, \"a\": 2}},\r",
        "  {\"type\": \"feature\", \"geometry\": null},\n",
        "  5, \"text\", null, [1, 2],\n",
        "  {\"type\": \"Feature\", \"geometry\": {\"type\": \"LineString\", \"coordinates\": [[190, 10]]}, \"properties\": {}, \"features\": []}\n",
        " ], \"bbox\": [-10, 5, 10, 4], \"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"EPSG:4326\"}}}\n"
    );

    #[test]
    fn the_base_document_streams_to_the_same_problems() {
        assert!(validate_bytes(BASE.as_bytes()).len() > 10);
        same(BASE.as_bytes());
        same(BASE.replace("EPSG:4326", "EPSG:3857").as_bytes());
        same(format!("\u{FEFF}{BASE}").as_bytes());
        same(BASE.replace("\"FeatureCollection\"", "\"featurecollection\"").as_bytes());
        same(BASE.replace("\"type\": \"FeatureCollection\", ", "").as_bytes());
        same(BASE.replace("\"FeatureCollection\"", "\"Feature\"").as_bytes());
        same(BASE.replace("\"name\": \"x\"", "\"features\": 1").as_bytes());
        same(BASE.replace("\"name\": \"x\"", "\"feat\\u0075res\": 1").as_bytes());
        same(BASE.replace("\"crs\"", "\"features\"").as_bytes());
        same(b"[1, 2]");
        same(b"  \"x\" ");
        same(b"");
        same(b"\xEF\xBB\xBF");
        same(b"{\"features\": []}");
        same(b"{\"type\": \"FeatureCollection\", \"features\": [] } {}");
        same(b"{\"type\": \"FeatureCollection\", \"features\": [ ] , }");
    }

    #[test]
    fn every_mutation_of_the_base_document_streams_to_the_same_problems() {
        let base = BASE.as_bytes();
        let inserts: [&[u8]; 12] =
            [b",", b"]", b"}", b"[", b"{", b"\"", b"x", b"\n", b"\x01", "\u{a0}".as_bytes(), b"\xff", b"\\"];
        for i in 0..=base.len() {
            let (head, tail) = base.split_at(i);
            same(head);
            if let Some(rest) = tail.get(1..) {
                same(&[head, rest].concat());
            }
            for ins in inserts {
                same(&[head, ins, tail].concat());
            }
        }
    }

    #[test]
    fn random_multiple_mutations_stream_to_the_same_problems() {
        let base = format!(
            "{}\n{}",
            BASE.replace("5, \"text\"", "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"GeometryCollection\",\"geometries\":[{\"type\":\"Point\",\"coordinates\":[1,2,3]},{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[0,0]]]]}]}}, \"a\\\"b\\\\\""),
            "  "
        );
        let pieces: [&[u8]; 16] = [
            b",",
            b"]",
            b"}",
            b"[",
            b"{",
            b"\"",
            b"x",
            b"\n",
            b"\r",
            b"\x01",
            "\u{a0}".as_bytes(),
            b"\\",
            b":",
            b"1e999",
            b"null",
            b" ",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..3000 {
            let mut doc = base.as_bytes().to_vec();
            for _ in 0..=next(3) {
                let at = next(doc.len() + 1);
                match next(3) {
                    0 if at < doc.len() => {
                        doc.remove(at);
                    }
                    1 => {
                        let piece = pieces[next(pieces.len())];
                        doc.splice(at..at, piece.iter().copied());
                    }
                    _ => {
                        // Move a byte elsewhere.
                        if at < doc.len() {
                            let b = doc.remove(at);
                            let to = next(doc.len() + 1);
                            doc.insert(to, b);
                        }
                    }
                }
            }
            same(&doc);
        }
    }

    #[test]
    fn problems_past_the_cap_are_counted_as_the_whole_parser_counts_them() {
        let bad = "{\"type\":\"Feature\",\"geometry\":{\"type\":\"MultiPoint\",\"coordinates\":[[500,0],[1e999,1],[0,-100]]},\"properties\":{\"k\":1,\"k\":2}}";
        let good = "{\"type\":\"Feature\",\"geometry\":null,\"properties\":null}";
        for n in [300, 340, 400, 600, 1100] {
            let features: Vec<&str> = (0..n).map(|i| if i % 3 == 0 { good } else { bad }).collect();
            for crs in ["", "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:3857\"}},"] {
                let doc = format!(
                    "{{\"type\":\"FeatureCollection\",{crs}\"features\":[{}],\"x\":[1e999]}}",
                    features.join(",\n")
                );
                same(doc.as_bytes());
                let doc = format!(
                    "{{\"x\":1e999,\"type\":\"FeatureCollection\",\"features\":[{}]{}}}",
                    features.join(","),
                    if crs.is_empty() { String::new() } else { format!(",{}", crs.trim_end_matches(',')) }
                );
                same(doc.as_bytes());
            }
        }
    }

    #[test]
    fn deep_nesting_and_bad_utf8_anywhere_win() {
        let deep = format!("{}{}", "[".repeat(70), "]".repeat(70));
        same(BASE.replace("[1, 2]", &deep).as_bytes());
        let mut bad = BASE.as_bytes().to_vec();
        bad.extend_from_slice(b"\xC3");
        same(&bad);
        same(&[b"\xEF\xBB\xBF", BASE.replace("null,", "\u{1}\u{a0}").as_bytes(), b"\xC3x"].concat());
    }

    #[test]
    fn plain_runs_are_measured_as_byte_by_byte() {
        let text = "abcdefghij\u{e9}klmnopqrstuvwxyz0123456789 ~\u{7f}\u{2028}";
        for special in ["\"", "\\", "\u{0}", "\u{1f}", "\n", "\r", "\t"] {
            for at in 0..=text.len() {
                let Some((head, tail)) = text.get(..at).zip(text.get(at..)) else { continue };
                let run = format!("{head}{special}{tail}");
                let naive = run.bytes().position(|c| !is_plain(c)).unwrap_or(run.len());
                assert_eq!(plain_len(run.as_bytes()), naive, "{run:?}");
                assert_eq!(plain_len(head.as_bytes()), head.len());
            }
        }
    }

    #[test]
    fn a_document_larger_than_the_limit_held_is_refused() {
        let zeros = vec![0u8; 10_000];
        assert!(matches!(validate_reader_with(zeros.as_slice(), 0, 1000), Err(StreamError::TooMuchHeld)));
        // A streamed collection holds only one feature at a time.
        let feature = "{\"type\":\"Feature\",\"geometry\":null,\"properties\":null}";
        let doc = format!("{{\"type\":\"FeatureCollection\",\"features\":[{}]}}", vec![feature; 1000].join(","));
        assert_eq!(validate_reader_with(doc.as_bytes(), 0, 1000).unwrap(), Vec::<Problem>::new());
    }
}
