//! Lexical path handling for project files: absolute forms, normalisation and the
//! relative-to-the-project-folder rule. No file-system access besides the current folder.

use std::path::{Component, Path, PathBuf};

/// How many `..` steps a stored relative path may take before it is stored absolute.
pub const MAX_PARENT_STEPS: usize = 2;

/// `path` made absolute (against the current folder) and normalised lexically: `.` dropped,
/// `..` applied to the preceding component. Symlinks are not resolved.
pub fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    normalize(&abs)
}

/// Removes `.` and resolves `..` lexically (a `..` that cannot be resolved is kept).
pub fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(c),
            },
            _ => parts.push(c),
        }
    }
    parts.iter().collect()
}

/// The folder a project's relative layer paths are resolved against (absolute).
pub fn project_dir(project_path: &Path) -> PathBuf {
    let abs = absolute(project_path);
    abs.parent().map_or_else(|| abs.clone(), Path::to_path_buf)
}

/// `target` as written in a project file in `dir`: a `/`-separated relative path when the
/// file is inside `dir` or at most [`MAX_PARENT_STEPS`] folders above it (and they share more
/// than the file-system root), otherwise the absolute path.
pub fn store(target: &Path, dir: &Path) -> String {
    let target = absolute(target);
    relative(&target, dir).unwrap_or_else(|| target.to_string_lossy().into_owned())
}

fn relative(target: &Path, dir: &Path) -> Option<String> {
    let t: Vec<Component<'_>> = target.components().collect();
    let d: Vec<Component<'_>> = dir.components().collect();
    let common = t.iter().zip(&d).take_while(|(a, b)| a == b).count();
    let shared_names = t.iter().take(common).filter(|c| matches!(c, Component::Normal(_))).count();
    let ups = d.len() - common;
    if shared_names == 0 || ups > MAX_PARENT_STEPS || common == t.len() {
        return None;
    }
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_owned(), ups).collect();
    for c in t.get(common..)? {
        match c {
            Component::Normal(name) => parts.push(name.to_str()?.to_owned()),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// A stored layer path resolved against the project folder `dir`.
pub fn resolve(stored: &str, dir: &Path) -> PathBuf {
    let p = Path::new(stored);
    if p.is_absolute() { normalize(p) } else { normalize(&dir.join(p)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn relative_rule() {
        let dir = Path::new("/home/u/maps");
        assert_eq!(store(Path::new("/home/u/maps/data/a.geojson"), dir), "data/a.geojson");
        assert_eq!(store(Path::new("/home/u/shared/a.geojson"), dir), "../shared/a.geojson");
        assert_eq!(store(Path::new("/home/v/x/a.geojson"), dir), "../../v/x/a.geojson");
        assert_eq!(store(Path::new("/mnt/a.geojson"), dir), "/mnt/a.geojson");
        assert_eq!(store(Path::new("/home/u/maps/./x/../a.geojson"), dir), "a.geojson");
        let deep = Path::new("/home/u/a/b/c");
        assert_eq!(store(Path::new("/home/x.geojson"), deep), "/home/x.geojson");
        assert_eq!(resolve("../shared/a.geojson", dir), Path::new("/home/u/shared/a.geojson"));
        assert_eq!(resolve("/abs/a.geojson", dir), Path::new("/abs/a.geojson"));
    }
}
