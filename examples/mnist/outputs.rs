//! The files a run writes, checked before it trains so that a typo in a
//! path costs a second, not a training run.
//!
//! A check creates nothing that stays and changes no existing file: a file
//! that exists is opened for appending (not truncated) and closed; a new
//! one is created and removed again; the saved net is checked by
//! [`typenet::io::check_save`], which refuses what the save would refuse and
//! creates and removes a temporary file where the save writes one.
//! Anything at a path that is not a regular file (a FIFO, which would wait
//! for a reader; a device such as `/dev/full`; a socket; a link to nothing)
//! is refused, here and again just before the file is written.

use std::fs::{self, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Where a run writes, each `None` when not asked for.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    /// The trained parameters (safetensors).
    pub save: Option<PathBuf>,
    /// The PNG chart of the loss and accuracies.
    pub chart: Option<PathBuf>,
    /// The CSV of every step's loss and every epoch's accuracies.
    pub history: Option<PathBuf>,
}

impl Outputs {
    /// Checks every path: the error names the flag and the path.
    pub fn check(&self) -> Result<(), String> {
        let named = [("save", &self.save), ("chart", &self.chart), ("history", &self.history)];
        for (i, (flag, path)) in named.iter().enumerate() {
            for (other, same) in &named[i + 1..] {
                if let (Some(p), Some(q)) = (path, same)
                    && p == q
                {
                    return Err(format!("--{flag} and --{other} both name {}", p.display()));
                }
            }
        }
        if let Some(p) = &self.save {
            typenet::io::check_save(p).map_err(|e| {
                let e = typenet::io::ModelError { path: None, ..e };
                format!("--save {}: {e}", p.display())
            })?;
        }
        for (flag, path) in [("chart", &self.chart), ("history", &self.history)] {
            if let Some(p) = path {
                check_file_writable(p).map_err(|e| format!("--{flag} {}: {e}", p.display()))?;
            }
        }
        Ok(())
    }
}

/// The folder a file `path` goes in (`.` for a bare file name).
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// What something other than a regular file is, for a message.
fn what(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// `Ok` if `path` names nothing yet or a regular file (directly or through
/// links): a FIFO would wait for a reader, a device (`/dev/full`) is no
/// place for a chart, and a link to nothing would create the file it
/// names. Called before training and again just before writing.
pub fn refuse_special(path: &Path) -> Result<(), String> {
    if path.file_name().is_none() {
        return Err("the path names no file".into());
    }
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot look at it: {e}")),
        Ok(link) if link.file_type().is_symlink() => match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err("is a symbolic link to nothing; not writing through it".into());
            }
            Err(e) => return Err(format!("cannot follow the link: {e}")),
            Ok(meta) if !meta.is_file() => return Err(format!("is a link to {}, not to a regular file", what(&meta))),
            Ok(_) => {}
        },
        Ok(meta) if !meta.is_file() => return Err(format!("is {}, not a regular file", what(&meta))),
        Ok(_) => {}
    }
    Ok(())
}

/// Why `path` cannot name a file to write, judged before touching it.
fn precheck(path: &Path) -> Result<(), String> {
    refuse_special(path)?;
    let dir = folder(path);
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(format!("{} is not a folder", dir.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(format!("the folder {} does not exist", dir.display())),
        Err(e) => Err(format!("cannot reach the folder {}: {e}", dir.display())),
    }
}

/// Checks that `path` can be written directly (created or overwritten).
pub fn check_file_writable(path: &Path) -> Result<(), String> {
    precheck(path)?;
    if path.exists() {
        OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|e| format!("cannot write: {e}"))
    } else {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| format!("cannot create: {e}"))?;
        fs::remove_file(path).map_err(|e| format!("cannot remove the file the check created: {e}"))
    }
}
