//! Atomic file writes: a temporary file in the same folder, `fsync`, rename, folder `fsync`.
//!
//! A crash or a full disk mid-write leaves the previous file as it was. One way for every
//! writer (GeoJSON, CSV, GeoPackage, projects, exports): [`Staged`] is a temporary file next
//! to the target, made with `tempfile` (unique name, removed when dropped), which
//! [`Staged::commit`] makes durable and renames over the target. On top of a plain
//! temp-and-rename it
//! - keeps the mode of the file it replaces (a `0600` layer stays `0600`); a new file gets the
//!   usual `0666` less the umask;
//! - writes through a symbolic link to the file it points at, instead of replacing the link;
//! - removes temporary files that an earlier, killed write of the same target left behind
//!   (`.NAME.tmp-PID-…` whose process is gone);
//! - refuses to replace a read-only file (no write permission bit at all, e.g. `chmod 444`):
//!   renaming over it would succeed on Unix, but whoever made it read-only meant it. The
//!   permission bits decide, not `access(2)`, so the refusal holds for root too.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The marker between a target's name and the writer's process id in temporary names.
const TMP_MARK: &str = ".tmp-";

/// What the refusal to replace a read-only file says (after the file's name), so callers
/// can tell it from other failures and offer to save elsewhere.
pub const READ_ONLY: &str = "is read-only";

/// A temporary file next to `target`, to be written and then [`Staged::commit`]ted over it.
/// Dropping it without committing removes the temporary file and leaves the target alone.
#[derive(Debug)]
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
    dir: PathBuf,
}

impl Staged {
    /// Creates the temporary file in `target`'s folder (after resolving a symbolic link at
    /// `target`). Also removes stale temporary files of the same target (see module docs).
    ///
    /// # Errors
    /// A read-only `target` is refused ([`std::io::ErrorKind::PermissionDenied`], naming the
    /// file) before anything is written; so is a folder that cannot hold the temporary file.
    pub fn new(target: &Path) -> std::io::Result<Self> {
        let target = resolve_link(target);
        refuse_read_only(&target)?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().map_or_else(|| "out".to_owned(), |n| n.to_string_lossy().into_owned());
        remove_stale_temporaries(&dir, &name);
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}{TMP_MARK}{}-", std::process::id()))
            .tempfile_in(&dir)
            .map_err(|e| folder_refused(&dir, &e))?;
        Ok(Self { tmp, target, dir })
    }

    /// The temporary file's path (for writers that open the file themselves, like SQLite).
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The temporary file, to write into.
    pub fn file_mut(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// The file that [`Staged::commit`] will replace.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes the temporary file to disk, gives it the target's mode, renames it over the
    /// target and makes the rename durable. On error the target is unchanged and the
    /// temporary file is removed.
    pub fn commit(self) -> std::io::Result<()> {
        let Self { tmp, target, dir } = self;
        tmp.as_file().sync_all()?;
        set_mode_for(tmp.path(), &target)?;
        tmp.persist(&target).map_err(|e| e.error)?;
        // Make the rename itself durable; not all platforms can open a folder, so this is
        // best effort.
        if let Ok(d) = File::open(&dir) {
            d.sync_all().ok();
        }
        Ok(())
    }
}

/// Why no temporary file could be made in `dir`, naming the folder rather than the temporary
/// file's own name (found by a new user: "x.gpkg: No such file or directory (os error 2) at
/// path \"/tmp/nope/.x.gpkg.tmp-23696-5HHJqD\"" for a folder that does not exist). The kind is
/// kept, so callers still tell a missing folder from a read-only one.
fn folder_refused(dir: &Path, e: &std::io::Error) -> std::io::Error {
    // `tempfile` writes the system's error, then " at path \"…\"" (`tempfile::error::PathError`,
    // whose inner error it does not hand out).
    let text = e.to_string();
    let cause = text.split_once(" at path \"").map_or(text.as_str(), |(cause, _)| cause);
    std::io::Error::new(e.kind(), format!("cannot make a file in the folder {}: {cause}", dir.display()))
}

/// Writes `bytes` to `path` atomically. On error the target is untouched and the temporary
/// file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut staged = Staged::new(path)?;
    staged.file_mut().write_all(bytes)?;
    staged.commit()
}

/// Writes `path` atomically through `write`, which gets a buffered writer onto the
/// temporary file (a large output goes past the page cache: [`crate::io::direct`]). On any
/// error (from `write` or the disk) the target is untouched.
pub fn write_atomic_with<E>(
    path: &Path,
    write: impl FnOnce(&mut crate::io::direct::BlockWriter<'_>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<std::io::Error>,
{
    let mut staged = Staged::new(path)?;
    {
        let mut out = crate::io::direct::BlockWriter::new(staged.file_mut());
        write(&mut out)?;
        out.flush()?;
    }
    staged.commit()?;
    Ok(())
}

/// An error if `target` exists and its permission bits allow no one to write it.
fn refuse_read_only(target: &Path) -> std::io::Result<()> {
    match std::fs::metadata(target) {
        Ok(m) if m.is_file() && m.permissions().readonly() => Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{} {READ_ONLY}, so it was not replaced; save under another name, or make the file writable first",
                target.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// `path`, or the file a symbolic link at `path` points to (so a write replaces that file
/// rather than the link).
fn resolve_link(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
        _ => path.to_owned(),
    }
}

/// Gives the temporary file the permissions of the file it will replace; a new file gets
/// `0666` less the umask, as any program's new file would (tempfile makes `0600`).
#[cfg(unix)]
fn set_mode_for(tmp: &Path, target: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = match std::fs::metadata(target) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(_) => 0o666 & !current_umask(),
    };
    std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(mode))
}

/// Windows: a replaced file's read-only flag is kept; new files get the folder's defaults.
#[cfg(not(unix))]
fn set_mode_for(tmp: &Path, target: &Path) -> std::io::Result<()> {
    if let Ok(m) = std::fs::metadata(target) {
        std::fs::set_permissions(tmp, m.permissions())?;
    }
    Ok(())
}

/// The process umask, read from `/proc/self/status` where Linux offers it (no `unsafe`
/// call that would briefly change it); `022` otherwise.
#[cfg(unix)]
fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Umask:")).and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Removes `.NAME.tmp-PID…` files in `dir` left by writes of `NAME` whose process no longer
/// runs (on Linux, where `/proc` tells), or that are over a day old (elsewhere).
fn remove_stale_temporaries(dir: &Path, name: &str) {
    remove_stale_temporaries_of(dir, |target| target == name);
}

/// [`remove_stale_temporaries`] for every target `NAME` that `is_target` accepts (writes of
/// files named per session, like crash-recovery autosaves, never write the same name again).
pub(crate) fn remove_stale_temporaries_of(dir: &Path, is_target: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let own = std::process::id();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        // `.NAME.tmp-PID-RANDOM`: the random part has no dots, so the last mark is the one.
        let Some((target, rest)) =
            file_name.to_str().and_then(|n| n.strip_prefix('.')).and_then(|n| n.rsplit_once(TMP_MARK))
        else {
            continue;
        };
        if !is_target(target) {
            continue;
        }
        let pid: Option<u32> = rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|p| p.parse().ok());
        let stale = match pid {
            Some(pid) if pid == own => false,
            Some(pid) if Path::new("/proc/self").exists() => !Path::new(&format!("/proc/{pid}")).exists(),
            _ => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_hours(24)),
        };
        if stale && entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::remove_file(entry.path()).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.geojson");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failing_writer_leaves_the_old_file_intact_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.geojson");
        std::fs::write(&path, "old content").unwrap();
        let result = write_atomic_with(&path, |out| {
            out.write_all(b"half of the new")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old content");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is gone");
    }

    #[test]
    fn a_missing_folder_is_an_error_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder").join("a.geojson");
        let e = write_atomic(&path, b"new").unwrap_err();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // The message names the folder and the system's reason, not the temporary file.
        let folder = dir.path().join("missing-folder");
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        let text = e.to_string();
        assert!(text.starts_with(&format!("cannot make a file in the folder {}: ", folder.display())), "{text}");
        assert!(text.contains("os error 2") && !text.contains(TMP_MARK), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn an_overwrite_keeps_the_files_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("private.geojson");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"newer").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_gets_the_umask_mode_not_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.geojson");
        write_atomic(&path, b"x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !current_umask(), "{mode:o}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_written_through_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.geojson");
        let link = dir.path().join("link.geojson");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    /// Renaming over a `0444` file works on Unix (and root may write anything): the refusal
    /// comes from the permission bits, before anything is written, naming the file.
    #[cfg(unix)]
    #[test]
    fn a_read_only_file_is_not_replaced_even_by_root() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frozen.geojson");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = write_atomic(&path, b"new").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()) && text.contains(READ_ONLY), "{text}");
        let err = write_atomic_with(&path, |out| out.write_all(b"new")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        // Through a symbolic link too; and a file with any write bit is replaced as before.
        let link = dir.path().join("link.geojson");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(write_atomic(&link, b"new").is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn stale_temporaries_of_dead_writers_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.geojson");
        // A pid far above any pid_max is never alive; on non-Linux the age rule applies.
        let dead = dir.path().join(".big.geojson.tmp-4294967290");
        let dead_new_style = dir.path().join(".big.geojson.tmp-4294967291-AbC123");
        let other_file = dir.path().join(".other.geojson.tmp-4294967290");
        let mine = dir.path().join(format!(".big.geojson.tmp-{}-Live01", std::process::id()));
        for p in [&dead, &dead_new_style, &other_file, &mine] {
            std::fs::write(p, "partial").unwrap();
        }
        write_atomic(&path, b"new").unwrap();
        if Path::new("/proc/self").exists() {
            assert!(!dead.exists() && !dead_new_style.exists(), "stale temporaries removed");
        }
        assert!(other_file.exists(), "another file's temporary is not ours to remove");
        assert!(mine.exists(), "a live writer's temporary is kept");
    }
}
