//! Durable file operations. A file replaced with `write_atomic` is, after a crash at any
//! instant, either wholly the old content or wholly the new one; the function returns only
//! when the new content and the directory entry are on stable storage.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Suffix of files being written; any left after a crash are removed when the vault opens.
pub(crate) const TMP_SUFFIX: &str = ".tmp";

pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(TMP_SUFFIX);
    PathBuf::from(s)
}

/// Writes `bytes` to `path` via a temporary file: write, fsync, rename, fsync the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let result = (|| {
        let mut f = create_new_file(&tmp)?;
        f.write_all(bytes)
            .map_err(|e| Error::io("write", &tmp, e))?;
        f.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
        drop(f);
        rename(&tmp, path)?;
        sync_parent(path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates a file that must not exist yet, readable by the owner only.
pub(crate) fn create_new_file(path: &Path) -> Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    // A stale temporary file from a crash is ours to replace.
    if path.extension().is_some_and(|e| e == "tmp") {
        let _ = fs::remove_file(path);
    }
    opts.open(path).map_err(|e| Error::io("create", path, e))
}

pub(crate) fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|e| Error::io("rename", from, e))
}

/// Makes a directory entry change (create, rename, unlink) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync directory", dir, e))
}

pub(crate) fn sync_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => sync_dir(p),
        _ => sync_dir(Path::new(".")),
    }
}

pub(crate) fn create_dir(path: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
        .map_err(|e| Error::io("create directory", path, e))
}

/// Reads a whole file, refusing one larger than `max` bytes (vault files are hostile input).
pub(crate) fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>> {
    let f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut buf = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("read", path, e))?;
    if buf.len() as u64 > max {
        return Err(Error::Io {
            op: "read",
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "file is too large"),
        });
    }
    Ok(buf)
}

pub(crate) fn remove_file_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_file() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", Path::new("."), e))?;
        let p = dir.path().join("f");
        write_atomic(&p, b"one")?;
        write_atomic(&p, b"two")?;
        assert_eq!(read_capped(&p, 10)?, b"two");
        assert!(!tmp_path(&p).exists());
        assert!(read_capped(&p, 2).is_err(), "cap must be enforced");
        Ok(())
    }
}
