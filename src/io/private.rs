//! Private by default: the folders and files the app writes for itself (recovery autosaves,
//! pending journal entries, settings, the recent-projects list) are readable only by the
//! analyst who owns them.
//!
//! On Unix a private folder is `0700` and a private file `0600`; an existing folder or file
//! that is wider is narrowed. On Windows the per-user folders these live in (`%APPDATA%`)
//! already carry an ACL that only the user (and administrators) can read, which is the
//! equivalent default, so nothing more is done there.

use std::path::Path;

/// Mode of a private folder on Unix.
pub const DIR_MODE: u32 = 0o700;
/// Mode of a private file on Unix.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) and makes `dir` itself private. Parents that already
/// existed are left as they are; parents created here are private too.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    if !dir.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            std::fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(dir)?;
    }
    restrict(dir, DIR_MODE)
}

/// Writes `bytes` to `path` atomically (see [`crate::io::atomic`]) inside a private folder,
/// and makes the file private. The folder is created private first, so the file is never
/// readable by others, not even while it is being written.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    super::atomic::write_atomic(path, bytes)?;
    restrict(path, FILE_MODE)
}

/// [`write_private`] through `write`, which gets a buffered writer onto the temporary file
/// (a big layer's autosave is streamed, never held as one text).
pub fn write_private_with<E>(
    path: &Path,
    write: impl FnOnce(&mut super::direct::BlockWriter<'_>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<std::io::Error>,
{
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    super::atomic::write_atomic_with(path, write)?;
    restrict(path, FILE_MODE).map_err(E::from)
}

/// Narrows an existing file or folder to `mode` (Unix); a no-op elsewhere.
pub fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let current = std::fs::metadata(path)?.permissions().mode() & 0o7777;
        if current != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Makes eframe's settings folder private before eframe uses it: the folder `0700` and its
/// `app.ron` `0600` (eframe rewrites that file in place, so the mode it has is kept).
pub fn prepare_settings_dir(dir: &Path) -> std::io::Result<()> {
    create_private_dir(dir)?;
    let ron = dir.join("app.ron");
    if !ron.exists() {
        #[cfg(unix)]
        {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            // An empty map in RON: eframe starts from defaults, as for a missing file.
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(&ron)?;
            f.write_all(b"{}\n")?;
        }
        #[cfg(not(unix))]
        return Ok(());
    }
    restrict(&ron, FILE_MODE)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("metadata").permissions().mode() & 0o7777
    }

    #[test]
    fn new_folders_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a").join("b");
        write_private(&deep.join("x.json"), b"{}").unwrap();
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700, "created parents are private too");
        assert_eq!(mode(&deep.join("x.json")), 0o600);
        assert_eq!(std::fs::read(deep.join("x.json")).unwrap(), b"{}");
        // Overwriting keeps it private.
        write_private(&deep.join("x.json"), b"[]").unwrap();
        assert_eq!(mode(&deep.join("x.json")), 0o600);
    }

    #[test]
    fn wide_existing_folders_and_files_are_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("old");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(d.join("app.ron"), "{}").unwrap();
        std::fs::set_permissions(d.join("app.ron"), std::fs::Permissions::from_mode(0o644)).unwrap();
        prepare_settings_dir(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&d.join("app.ron")), 0o600);
        assert_eq!(std::fs::read_to_string(d.join("app.ron")).unwrap(), "{}", "content kept");
        let fresh = dir.path().join("fresh");
        prepare_settings_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        assert_eq!(mode(&fresh.join("app.ron")), 0o600);
    }
}
