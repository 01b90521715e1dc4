//! Lists the files that go into a torrent, in a stable order, with the skip rule.
//!
//! Skip rule (inside a folder only; a file named on the command line is always
//! taken): a file or folder is left out when its name
//! - starts with `.` (hidden: `.DS_Store`, `._*` AppleDouble files, `.git`, …),
//! - ends with `.part`, `.!qB`, `.!ut`, `.crdownload` or `.partial` (downloads in progress),
//! - is `Thumbs.db` or `desktop.ini` (thumbnail and folder-view junk),
//!
//! or when it is not a regular file or folder (sockets, FIFOs, devices), or a
//! symlink to a folder (followed links could loop). Symlinks to files are
//! followed. Files are ordered by their whole relative path compared byte-wise
//! (`a b` < `a.x` < `a/x`), the order `mktorrent` uses, so both produce the same
//! info-hash from the same folder.

use std::fs::{self, File, Metadata};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::CreateError;

const SKIPPED_SUFFIXES: &[&str] = &[".part", ".!qB", ".!ut", ".crdownload", ".partial"];
const SKIPPED_NAMES: &[&str] = &["Thumbs.db", "desktop.ini"];

/// Whether a name found inside a folder is left out of the torrent.
pub fn is_skipped(name: &str) -> bool {
    name.starts_with('.')
        || SKIPPED_NAMES.contains(&name)
        || SKIPPED_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// One file of the torrent.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path components inside the torrent (below the torrent's name).
    pub components: Vec<String>,
    /// Where the data is read from.
    pub path: PathBuf,
    /// Resolved path, the identity the hash cache keys on.
    pub canonical: PathBuf,
    pub len: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// What a path on disk turns into.
#[derive(Debug)]
pub struct Listing {
    /// The file or folder name (before any `--name` override).
    pub name: String,
    /// A single-file torrent when the path is a file.
    pub single: bool,
    pub files: Vec<SourceFile>,
}

fn io_err(path: &Path, source: std::io::Error) -> CreateError {
    if source.kind() == std::io::ErrorKind::NotFound {
        CreateError::NotFound(path.to_path_buf())
    } else {
        CreateError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub(crate) fn mtime_ns(meta: &Metadata) -> i64 {
    match meta.modified().map(|t| t.duration_since(UNIX_EPOCH)) {
        Ok(Ok(d)) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Ok(Err(before_epoch)) => {
            -i64::try_from(before_epoch.duration().as_nanos()).unwrap_or(i64::MAX)
        }
        // Filesystems without modification times: the cache then keys on size alone.
        Err(_) => 0,
    }
}

/// A name as the torrent stores it: UTF-8, and no backslash (which the
/// server's upload check refuses, as Windows clients would split on it).
fn utf8_name(path: &Path, name: &std::ffi::OsStr) -> Result<String, CreateError> {
    name.to_str()
        .filter(|n| !n.contains('\\'))
        .map(str::to_owned)
        .ok_or_else(|| CreateError::BadName(path.display().to_string()))
}

/// Opens the file once so an unreadable file is reported before any hashing.
fn check_readable(path: &Path) -> Result<(), CreateError> {
    File::open(path).map(drop).map_err(|e| io_err(path, e))
}

/// Lists `root` (a file or a folder).
pub fn list(root: &Path) -> Result<Listing, CreateError> {
    let meta = fs::metadata(root).map_err(|e| io_err(root, e))?;
    let canonical_root = fs::canonicalize(root).map_err(|e| io_err(root, e))?;
    // `.` or `dir/..` have no usable file name; the resolved path does.
    let name_os = canonical_root
        .file_name()
        .ok_or_else(|| CreateError::BadName(root.display().to_string()))?;
    let name = utf8_name(root, name_os)?;
    if meta.is_file() {
        check_readable(root)?;
        let file = SourceFile {
            components: Vec::new(),
            path: root.to_path_buf(),
            canonical: canonical_root,
            len: meta.len(),
            mtime_ns: mtime_ns(&meta),
        };
        return Ok(Listing {
            name,
            single: true,
            files: vec![file],
        });
    }
    if !meta.is_dir() {
        return Err(CreateError::NotAFileOrFolder(root.to_path_buf()));
    }
    let mut files = Vec::new();
    walk_dir(root, &canonical_root, &mut Vec::new(), &mut files)?;
    files.sort_by_cached_key(|f| f.components.join("/"));
    Ok(Listing {
        name,
        single: false,
        files,
    })
}

fn walk_dir(
    dir: &Path,
    canonical_dir: &Path,
    prefix: &mut Vec<String>,
    out: &mut Vec<SourceFile>,
) -> Result<(), CreateError> {
    let entries = fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let path = entry.path();
        let name = utf8_name(&path, &entry.file_name())?;
        if is_skipped(&name) {
            continue;
        }
        let file_type = entry.file_type().map_err(|e| io_err(&path, e))?;
        if file_type.is_dir() {
            prefix.push(name);
            walk_dir(
                &path,
                &canonical_dir.join(&prefix[prefix.len() - 1]),
                prefix,
                out,
            )?;
            prefix.pop();
            continue;
        }
        let (meta, canonical) = if file_type.is_symlink() {
            let meta = fs::metadata(&path).map_err(|e| io_err(&path, e))?;
            if !meta.is_file() {
                continue;
            }
            (meta, fs::canonicalize(&path).map_err(|e| io_err(&path, e))?)
        } else if file_type.is_file() {
            (
                entry.metadata().map_err(|e| io_err(&path, e))?,
                canonical_dir.join(&name),
            )
        } else {
            continue;
        };
        check_readable(&path)?;
        let mut components = prefix.clone();
        components.push(name);
        out.push(SourceFile {
            components,
            path,
            canonical,
            len: meta.len(),
            mtime_ns: mtime_ns(&meta),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_rule() {
        for name in [
            ".DS_Store",
            "._movie.mkv",
            "movie.mkv.part",
            "movie.mkv.!qB",
            "a.!ut",
            "x.crdownload",
            "Thumbs.db",
            ".git",
        ] {
            assert!(is_skipped(name), "{name} should be skipped");
        }
        for name in [
            "movie.mkv",
            "partial.mkv",
            "Season 01",
            "qB.txt",
            "thumbs.db.mkv",
        ] {
            assert!(!is_skipped(name), "{name} should be kept");
        }
    }
}
