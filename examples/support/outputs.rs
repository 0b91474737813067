//! The files a run writes, checked before it trains so that a typo in a
//! path costs a second, not a training run.
//!
//! A check creates nothing that stays and changes no existing file: a file
//! that exists is opened for appending (not truncated) and closed; a new
//! one is created and removed again; for a saved net, which is written to a
//! temporary file beside its destination and renamed, a scratch file is
//! created and removed in the destination's folder.

use std::fs::{self, OpenOptions};
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
            check_folder_writable(p).map_err(|e| format!("--save {}: {e}", p.display()))?;
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

/// Why `path` cannot name a file to write, judged before touching it.
fn precheck(path: &Path) -> Result<(), String> {
    if path.file_name().is_none() {
        return Err("the path names no file".into());
    }
    if path.is_dir() {
        return Err("is a folder".into());
    }
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

/// Checks that a file can be created in `path`'s folder (where a saved net
/// is written before it is renamed to `path`).
pub fn check_folder_writable(path: &Path) -> Result<(), String> {
    precheck(path)?;
    let dir = folder(path);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let probe = dir.join(format!(".{name}.{}.check", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    fs::remove_file(&probe).map_err(|e| format!("cannot remove {}: {e}", probe.display()))
}
