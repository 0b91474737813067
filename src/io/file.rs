//! Writing a model file atomically and reading one no larger than a bound.
//!
//! A save writes a temporary file beside its target, under a name no other
//! save picks (the process id, a counter and random bits), created with
//! exclusive creation so that nothing already there, a symbolic link
//! included, is opened or followed; the file is flushed to disk and then
//! renamed over the target. While it is written the temporary file is
//! locked (`File::try_lock`), so that a later save can tell a temporary file
//! that a live save is writing from one that a killed process left behind,
//! and remove the latter.

use std::collections::hash_map::RandomState;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::ModelErrorKind;
use super::regular::{self, OpenError, describe};

/// Temporary names tried before a save gives up: each is fresh and random,
/// so more than one collision means something is planting files.
const TEMP_TRIES: usize = 64;

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
    let prefix = temp_prefix(file_name);
    format!("{prefix}{}-{count}-{:016x}.tmp", std::process::id(), bits.finish()).into()
}

/// How the temporary names of saves to `file_name` start: `.NAME.`, with a
/// short stem of the name, which keeps the whole within the file system's
/// limit.
fn temp_prefix(file_name: &OsStr) -> String {
    let stem: String = file_name.to_string_lossy().chars().take(64).collect();
    format!(".{stem}.")
}

/// The process id in `name` if it is a temporary name that [`temp_name`]
/// makes (`PREFIX` `PID-COUNT-16 HEX DIGITS` `.tmp`), for the `prefix` of
/// [`temp_prefix`].
fn temp_pid(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?.strip_suffix(".tmp")?;
    let mut parts = rest.split('-');
    let (pid, count, bits) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = parts.next().is_none()
        && digits(pid)
        && digits(count)
        && bits.len() == 16
        && bits.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| pid.parse().ok()).flatten()
}

/// Whether process `pid` is running, where the system shows its processes
/// as files (`/proc` on Linux); `None` where that cannot be told with the
/// standard library alone.
fn running(pid: u32) -> Option<bool> {
    if cfg!(any(target_os = "linux", target_os = "android")) && Path::new("/proc/self").exists() {
        Some(Path::new("/proc").join(pid.to_string()).exists())
    } else {
        None
    }
}

/// How long a temporary file must have been left untouched before it is
/// taken for stale where a process cannot be looked up by its id: far
/// longer than a save takes to create and lock its file.
const UNTOUCHED: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes from `dir` the temporary files of saves to `file_name` that a
/// process left behind when it died during the save (a `kill -9`, a power
/// cut). A temporary file is taken for stale only if all of these hold:
/// its name is one [`temp_name`] makes; the process id in it is not this
/// process's; that process is not running (where `/proc` tells; elsewhere
/// the file must have been untouched for [`UNTOUCHED`]); the file is a
/// regular file; and nobody holds its lock, which a live save holds from
/// just after it creates the file until it has renamed it. Anything that
/// cannot be read or removed is left: this is housekeeping, and never
/// fails a save.
fn remove_stale_temps(dir: &Path, file_name: &OsStr) {
    let prefix = temp_prefix(file_name);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|name| temp_pid(name, &prefix)) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let dead = match running(pid) {
            Some(running) => !running,
            None => meta
                .modified()
                .ok()
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age > UNTOUCHED),
        };
        if !dead || !meta.is_file() {
            continue;
        }
        let Ok((file, _)) = regular::open(&path) else {
            continue;
        };
        let unlocked = file.try_lock().is_ok();
        drop(file);
        if unlocked {
            let _ = fs::remove_file(&path);
        }
    }
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
    let plan = plan(path)?;
    remove_stale_temps(&plan.dir, &plan.file_name);
    let (temp, mut file) =
        create_temp(&plan.dir, &mut || names(&plan.file_name), plan.mode).map_err(ModelErrorKind::Io)?;
    // marks the file as a live save's to a later save's clean-up; where
    // locks are not supported the save goes on without one
    let _ = file.try_lock();
    let written = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        // on Unix the file stays open, and locked, until it has its final
        // name; elsewhere an open file may not be renamed
        #[cfg(not(unix))]
        drop(file);
        fs::rename(&temp, &plan.target)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(ModelErrorKind::Io(e));
    }
    // make the rename itself durable where the platform allows it
    if let Ok(d) = File::open(&plan.dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Where a save to a path writes: the file it replaces, that file's name
/// and folder, and the permission bits the new file gets.
struct Plan {
    target: PathBuf,
    file_name: OsString,
    dir: PathBuf,
    mode: Option<u32>,
}

/// The [`Plan`] of a save to `path`, or why nothing can be saved there.
fn plan(path: &Path) -> Result<Plan, ModelErrorKind> {
    let (target, existing) = target(path)?;
    let file_name = target
        .file_name()
        .ok_or(ModelErrorKind::NotAFile { found: "no file name" })?
        .to_os_string();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // the permission bits only: set-user-ID, set-group-ID and sticky are
    // not carried over to a file this process wrote
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
    Ok(Plan {
        target,
        file_name,
        dir,
        mode,
    })
}

/// Checks that a save to `path` can write there, as the save will: the
/// same refusals of what is at the path, and a temporary file created and
/// removed again in the folder the file goes in. Changes nothing.
pub(crate) fn check_writable(path: &Path) -> Result<(), ModelErrorKind> {
    let plan = plan(path)?;
    let (temp, file) =
        create_temp(&plan.dir, &mut || temp_name(&plan.file_name), plan.mode).map_err(ModelErrorKind::Io)?;
    drop(file);
    fs::remove_file(&temp).map_err(ModelErrorKind::Io)
}

/// Reads the file at `path` whole if it holds at most `limit` bytes.
/// Only a regular file is read (see [`regular::open`]: a FIFO, a socket, a
/// terminal or another device is refused, and opening never waits); its
/// size is checked before anything is read, and a file that grows while it
/// is read is read no further than one byte past the limit.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, ModelErrorKind> {
    let (file, meta) = regular::open(path).map_err(|e| match e {
        OpenError::NotAFile(found) => ModelErrorKind::NotAFile { found },
        OpenError::Io(e) if e.kind() == ErrorKind::NotFound => ModelErrorKind::Missing,
        OpenError::Io(e) => ModelErrorKind::Io(e),
    })?;
    let size = meta.len();
    if size > limit {
        return Err(ModelErrorKind::TooLarge {
            size: Some(size),
            size_limit: limit,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
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

    /// A process id that is not running: a child that has exited and
    /// been waited for (its id is free until the system hands it out
    /// again, which on Linux takes a lap of the whole id space).
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    /// The next save to a path removes the temporary files that dead
    /// processes left there, and only those: not a running process's, not
    /// one whose lock is held, not another file's, not a link.
    #[test]
    fn a_save_removes_the_temporary_files_of_dead_processes() {
        let dir = scratch("stale-temps");
        let path = dir.join("net.safetensors");
        let dead = dead_pid();
        let mut sleeper = std::process::Command::new("sleep").arg("60").spawn().unwrap();
        let temp = |pid: u32, n: u32| format!(".net.safetensors.{pid}-{n}-0123456789abcdef.tmp");
        let stale = [temp(dead, 0), temp(dead, 7)];
        let live = temp(sleeper.id(), 0);
        let locked = temp(dead, 1);
        let other_file = format!(".other.safetensors.{dead}-0-0123456789abcdef.tmp");
        let not_ours = format!(".net.safetensors.{dead}-0-short.tmp");
        let link = temp(dead, 2);
        for name in stale.iter().chain([&live, &locked, &other_file, &not_ours]) {
            fs::write(dir.join(name), b"half a model").unwrap();
        }
        symlink(dir.join(&live), dir.join(&link)).unwrap();
        let holder = File::open(dir.join(&locked)).unwrap();
        holder.lock().unwrap();

        write_atomically(&path, b"model").unwrap();
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut expected = vec![live, locked, other_file, not_ours, link, "net.safetensors".to_string()];
        expected.sort();
        assert_eq!(left, expected);
        drop(holder);
    }

    /// The names a save makes are the names its clean-up recognises, with
    /// the process id in them.
    #[test]
    fn temporary_names_hold_the_process_id() {
        let name = temp_name(OsStr::new("net.safetensors"));
        let prefix = temp_prefix(OsStr::new("net.safetensors"));
        assert_eq!(temp_pid(name.to_str().unwrap(), &prefix), Some(std::process::id()));
        assert_eq!(
            temp_pid(".net.safetensors.12-3-0123456789abcdef.tmp", &prefix),
            Some(12)
        );
        for other in [
            ".net.safetensors.12-3-0123456789abcdef",
            ".net.safetensors.12-3-0123456789abcdeg.tmp",
            ".net.safetensors.-3-0123456789abcdef.tmp",
            ".net.safetensors.12-3-4-0123456789abcdef.tmp",
            ".net.safetensors.+12-3-0123456789abcdef.tmp",
            ".net.safetensors.99999999999-3-0123456789abcdef.tmp",
            ".net.safetensorz.12-3-0123456789abcdef.tmp",
        ] {
            assert_eq!(temp_pid(other, &prefix), None, "{other}");
        }
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
