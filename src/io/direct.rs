//! The buffered writer of an atomic write ([`crate::io::atomic::write_atomic_with`]): large
//! outputs go to the disk past the page cache.
//!
//! A big output (an 878 MB `import acled`, a converted or saved 1M-feature layer) written the
//! usual way is copied into the kernel's page cache, then written to the disk by the commit's
//! `fsync`. On a virtual machine whose memory the host backs on first touch, that copy is the
//! slowest part of the write: 0.7–2.4 s for 881 MB into fresh cache pages here (`dd`), where
//! the same bytes written with `O_DIRECT` (from one reused buffer, straight to the disk) and
//! synced took 0.32–0.43 s. So once an output outgrows one [`BLOCK`], [`BlockWriter`] turns
//! on `O_DIRECT` (Linux) and writes whole aligned blocks; the last, partial block is written
//! the usual way after `O_DIRECT` is turned off again. Small outputs (projects, most layers)
//! never leave the usual path. A direct write returns when the disk has the bytes, so full
//! blocks are written by a thread of their own while the caller fills the next (at most
//! [`IN_FLIGHT`] blocks ahead): the caller computes while the disk writes.
//!
//! Nothing about durability or atomicity changes: the commit still syncs the whole file (the
//! metadata and the buffered tail) before renaming it. Where the file system refuses
//! `O_DIRECT` (tmpfs on older kernels, some network file systems) or a direct write fails for
//! its alignment (`EINVAL`), or writes short, the writer falls back to the usual writes for
//! the rest of the file and loses nothing; every other error is the caller's, as before.

use std::fs::File;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

/// Bytes held before a write: a multiple of [`ALIGN`].
pub const BLOCK: usize = 8 << 20;

/// The alignment direct writes need for their buffer, offset and length: the largest logical
/// block size of the disks in use (4 KiB), which also covers 512-byte sectors.
const ALIGN: usize = 4096;

/// Blocks filled but not yet written (one more is being filled meanwhile).
const IN_FLIGHT: usize = 2;

/// Whether writes go past the page cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not tried yet: the output has not outgrown one block.
    Untried,
    /// `O_DIRECT` is on: every write is a whole number of aligned blocks.
    Direct,
    /// The usual writes: tried and refused, turned off for the tail, or not on this platform.
    Buffered,
}

/// A writer onto `file` holding [`BLOCK`] bytes at a time, in buffers aligned for direct
/// writes (see the module docs). Full blocks are written by a thread of their own while the
/// next one fills, so the writer never waits for the disk unless it runs [`IN_FLIGHT`] blocks
/// ahead of it. [`Write::flush`] writes all it holds.
#[derive(Debug)]
pub struct BlockWriter<'f> {
    file: &'f mut File,
    buf: Aligned,
    /// Bytes of `buf` filled.
    held: usize,
    /// How blocks are written, as the last one was (the disk thread's, once it stopped).
    mode: Mode,
    /// Whether some block went past the page cache.
    went_direct: bool,
    /// The thread writing full blocks, started at the first one.
    disk: Option<Disk>,
    /// Buffers written and free to fill again.
    free: Vec<Aligned>,
}

/// A buffer of which `start..start + BLOCK` is aligned to [`ALIGN`].
#[derive(Debug)]
struct Aligned {
    bytes: Vec<u8>,
    start: usize,
}

impl Aligned {
    fn new() -> Self {
        // Zeroed memory is mapped on first touch: a small output touches only what it fills.
        let bytes = vec![0u8; BLOCK + ALIGN];
        let start = bytes.as_ptr().align_offset(ALIGN).min(ALIGN);
        Self { bytes, start }
    }

    fn block(&self) -> &[u8] {
        &self.bytes[self.start..self.start + BLOCK]
    }

    fn block_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..self.start + BLOCK]
    }
}

/// The thread writing full blocks in order: it gets them through `send` and gives each
/// buffer back through `back` once written; it ends at the first error, which it returns.
#[derive(Debug)]
struct Disk {
    send: SyncSender<Aligned>,
    back: Receiver<Aligned>,
    /// Buffers made for this writer so far.
    made: usize,
    thread: JoinHandle<std::io::Result<(Mode, bool)>>,
}

impl<'f> BlockWriter<'f> {
    /// A writer that writes `file` from its current position (a new, empty file).
    pub fn new(file: &'f mut File) -> Self {
        Self {
            file,
            buf: Aligned::new(),
            held: 0,
            mode: Mode::Untried,
            went_direct: false,
            disk: None,
            free: Vec::new(),
        }
    }

    /// The file written (for a second handle, e.g. [`crate::io::sync_ahead::SyncAhead`]).
    pub fn get_ref(&self) -> &File {
        self.file
    }

    /// Hands the full buffer to the disk thread (started now if need be) and takes a free one;
    /// written here when the thread cannot be started.
    fn write_block(&mut self) -> std::io::Result<()> {
        self.held = 0;
        if self.disk.is_none() {
            self.disk = self.start_disk();
        }
        let Some(disk) = self.disk.as_mut() else {
            let (mode, direct) = write_out(self.file, self.mode, self.buf.block())?;
            (self.mode, self.went_direct) = (mode, self.went_direct || direct);
            return Ok(());
        };
        let next = match disk.back.try_recv() {
            Ok(free) => free,
            Err(_) if disk.made < IN_FLIGHT + 1 => {
                disk.made += 1;
                self.free.pop().unwrap_or_else(Aligned::new)
            }
            Err(_) => match disk.back.recv() {
                Ok(free) => free,
                // The thread stopped: its error is told.
                Err(_) => return self.stop_disk().and(Err(std::io::Error::other("the disk writer stopped"))),
            },
        };
        let full = std::mem::replace(&mut self.buf, next);
        if disk.send.send(full).is_err() {
            return self.stop_disk().and(Err(std::io::Error::other("the disk writer stopped")));
        }
        Ok(())
    }

    /// Starts the thread that writes full blocks onto a second handle of the file.
    fn start_disk(&mut self) -> Option<Disk> {
        let file = self.file.try_clone().ok()?;
        let (send, blocks) = std::sync::mpsc::sync_channel::<Aligned>(IN_FLIGHT);
        let (give_back, back) = std::sync::mpsc::channel::<Aligned>();
        let mut mode = self.mode;
        let thread = std::thread::Builder::new()
            .name("disk-writer".to_owned())
            .spawn(move || {
                let mut direct = false;
                for block in blocks {
                    let (now, went) = write_out(&file, mode, block.block())?;
                    (mode, direct) = (now, direct || went);
                    // The writer may have finished with buffers: then this one is dropped.
                    give_back.send(block).ok();
                }
                Ok((mode, direct))
            })
            .ok()?;
        Some(Disk { send, back, made: 1, thread })
    }

    /// Waits for the disk thread to write what it was given, and takes over from it.
    fn stop_disk(&mut self) -> std::io::Result<()> {
        let Some(Disk { send, back, thread, .. }) = self.disk.take() else { return Ok(()) };
        drop(send);
        let (mode, direct) = thread.join().unwrap_or_else(|_| Err(std::io::Error::other("the disk writer failed")))?;
        (self.mode, self.went_direct) = (mode, self.went_direct || direct);
        self.free.extend(back.try_iter());
        Ok(())
    }
}

/// Writes `block` (whole aligned blocks) onto `file` written as `mode` says, trying direct
/// writes first when they are untried; gives the mode for the next block and whether this one
/// went past the page cache. A direct write the disk refuses for its alignment, or that comes
/// back short, turns direct writes off and the rest is written the usual way.
fn write_out(mut file: &File, mode: Mode, block: &[u8]) -> std::io::Result<(Mode, bool)> {
    let mode = match mode {
        Mode::Untried if set_direct(file, true) => Mode::Direct,
        Mode::Untried => Mode::Buffered,
        other => other,
    };
    let mut done = 0;
    if mode == Mode::Direct {
        while done < block.len() {
            match file.write(&block[done..]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                // A short direct write leaves the next offset unaligned: the rest goes the
                // usual way.
                Ok(n) if n % ALIGN != 0 => {
                    done += n;
                    buffered(file)?;
                    file.write_all(&block[done..])?;
                    return Ok((Mode::Buffered, true));
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // The file system takes no direct write after all (alignment, or a file system
                // that accepted the flag but not the write): nothing was written.
                Err(e) if e.raw_os_error() == Some(EINVAL) => {
                    buffered(file)?;
                    file.write_all(&block[done..])?;
                    return Ok((Mode::Buffered, done > 0));
                }
                Err(e) => return Err(e),
            }
        }
        return Ok((Mode::Direct, true));
    }
    file.write_all(block)?;
    Ok((mode, false))
}

/// Turns direct writes off for the rest of the file.
fn buffered(file: &File) -> std::io::Result<()> {
    if set_direct(file, false) { Ok(()) } else { Err(std::io::Error::other("cannot turn off direct writes")) }
}

/// `EINVAL`: what a direct write of a misaligned buffer, offset or length fails with.
const EINVAL: i32 = 22;

/// Turns `O_DIRECT` on or off for `file` (and every handle of the same open file); whether it
/// is now as asked.
#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> bool {
    use rustix::fs::OFlags;
    let Ok(flags) = rustix::fs::fcntl_getfl(file) else { return !on };
    let flags = if on { flags | OFlags::DIRECT } else { flags - OFlags::DIRECT };
    rustix::fs::fcntl_setfl(file, flags).is_ok()
}

/// Elsewhere writes always go through the cache.
#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &File, on: bool) -> bool {
    !on
}

impl Write for BlockWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.held == BLOCK {
            self.write_block()?;
        }
        let n = data.len().min(BLOCK - self.held);
        self.buf.block_mut()[self.held..self.held + n].copy_from_slice(&data[..n]);
        self.held += n;
        Ok(n)
    }

    fn write_all(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let n = self.write(data)?;
            data = &data[n..];
        }
        Ok(())
    }

    /// Writes all that is held, once the disk thread has written the blocks before it: the
    /// whole aligned blocks as they were, the rest (the end of the file, unless more is
    /// written after) the usual way, with direct writes off from then on.
    fn flush(&mut self) -> std::io::Result<()> {
        self.stop_disk()?;
        let held = std::mem::take(&mut self.held);
        let held_bytes = &self.buf.block()[..held];
        if self.mode == Mode::Direct {
            let whole = held - held % ALIGN;
            let (mode, _) = write_out(self.file, Mode::Direct, &held_bytes[..whole])?;
            if mode == Mode::Direct {
                buffered(self.file)?;
            }
            self.mode = Mode::Buffered;
            return self.file.write_all(&held_bytes[whole..]);
        }
        self.mode = match self.mode {
            Mode::Untried => Mode::Buffered,
            other => other,
        };
        self.file.write_all(held_bytes)
    }
}

impl Drop for BlockWriter<'_> {
    /// A writer dropped without a flush (its caller failed) still waits for its disk thread,
    /// which writes into the temporary file the caller then removes.
    fn drop(&mut self) {
        self.stop_disk().ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes that differ from block to block and within each.
    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8 ^ (i / BLOCK) as u8).collect()
    }

    #[test]
    fn a_file_of_several_blocks_and_a_tail_is_written_whole_past_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let data = bytes(2 * BLOCK + 3 * ALIGN + 123);
        let mut file = File::create(&path).unwrap();
        let mut w = BlockWriter::new(&mut file);
        // Pieces of awkward sizes, as a JSON writer hands them over.
        for piece in data.chunks(1_000_003) {
            w.write_all(piece).unwrap();
        }
        w.flush().unwrap();
        #[cfg(target_os = "linux")]
        let direct = w.went_direct;
        drop(w);
        file.sync_all().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        // A disk file system here takes direct writes (tmpfs may not: the test still holds).
        #[cfg(target_os = "linux")]
        if !is_tmpfs(dir.path()) {
            assert!(direct, "direct writes were not used");
        }
    }

    #[test]
    fn a_small_file_never_leaves_the_usual_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let data = bytes(5 * ALIGN + 7);
        let mut file = File::create(&path).unwrap();
        let mut w = BlockWriter::new(&mut file);
        w.write_all(&data).unwrap();
        w.flush().unwrap();
        assert_eq!(w.mode, Mode::Buffered);
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }

    #[test]
    fn writing_after_a_flush_goes_on_where_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let data = bytes(3 * BLOCK + 17);
        let mut file = File::create(&path).unwrap();
        let mut w = BlockWriter::new(&mut file);
        let (a, b) = data.split_at(BLOCK + ALIGN + 5);
        w.write_all(a).unwrap();
        w.flush().unwrap();
        w.write_all(b).unwrap();
        w.flush().unwrap();
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }

    /// A writer dropped without a flush (its caller failed) waits for the blocks it handed
    /// to the disk thread, and no more is written.
    #[test]
    fn a_writer_dropped_unflushed_stops_after_the_blocks_it_handed_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let data = bytes(3 * BLOCK + 5);
        let mut file = File::create(&path).unwrap();
        let mut w = BlockWriter::new(&mut file);
        w.write_all(&data).unwrap();
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), data[..3 * BLOCK]);
    }

    /// Whether `dir` is on tmpfs, where direct writes may be refused.
    #[cfg(target_os = "linux")]
    fn is_tmpfs(dir: &std::path::Path) -> bool {
        rustix::fs::statfs(dir).is_ok_and(|s| s.f_type == 0x0102_1994)
    }
}
