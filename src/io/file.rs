//! Writing a model file atomically and reading one no larger than a bound.
//!
//! A save writes a temporary file beside its target, under a name no other
//! save picks (the process id, a counter and random bits), created with
//! exclusive creation so that nothing already there, a symbolic link
//! included, is opened or followed; the file is flushed to disk and then
//! renamed over the target.

use std::collections::hash_map::RandomState;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::ModelErrorKind;

/// Temporary names tried before a save gives up: each is fresh and random,
/// so more than one collision means something is planting files.
const TEMP_TRIES: usize = 64;

/// What a path names, for a message: `"a directory"`, `"a FIFO"`, ….
fn describe(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "something other than a file"
}

/// The file a save to `path` replaces: `path` itself, or the file a
/// symbolic link at `path` leads to (through any chain of links), with its
/// metadata if it exists. Anything but a regular file, a missing one or a
/// link to a regular file is refused.
fn target(path: &Path) -> Result<(PathBuf, Option<Metadata>), ModelErrorKind> {
    if path.file_name().is_none() {
        // "", "/", "..", "dir/..": nothing to name the file by
        return Err(match fs::metadata(path) {
            Ok(meta) if !meta.is_file() => ModelErrorKind::NotAFile { found: describe(&meta) },
            _ => ModelErrorKind::NotAFile { found: "no file name" },
        });
    }
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok((path.to_path_buf(), None)),
        Err(e) => return Err(ModelErrorKind::Io(e)),
    };
    let (target, meta) = if meta.file_type().is_symlink() {
        let target = match fs::canonicalize(path) {
            Ok(target) => target,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(ModelErrorKind::DanglingLink {
                    target: fs::read_link(path).unwrap_or_default(),
                });
            }
            Err(e) => return Err(ModelErrorKind::Io(e)),
        };
        let meta = fs::metadata(&target).map_err(ModelErrorKind::Io)?;
        (target, meta)
    } else {
        (path.to_path_buf(), meta)
    };
    if !meta.is_file() {
        return Err(ModelErrorKind::NotAFile { found: describe(&meta) });
    }
    Ok((target, Some(meta)))
}

/// A fresh temporary name for a save of `file_name`: hidden, with the
/// process id, a process-wide counter and 64 random bits.
fn temp_name(file_name: &OsStr) -> OsString {
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let count = SAVES.fetch_add(1, Ordering::Relaxed);
    // each RandomState has its own keys, drawn from the system's random
    // source once per thread and stepped for every new one
    let mut bits = RandomState::new().build_hasher();
    bits.write_u64(count);
    if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
        bits.write_u128(now.as_nanos());
    }
    // a short stem keeps the name within the file system's limit
    let stem: String = file_name.to_string_lossy().chars().take(64).collect();
    format!(".{stem}.{}-{count}-{:016x}.tmp", std::process::id(), bits.finish()).into()
}

/// Creates a new file in `dir` under the first name of `names` that is
/// free, never opening anything already there (`create_new` does not
/// follow a symbolic link either). On Unix the file gets `mode` if given
/// (exactly: the umask is undone), else the usual default.
fn create_temp(dir: &Path, names: &mut dyn FnMut() -> OsString, mode: Option<u32>) -> io::Result<(PathBuf, File)> {
    for _ in 0..TEMP_TRIES {
        let temp = dir.join(names());
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            // never more open than the target, even for a moment
            options.mode(mode);
        }
        match options.open(&temp) {
            Ok(file) => {
                #[cfg(unix)]
                if let Some(mode) = mode {
                    use std::os::unix::fs::PermissionsExt;
                    if let Err(e) = file.set_permissions(fs::Permissions::from_mode(mode)) {
                        drop(file);
                        let _ = fs::remove_file(&temp);
                        return Err(e);
                    }
                }
                #[cfg(not(unix))]
                let _ = mode;
                return Ok((temp, file));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        ErrorKind::AlreadyExists,
        format!("{TEMP_TRIES} fresh temporary names in {} were all taken", dir.display()),
    ))
}

/// Writes `bytes` to `path` atomically (see [`save`](super::save) for what
/// happens to each kind of thing already at `path`).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelErrorKind> {
    write_atomically_with(path, bytes, &mut temp_name)
}

/// [`write_atomically`] with the temporary names drawn from `names`
/// (given the target's file name), so a test can make them collide.
pub(crate) fn write_atomically_with(
    path: &Path,
    bytes: &[u8],
    names: &mut dyn FnMut(&OsStr) -> OsString,
) -> Result<(), ModelErrorKind> {
    let (target, existing) = target(path)?;
    let file_name = target
        .file_name()
        .ok_or(ModelErrorKind::NotAFile { found: "no file name" })?
        .to_os_string();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    let mode = existing.as_ref().map(|meta| {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o777
    });
    #[cfg(not(unix))]
    let mode = {
        let _ = &existing;
        None
    };
    let (temp, mut file) = create_temp(dir, &mut || names(&file_name), mode).map_err(ModelErrorKind::Io)?;
    let written = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &target)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(ModelErrorKind::Io(e));
    }
    // make the rename itself durable where the platform allows it
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads the file at `path` whole if it holds at most `limit` bytes: a
/// regular file's size is checked before anything is read, and anything
/// else (a device, a file that grows) is read no further than one byte
/// past the limit. A FIFO or socket is refused unopened: opening a FIFO
/// waits for a writer, which may never come.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, ModelErrorKind> {
    #[cfg(unix)]
    if let Ok(meta) = fs::metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_fifo() || meta.file_type().is_socket() {
            return Err(ModelErrorKind::NotAFile { found: describe(&meta) });
        }
    }
    let file = File::open(path).map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            ModelErrorKind::Missing
        } else {
            ModelErrorKind::Io(e)
        }
    })?;
    let meta = file.metadata().map_err(ModelErrorKind::Io)?;
    if meta.is_dir() {
        return Err(ModelErrorKind::NotAFile { found: "a directory" });
    }
    let size = meta.is_file().then_some(meta.len());
    if let Some(size) = size
        && size > limit
    {
        return Err(ModelErrorKind::TooLarge {
            size: Some(size),
            size_limit: limit,
        });
    }
    let mut bytes = Vec::with_capacity(size.unwrap_or(0) as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ModelErrorKind::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ModelErrorKind::TooLarge {
            size: None,
            size_limit: limit,
        });
    }
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("typenet-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn is_link(path: &Path) -> bool {
        fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
    }

    /// Temporary names that are taken (by a link to a file, a dangling link,
    /// a file) are skipped: nothing is opened, followed or created through
    /// them, and the save goes on under the next name.
    #[test]
    fn taken_temporary_names_are_skipped_not_followed() {
        let dir = scratch("taken-names");
        let victim = dir.join("victim");
        fs::write(&victim, b"keep me").unwrap();
        symlink(&victim, dir.join("link")).unwrap();
        symlink(dir.join("created-through-link"), dir.join("dangling")).unwrap();
        fs::write(dir.join("file"), b"keep me too").unwrap();

        let mut names = ["link", "dangling", "file", "fresh"].into_iter();
        let mut tried = Vec::new();
        let path = dir.join("net.safetensors");
        write_atomically_with(&path, b"model", &mut |file_name| {
            assert_eq!(file_name, "net.safetensors");
            let name = names.next().unwrap();
            tried.push(name);
            name.into()
        })
        .unwrap();
        assert_eq!(tried, ["link", "dangling", "file", "fresh"]);
        assert_eq!(fs::read(&path).unwrap(), b"model");
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(fs::read(dir.join("file")).unwrap(), b"keep me too");
        assert!(is_link(&dir.join("link")) && is_link(&dir.join("dangling")));
        assert!(!dir.join("created-through-link").exists());
        assert!(!dir.join("fresh").exists(), "the temporary file was renamed");
    }

    /// When every name tried is taken the save fails, changing nothing.
    #[test]
    fn a_save_whose_names_are_all_taken_fails_cleanly() {
        let dir = scratch("all-taken");
        let victim = dir.join("victim");
        fs::write(&victim, b"keep me").unwrap();
        symlink(&victim, dir.join("link")).unwrap();
        let path = dir.join("net.safetensors");
        fs::write(&path, b"old model").unwrap();
        let mut tries = 0;
        let err = write_atomically_with(&path, b"model", &mut |_| {
            tries += 1;
            "link".into()
        })
        .unwrap_err();
        assert!(
            matches!(&err, ModelErrorKind::Io(e) if e.kind() == ErrorKind::AlreadyExists),
            "{err:?}"
        );
        assert_eq!(tries, TEMP_TRIES);
        assert_eq!(fs::read(&path).unwrap(), b"old model");
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
    }

    /// Two names drawn for one file differ, and hold the file's name.
    #[test]
    fn temporary_names_differ() {
        let a = temp_name(OsStr::new("net.safetensors"));
        let b = temp_name(OsStr::new("net.safetensors"));
        assert_ne!(a, b);
        assert!(a.to_string_lossy().starts_with(".net.safetensors."), "{a:?}");
        let long = "x".repeat(255);
        assert!(temp_name(OsStr::new(&long)).len() < 120);
    }
}
