//! How far a load has got, and a way to stop it: one [`Progress`] handle is shared (cheap
//! clones of one `Arc`) between the worker that loads a file and the window that draws its
//! progress bar and Cancel button.
//!
//! A loader reports as it goes — [`Progress::add_bytes`] for input consumed,
//! [`Progress::add_features`] for features made — every few thousand features
//! ([`REPORT_EVERY`]), and asks [`Progress::cancelled`] (or [`Progress::check`]) at the same
//! places; once cancelled it returns an error and no layer. Everything is atomics: reporting
//! never blocks, and reading a [`Snapshot`] from the UI thread never waits on the worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many features a loader makes between two reports (and cancel checks).
pub const REPORT_EVERY: usize = 4096;

/// A load was cancelled (by [`Progress::cancel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("loading cancelled")]
pub struct Cancelled;

/// The shared state of one load.
#[derive(Debug)]
struct Inner {
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
    features: AtomicU64,
    cancel: AtomicBool,
    /// Cancel by itself once this many features are reported (tests); `u64::MAX` = never.
    cancel_after: AtomicU64,
    started: Instant,
}

/// A load's progress and cancel flag, shared between threads (clone it to share; every clone
/// is the same load). `Progress::default()` is a fresh, uncancelled load with nothing done.
#[derive(Debug, Clone)]
pub struct Progress(Arc<Inner>);

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

/// What a load has done so far, read at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    /// Input bytes consumed.
    pub bytes_done: u64,
    /// Input bytes in all (0 when unknown, e.g. a pipe).
    pub bytes_total: u64,
    /// Features made.
    pub features: u64,
    /// Whether Cancel was asked.
    pub cancelled: bool,
    /// Time since the load started.
    pub elapsed: Duration,
}

impl Snapshot {
    /// The share of the input consumed, 0..=1 (`None` when the total is unknown).
    pub fn fraction(&self) -> Option<f32> {
        (self.bytes_total > 0).then(|| (self.bytes_done as f32 / self.bytes_total as f32).clamp(0.0, 1.0))
    }

    /// An estimate of the time left, from the rate so far (`None` until something is done
    /// or when the total is unknown).
    pub fn time_left(&self) -> Option<Duration> {
        if self.bytes_total == 0 || self.bytes_done == 0 || self.elapsed < Duration::from_millis(200) {
            return None;
        }
        let left = self.bytes_total.saturating_sub(self.bytes_done);
        let secs = self.elapsed.as_secs_f64() * left as f64 / self.bytes_done as f64;
        Some(Duration::from_secs_f64(secs.min(86_400.0)))
    }
}

impl Progress {
    /// A fresh load: nothing done, total unknown, not cancelled; the clock starts now.
    pub fn new() -> Self {
        Self(Arc::new(Inner {
            bytes_done: AtomicU64::new(0),
            bytes_total: AtomicU64::new(0),
            features: AtomicU64::new(0),
            cancel: AtomicBool::new(false),
            cancel_after: AtomicU64::new(u64::MAX),
            started: Instant::now(),
        }))
    }

    /// A load that cancels itself once `n` features have been reported (for tests of
    /// cancelling mid-load).
    pub fn cancel_after_features(n: u64) -> Self {
        let p = Self::new();
        p.0.cancel_after.store(n, Ordering::Relaxed);
        p
    }

    /// Sets the input's size in bytes (the file's length; leave 0 when unknown).
    pub fn set_total_bytes(&self, n: u64) {
        self.0.bytes_total.store(n, Ordering::Relaxed);
    }

    /// Counts `n` more input bytes consumed.
    pub fn add_bytes(&self, n: u64) {
        self.0.bytes_done.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets the input bytes consumed so far to `n`, if that is more than already counted
    /// (for loaders that know their offset rather than a step).
    pub fn set_bytes_done(&self, n: u64) {
        self.0.bytes_done.fetch_max(n, Ordering::Relaxed);
    }

    /// Counts `n` more features made.
    pub fn add_features(&self, n: u64) {
        let total = self.0.features.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        if total >= self.0.cancel_after.load(Ordering::Relaxed) {
            self.cancel();
        }
    }

    /// Asks the load to stop (from any thread; the loader stops at its next check).
    pub fn cancel(&self) {
        self.0.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether Cancel was asked.
    pub fn cancelled(&self) -> bool {
        self.0.cancel.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` when Cancel was asked, so a loader can write `progress.check()?`.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.cancelled() { Err(Cancelled) } else { Ok(()) }
    }

    /// What has been done so far.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            bytes_done: self.0.bytes_done.load(Ordering::Relaxed),
            bytes_total: self.0.bytes_total.load(Ordering::Relaxed),
            features: self.0.features.load(Ordering::Relaxed),
            cancelled: self.cancelled(),
            elapsed: self.0.started.elapsed(),
        }
    }
}

/// A reader of the input from its start that reports its offset into a [`Progress`] (as
/// [`Progress::set_bytes_done`], so reading the start twice counts once) and fails with an
/// I/O error wrapping [`Cancelled`] once the load is cancelled: a streaming parser over it
/// (csv, a JSON stream) reports bytes and stops without knowing about progress.
#[derive(Debug)]
pub struct ProgressReader<'p, R> {
    inner: R,
    progress: &'p Progress,
    offset: u64,
    /// `(input bytes, bytes of inner)` when `inner` stands for an input of another size.
    scale: Option<(u64, u64)>,
}

impl<'p, R: std::io::Read> ProgressReader<'p, R> {
    /// Wraps `inner` (read from the input's first byte), reporting into `progress`.
    pub fn new(inner: R, progress: &'p Progress) -> Self {
        Self { inner, progress, offset: 0, scale: None }
    }

    /// Wraps `inner`, `len` bytes long, that stands for `input_bytes` bytes of input (text
    /// made from the file, or a file counted elsewhere when `input_bytes` is 0): its offset
    /// is reported scaled to `input_bytes`.
    pub fn standing_for(inner: R, progress: &'p Progress, input_bytes: u64, len: u64) -> Self {
        Self { inner, progress, offset: 0, scale: Some((input_bytes, len.max(1))) }
    }
}

impl<R: std::io::Read> std::io::Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.progress.cancelled() {
            return Err(std::io::Error::other(Cancelled));
        }
        let n = self.inner.read(buf)?;
        self.offset += n as u64;
        let done = match self.scale {
            None => self.offset,
            Some((input, len)) => (u128::from(self.offset) * u128::from(input) / u128::from(len)) as u64,
        };
        self.progress.set_bytes_done(done);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_load() {
        let p = Progress::new();
        let worker = p.clone();
        worker.set_total_bytes(100);
        worker.add_bytes(40);
        worker.add_features(3);
        worker.set_bytes_done(30);
        let s = p.snapshot();
        assert_eq!((s.bytes_done, s.bytes_total, s.features, s.cancelled), (40, 100, 3, false));
        assert_eq!(s.fraction(), Some(0.4));
        assert!(p.check().is_ok());
        p.cancel();
        assert!(worker.cancelled());
        assert_eq!(worker.check(), Err(Cancelled));
    }

    #[test]
    fn a_reader_counts_bytes_and_stops_when_cancelled() {
        use std::io::Read as _;
        let p = Progress::new();
        let mut r = ProgressReader::new(&b"hello world"[..], &p);
        let mut buf = [0_u8; 5];
        assert_eq!(r.read(&mut buf).unwrap(), 5);
        assert_eq!(p.snapshot().bytes_done, 5);
        p.cancel();
        let e = r.read(&mut buf).unwrap_err();
        assert!(e.to_string().contains("cancelled"), "{e}");
    }

    #[test]
    fn cancels_itself_after_n_features() {
        let p = Progress::cancel_after_features(10);
        p.add_features(9);
        assert!(!p.cancelled());
        p.add_features(4);
        assert!(p.cancelled());
    }

    #[test]
    fn time_left_follows_the_rate() {
        let s = Snapshot {
            bytes_done: 25,
            bytes_total: 100,
            features: 0,
            cancelled: false,
            elapsed: Duration::from_secs(1),
        };
        assert_eq!(s.time_left(), Some(Duration::from_secs(3)));
        assert_eq!(Snapshot { bytes_total: 0, ..s }.time_left(), None);
    }
}
