//! Reading an input file once, safely: regular files up to [`MAX_FILE_BYTES`], and pipes,
//! FIFOs and devices up to [`MAX_STREAM_BYTES`] (a `/dev/zero` must not allocate until the
//! process aborts). Every reader of user files goes through [`read_input`], so a FIFO is
//! read exactly once (validate and load see the same bytes) and every message names the file.
//! The app's loads read through [`read_input_with`], which sees Cancel even while a FIFO waits
//! for its writer: on Unix a FIFO is opened without waiting (`O_NONBLOCK`) and then polled.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::progress::Progress;

/// Regular files larger than this are refused with a clear message instead of exhausting
/// memory.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Reads `reader` to its end a buffer (`buf`) at a time, handing each piece read to `each`;
/// a read interrupted by a signal is tried again. Stops at the first error, of either.
pub fn for_each_chunk<E: From<std::io::Error>>(
    mut reader: impl std::io::Read,
    buf: &mut [u8],
    mut each: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    loop {
        let n = match reader.read(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        each(buf.get(..n).unwrap_or_default())?;
    }
}

/// A size in MB for a message saying it is over a limit: rounded up, so a file a byte over
/// [`MAX_FILE_BYTES`] does not read as "2147 MB, larger than the 2147 MB this app loads".
pub fn megabytes_over(bytes: u64) -> u64 {
    bytes.div_ceil(1_000_000)
}

/// Pipes, FIFOs and character devices are read up to this many bytes; more is refused.
pub const MAX_STREAM_BYTES: u64 = 512 * 1024 * 1024;

/// Why an input file could not be read. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The OS refused (missing file, no permission…).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The path is a folder.
    #[error("{}: is a folder, not a file", path.display())]
    Folder {
        /// The path.
        path: PathBuf,
    },
    /// A regular file over [`MAX_FILE_BYTES`].
    #[error("{}: file is {size_mb} MB, larger than the {} MB this app loads", path.display(), MAX_FILE_BYTES / 1_000_000)]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in MB.
        size_mb: u64,
    },
    /// A pipe or device that gave more than [`MAX_STREAM_BYTES`].
    #[error(
        "{}: is not a regular file (a pipe, FIFO or device) and gave more than {} MB; stopped reading",
        path.display(),
        MAX_STREAM_BYTES / 1_000_000
    )]
    EndlessStream {
        /// The path.
        path: PathBuf,
    },
    /// The load was cancelled while the pipe, FIFO or device was read (or waited on).
    #[error("{}: reading cancelled", path.display())]
    Cancelled {
        /// The path.
        path: PathBuf,
    },
}

impl ReadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. }
            | Self::Folder { path }
            | Self::TooLarge { path, .. }
            | Self::EndlessStream { path }
            | Self::Cancelled { path } => path,
        }
    }
}

/// Whether `path` is a regular file (after following links). A FIFO, a device or a
/// missing file is not.
pub fn is_regular_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Reads `path` once, whole, within the limits of the module docs.
pub fn read_input(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_input_limited(path, MAX_FILE_BYTES, MAX_STREAM_BYTES, &Progress::new())
}

/// [`read_input`] for a load that can be cancelled: a pipe, FIFO or device reports its bytes
/// to `progress` as they arrive, and once `progress` is cancelled the read stops with
/// [`ReadError::Cancelled`] — even a FIFO that no writer has opened yet, which would
/// otherwise hold the loading thread in `open()` for ever.
pub fn read_input_with(path: &Path, progress: &Progress) -> Result<Vec<u8>, ReadError> {
    read_input_limited(path, MAX_FILE_BYTES, MAX_STREAM_BYTES, progress)
}

/// [`read_input_with`] with explicit limits (tests use small ones).
pub fn read_input_limited(
    path: &Path,
    max_file: u64,
    max_stream: u64,
    progress: &Progress,
) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io { path: path.to_owned(), source };
    let file = open_without_waiting(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(ReadError::Folder { path: path.to_owned() });
    }
    if meta.is_file() {
        if meta.len() > max_file {
            return Err(ReadError::TooLarge { path: path.to_owned(), size_mb: megabytes_over(meta.len()) });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        // `take` guards against a file that grows while it is read.
        file.take(max_file + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > max_file {
            return Err(ReadError::TooLarge { path: path.to_owned(), size_mb: megabytes_over(bytes.len() as u64) });
        }
        return Ok(bytes);
    }
    let mut stream = Stream::new(&file, progress).map_err(io)?;
    let mut bytes = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        if (bytes.len() + n) as u64 > max_stream {
            return Err(ReadError::EndlessStream { path: path.to_owned() });
        }
        bytes.extend_from_slice(buf.get(..n).unwrap_or_default());
        progress.add_bytes(n as u64);
    }
    if progress.cancelled() {
        return Err(ReadError::Cancelled { path: path.to_owned() });
    }
    Ok(bytes)
}

/// Opens `path` for reading. On Unix it is opened with `O_NONBLOCK`, so that opening a FIFO
/// does not wait for a writer (a regular file reads as it always does; [`Stream`] waits for
/// a FIFO's data by polling, and makes a device's reads blocking again).
fn open_without_waiting(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed());
    }
    options.open(path)
}

/// A pipe, FIFO or device being read for a load that may be cancelled: once the load is
/// cancelled, a read returns 0 (the end), and [`read_input_limited`] then says it was
/// cancelled.
struct Stream<'a> {
    file: &'a std::fs::File,
    progress: &'a Progress,
    /// A FIFO (or pipe) is waited on by polling; a device is read with blocking reads.
    #[cfg(unix)]
    fifo: bool,
}

impl<'a> Stream<'a> {
    fn new(file: &'a std::fs::File, progress: &'a Progress) -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            let fifo = file.metadata()?.file_type().is_fifo();
            if !fifo {
                // A device (a terminal, `/dev/zero`): blocking reads, as any reader does;
                // Cancel is seen between them.
                let flags = rustix::fs::fcntl_getfl(file)?;
                rustix::fs::fcntl_setfl(file, flags - rustix::fs::OFlags::NONBLOCK)?;
            }
            Ok(Self { file, progress, fifo })
        }
        #[cfg(not(unix))]
        Ok(Self { file, progress })
    }
}

impl std::io::Read for Stream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        if self.fifo {
            return self.read_fifo(buf);
        }
        if self.progress.cancelled() { Ok(0) } else { (&mut &*self.file).read(buf) }
    }
}

#[cfg(unix)]
impl Stream<'_> {
    /// Waits for a FIFO's data (or for its writer to close it) a tenth of a second at a time,
    /// asking between waits whether the load was cancelled. A FIFO that no writer has opened
    /// yet polls as empty, not as ended, so a late writer is waited for as a blocking read
    /// would wait for it.
    fn read_fifo(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let tenth = Timespec { tv_sec: 0, tv_nsec: 100_000_000 };
        loop {
            if self.progress.cancelled() {
                return Ok(0);
            }
            let mut fds = [PollFd::new(self.file, PollFlags::IN)];
            match poll(&mut fds, Some(&tenth)) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
            let ready = fds.first().map_or_else(PollFlags::empty, PollFd::revents);
            if ready.contains(PollFlags::NVAL) {
                return Err(std::io::Error::other("this FIFO cannot be waited on"));
            }
            if !ready.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR) {
                continue;
            }
            match (&mut &*self.file).read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_just_over_the_limit_is_told_as_bigger_than_it() {
        let over = ReadError::TooLarge { path: "big.csv".into(), size_mb: megabytes_over(MAX_FILE_BYTES + 1) };
        assert_eq!(over.to_string(), "big.csv: file is 2148 MB, larger than the 2147 MB this app loads");
    }

    #[test]
    fn a_regular_file_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.geojson");
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(read_input(&path).unwrap(), b"hello");
    }

    #[test]
    fn a_large_file_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.geojson");
        std::fs::write(&path, vec![b' '; 2000]).unwrap();
        let e = read_input_limited(&path, 1000, 1000, &Progress::new()).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { .. }));
        assert!(e.to_string().contains("big.geojson"), "{e}");
    }

    #[test]
    fn a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_input(dir.path()).unwrap_err();
        assert!(e.to_string().contains("is a folder"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_device_is_cut_off_with_a_message() {
        let e = read_input_limited(Path::new("/dev/zero"), 1000, 4096, &Progress::new()).unwrap_err();
        assert!(matches!(e, ReadError::EndlessStream { .. }), "{e}");
        assert!(e.to_string().contains("/dev/zero: is not a regular file"), "{e}");
    }

    /// Makes a FIFO in `dir`.
    #[cfg(unix)]
    fn fifo_in(dir: &Path) -> PathBuf {
        let fifo = dir.join("pipe.geojson");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success(), "mkfifo failed");
        fifo
    }

    /// A writer that comes late, and writes in two pieces with a pause between them, is
    /// waited for and read whole, its bytes counted as they arrive.
    #[cfg(unix)]
    #[test]
    fn a_fifo_written_late_and_in_pieces_is_read_whole() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let fifo = fifo_in(dir.path());
        let path = fifo.clone();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            f.write_all(b"{\"type\":").unwrap();
            f.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            f.write_all(b"\"FeatureCollection\",\"features\":[]}").unwrap();
        });
        let progress = Progress::new();
        let bytes = read_input_with(&fifo, &progress).unwrap();
        writer.join().unwrap();
        assert_eq!(bytes, br#"{"type":"FeatureCollection","features":[]}"#);
        assert_eq!(progress.snapshot().bytes_done, bytes.len() as u64);
    }
}
