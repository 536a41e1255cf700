//! Write-back started while a large file is still being written, so that the one `fsync` of
//! an atomic write's commit ([`crate::io::atomic::Staged::commit`]) finds little left to write.
//!
//! The kernel holds written pages in memory until far more of them are dirty than a 1 GB
//! output makes (or for 30 s), so a writer that produces a file in 2 s and then syncs it waits
//! for the whole file to reach the disk after its work is done: 2.4 s for 878 MB here. A
//! [`SyncAhead`] runs a thread that, while the file grows, syncs what has been written so far
//! (`fdatasync` of a second handle on the same file), so the disk writes while the writer
//! computes. Durability is unchanged: the commit still syncs the whole file before renaming it;
//! nothing is renamed or made visible early.
//!
//! Where the output goes to the disk past the page cache ([`crate::io::direct`], Linux), its
//! blocks reach the disk as they are written and this thread finds little to sync; it matters
//! where the file system refuses direct writes, and on other platforms.
//!
//! For files written front to back (GeoJSON). Not for SQLite's GeoPackage: syncing while it
//! rewrites its pages stalled it (a 1M-feature convert took 52.8 s with it, 20.4 s without,
//! on a loaded machine).

use std::fs::File;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the thread looks at the file's size.
const INTERVAL: Duration = Duration::from_millis(50);

/// Growth, in bytes, that starts a sync.
const STEP: u64 = 8 << 20;

/// The background syncing of one file, stopped (and joined) when dropped.
#[derive(Debug)]
pub struct SyncAhead {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SyncAhead {
    /// Starts syncing `file` (a handle of its own is kept) as it grows.
    pub fn start(file: &File) -> std::io::Result<Self> {
        Ok(Self::run(file.try_clone()?))
    }

    /// Starts syncing the file at `path` as it grows (for a file another library writes).
    pub fn start_path(path: &Path) -> std::io::Result<Self> {
        Ok(Self::run(std::fs::OpenOptions::new().write(true).open(path)?))
    }

    fn run(file: File) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new().name("sync-ahead".to_owned()).spawn(move || {
            let mut synced = 0;
            loop {
                match stopped.recv_timeout(INTERVAL) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                let Ok(len) = file.metadata().map(|m| m.len()) else { return };
                // A failed sync is not this thread's to report: the commit's sync tells it.
                if len >= synced + STEP && file.sync_data().is_ok() {
                    synced = len;
                }
            }
        });
        // Without the thread the commit syncs everything, as it always does.
        Self { stop: Some(stop), thread: thread.ok() }
    }
}

impl Drop for SyncAhead {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// The file written while it syncs is the file written; dropping it stops the thread.
    #[test]
    fn a_file_synced_ahead_holds_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut file = File::create(&path).unwrap();
        let ahead = SyncAhead::start(&file).unwrap();
        let block = vec![7u8; 1 << 20];
        for _ in 0..20 {
            file.write_all(&block).unwrap();
        }
        std::thread::sleep(INTERVAL * 3);
        drop(ahead);
        file.sync_all().unwrap();
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len(), 20 << 20);
        assert!(back.iter().all(|&b| b == 7));
        let by_path = SyncAhead::start_path(&path).unwrap();
        drop(by_path);
        assert!(SyncAhead::start_path(&dir.path().join("missing")).is_err());
    }
}
