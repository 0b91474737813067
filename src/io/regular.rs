//! Opening a file to read only if it is a regular file, without ever
//! waiting in `open`.
//!
//! Opening a FIFO for reading waits until something opens it for writing,
//! which may never happen, and a terminal or another device is not a file
//! of data at all. Looking at the path first and opening it afterwards
//! leaves a gap in which a FIFO can be put in the file's place, so the
//! file is opened with `O_NONBLOCK` (which makes a FIFO's `open` return at
//! once) and the opened file, not the path, is what is checked. For a
//! regular file `O_NONBLOCK` changes nothing (reads of a regular file
//! never wait on another process), so it is left set. The path is also
//! looked at before opening, so that the usual case, a device or a FIFO
//! named on purpose, is refused without being opened at all.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

/// Why a file could not be opened for reading.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The system's error (a missing file included).
    Io(io::Error),
    /// Something other than a regular file is there: what.
    NotAFile(&'static str),
}

/// `O_NONBLOCK` on the targets whose value is known here (the standard
/// library does not export it; `libc` would be a dependency for one
/// number). Elsewhere a file is opened as usual and only the look at the
/// path guards against a FIFO.
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
))]
const O_NONBLOCK: Option<i32> = Some(0o4000);
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6"
    )
))]
const O_NONBLOCK: Option<i32> = Some(0x80);
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(target_arch = "sparc", target_arch = "sparc64")
))]
const O_NONBLOCK: Option<i32> = Some(0x4000);
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos",
    target_os = "visionos",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
const O_NONBLOCK: Option<i32> = Some(0x4);
#[cfg(any(target_os = "solaris", target_os = "illumos"))]
const O_NONBLOCK: Option<i32> = Some(0x80);
#[cfg(all(
    unix,
    not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "tvos",
        target_os = "watchos",
        target_os = "visionos",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly",
        target_os = "solaris",
        target_os = "illumos"
    ))
))]
const O_NONBLOCK: Option<i32> = None;

/// What a path names, for a message: `"a directory"`, `"a FIFO"`, ….
pub(crate) fn describe(meta: &Metadata) -> &'static str {
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

/// Opens the regular file at `path` (or at the end of the symbolic links
/// it names) for reading, with its metadata; anything else is refused, and
/// nothing waits.
pub(crate) fn open(path: &Path) -> Result<(File, Metadata), OpenError> {
    open_checked(path, || {})
}

/// [`open`], calling `between` after the path is looked at and before it
/// is opened: a test puts a FIFO there.
pub(crate) fn open_checked(path: &Path, between: impl FnOnce()) -> Result<(File, Metadata), OpenError> {
    // a missing file or an unreadable folder is reported by `open` below
    if let Ok(meta) = fs::metadata(path)
        && !meta.is_file()
    {
        return Err(OpenError::NotAFile(describe(&meta)));
    }
    between();
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if let Some(flag) = O_NONBLOCK {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(flag);
    }
    let file = options.open(path).map_err(OpenError::Io)?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    if !meta.is_file() {
        return Err(OpenError::NotAFile(describe(&meta)));
    }
    Ok((file, meta))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::mpsc;
    use std::time::Duration;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("typenet-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mkfifo(path: &Path) {
        let made = std::process::Command::new("mkfifo").arg(path).status().unwrap();
        assert!(made.success());
    }

    /// Runs `f` on another thread and gives it ten seconds: a blocked
    /// `open` fails the test instead of stalling the run (the thread is
    /// left behind, blocked, until the test binary exits).
    fn within_ten_seconds<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || send.send(f()));
        receive.recv_timeout(Duration::from_secs(10)).expect("blocked")
    }

    /// A FIFO put where a regular file was, after the path was looked at
    /// and before it is opened, is refused without waiting for a writer:
    /// the opened file is what is checked.
    #[test]
    fn a_fifo_swapped_in_before_the_open_is_refused_at_once() {
        let dir = scratch("swapped-fifo");
        let path = dir.join("net.safetensors");
        fs::write(&path, b"a model").unwrap();
        let swapped = path.clone();
        let result = within_ten_seconds(move || {
            open_checked(&swapped, || {
                fs::remove_file(&swapped).unwrap();
                mkfifo(&swapped);
            })
            .map(drop)
        });
        assert!(matches!(result, Err(OpenError::NotAFile("a FIFO"))), "{result:?}");
    }

    /// A terminal or another character device is refused, as a FIFO is,
    /// and so is a directory; a regular file reads as usual.
    #[test]
    fn only_regular_files_open() {
        for (path, found) in [
            ("/dev/null", "a character device"),
            ("/dev/tty", "a character device"),
            ("/", "a directory"),
        ] {
            if fs::metadata(path).is_err() {
                continue; // no /dev/tty in some containers
            }
            let result = open(Path::new(path)).map(drop);
            assert!(
                matches!(result, Err(OpenError::NotAFile(f)) if f == found),
                "{path}: {result:?}"
            );
        }
        let dir = scratch("regular");
        let path = dir.join("data");
        fs::write(&path, b"bytes").unwrap();
        let (mut file, meta) = open(&path).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert_eq!((text.as_str(), meta.len()), ("bytes", 5));
        let missing = open(&dir.join("missing")).map(drop);
        assert!(
            matches!(&missing, Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound),
            "{missing:?}"
        );
    }
}
