//! Reading an input file once, safely: regular files up to [`MAX_FILE_BYTES`], and pipes,
//! FIFOs and devices up to [`MAX_STREAM_BYTES`] (a `/dev/zero` must not allocate until the
//! process aborts). Every reader of user files goes through [`read_input`], so a FIFO is
//! read exactly once (validate and load see the same bytes) and every message names the file.

use std::io::Read as _;
use std::path::{Path, PathBuf};

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
}

impl ReadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. }
            | Self::Folder { path }
            | Self::TooLarge { path, .. }
            | Self::EndlessStream { path } => path,
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
    read_input_limited(path, MAX_FILE_BYTES, MAX_STREAM_BYTES)
}

/// [`read_input`] with explicit limits (tests use small ones).
pub fn read_input_limited(path: &Path, max_file: u64, max_stream: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
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
    let mut bytes = Vec::new();
    file.take(max_stream + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max_stream {
        return Err(ReadError::EndlessStream { path: path.to_owned() });
    }
    Ok(bytes)
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
        let e = read_input_limited(&path, 1000, 1000).unwrap_err();
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
        let e = read_input_limited(Path::new("/dev/zero"), 1000, 4096).unwrap_err();
        assert!(matches!(e, ReadError::EndlessStream { .. }), "{e}");
        assert!(e.to_string().contains("/dev/zero: is not a regular file"), "{e}");
    }
}
