//! Every case in `ui/` is a mis-wired program that must not compile. All
//! cases are checked in one `cargo check` of a generated package (one binary
//! per case) and each case's errors are compared with `ui/<case>.expected`.
//!
//! What is compared is only what the case's mistake produces: per error its
//! headline (level, code, message), the labels of its spans in the case file
//! (by line) and its notes and helps that point into the case file or
//! nowhere. Text quoted from typenet's own sources, and spans located there,
//! are left out, so reformatting typenet does not change an expected file.
//!
//! Compiler wording changes between releases, so the expected files hold for
//! one toolchain, named in `tests/compile-fail/toolchain`. On that rustc the
//! files are compared (and a missing one is a failure); on any other every
//! case is only checked to fail to compile. `.ci/run` runs this crate on the
//! pinned toolchain; from the workspace root:
//!
//! ```sh
//! pinned=$(cat tests/compile-fail/toolchain)
//! rustup toolchain install "$pinned" --profile minimal
//! cargo +"$pinned" test -p typenet-compile-fail                   # compare
//! TYPENET_BLESS=1 cargo +"$pinned" test -p typenet-compile-fail   # rewrite the expected files
//! ```
//!
//! Review the diff of the rewritten files before committing them. To move
//! to a newer toolchain, change `toolchain` and bless on it.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn mis_wired_nets_do_not_compile() {
    let ui = Path::new(CRATE).join("ui");
    let cases = cases(&ui);
    let pinned = fs::read_to_string(Path::new(CRATE).join("toolchain")).expect("read toolchain");
    let pinned = pinned.trim();
    let rustc = rustc_version();
    let bless = env::var_os("TYPENET_BLESS").is_some();
    let exact = rustc == pinned;
    assert!(
        !bless || exact,
        "the expected files are written by rustc {pinned}; this is rustc {rustc}"
    );
    if !exact {
        eprintln!("rustc {rustc} is not the pinned {pinned}: only checking that every case fails to compile");
    }

    let errors = check(&cases);
    let mut failures = Vec::new();
    for (name, file) in &cases {
        let found = &errors[name];
        if found.is_empty() {
            failures.push(format!("{name}: compiles, but must not"));
            continue;
        }
        if !exact {
            continue;
        }
        let report = report(found, file);
        let expected_path = ui.join(format!("{name}.expected"));
        if bless {
            fs::write(&expected_path, &report).expect("write expected file");
        } else {
            match fs::read_to_string(&expected_path) {
                Ok(expected) if expected == report => {}
                Ok(expected) => failures.push(format!("{name}: errors differ\n{}", diff(&expected, &report))),
                Err(_) => failures.push(format!(
                    "{name}: no ui/{name}.expected; it would hold:\n{report}\n\
                     write it with TYPENET_BLESS=1 cargo +{pinned} test -p typenet-compile-fail"
                )),
            }
        }
    }
    for entry in fs::read_dir(&ui).expect("read ui/") {
        let path = entry.expect("read ui/").path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if path.extension().is_some_and(|e| e != "rs") && !cases.contains_key(stem) {
            failures.push(format!(
                "ui/{}: no case of that name",
                path.file_name().unwrap().display()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// The cases by name, each with its file's absolute path.
fn cases(ui: &Path) -> BTreeMap<String, PathBuf> {
    let mut cases = BTreeMap::new();
    for entry in fs::read_dir(ui).expect("read ui/") {
        let path = entry.expect("read ui/").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path
                .file_stem()
                .unwrap()
                .to_str()
                .expect("case names are UTF-8")
                .to_owned();
            cases.insert(name, path);
        }
    }
    cases
}

fn rustc_version() -> String {
    // Through rustup this is the toolchain `cargo +x test` chose, which the
    // `cargo` below uses too.
    let out = Command::new("rustc")
        .arg("--version")
        .output()
        .expect("run rustc --version");
    let text = String::from_utf8(out.stdout).expect("rustc --version is UTF-8");
    text.split_whitespace()
        .nth(1)
        .expect("rustc --version names a version")
        .to_owned()
}

/// Checks all cases in one package under the target directory and returns
/// each case's error diagnostics (cargo's JSON `message` objects).
fn check(cases: &BTreeMap<String, PathBuf>) -> BTreeMap<String, Vec<Value>> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typenet-compile-fail");
    fs::create_dir_all(&dir).expect("create the package directory");
    let workspace = Path::new(CRATE)
        .join("../..")
        .canonicalize()
        .expect("find the workspace");
    let mut manifest = format!(
        "[package]\nname = \"cases\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
         [dependencies]\ntypenet = {{ path = {:?} }}\n\n[workspace]\n",
        workspace.display()
    );
    for (name, path) in cases {
        write!(manifest, "\n[[bin]]\nname = {name:?}\npath = {:?}\n", path.display()).unwrap();
    }
    fs::write(dir.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    // The workspace's versions of typenet's dependencies, without resolving again.
    fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "check",
            "--bins",
            "--keep-going",
            "--quiet",
            "--message-format=json",
            "--target-dir",
        ])
        .arg(dir.join("target"))
        .current_dir(&dir)
        .output()
        .expect("run cargo check");

    let mut errors: BTreeMap<String, Vec<Value>> = cases.keys().map(|name| (name.clone(), Vec::new())).collect();
    let mut elsewhere = String::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let diagnostic = &msg["message"];
        if msg["reason"] != "compiler-message" || diagnostic["level"] != "error" {
            continue;
        }
        let target = str(&msg["target"]["name"]);
        match errors.get_mut(target) {
            Some(found) if msg["target"]["kind"][0] == "bin" => {
                // rustc's closing "aborting due to N previous errors" is no error of its own.
                if !str(&diagnostic["message"]).starts_with("aborting due to") {
                    found.push(diagnostic.clone());
                }
            }
            _ => elsewhere.push_str(str(&diagnostic["rendered"])),
        }
    }
    assert!(elsewhere.is_empty(), "errors outside the cases:\n{elsewhere}");
    if errors.values().all(Vec::is_empty) {
        panic!("cargo check gave no errors:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    errors
}

/// The comparable part of a case's errors, as the text of its expected file.
fn report(errors: &[Value], case: &Path) -> String {
    let in_case = |span: &Value| Path::new(str(&span["file_name"])) == case;
    let mut out = format!("{} error{}\n", errors.len(), if errors.len() == 1 { "" } else { "s" });
    for error in errors {
        let code = error["code"]["code"]
            .as_str()
            .map(|c| format!("[{c}]"))
            .unwrap_or_default();
        write!(out, "\nerror{code}: {}\n", text(&error["message"])).unwrap();
        for span in spans(error).filter(|s| in_case(s)) {
            let (start, end) = (&span["line_start"], &span["line_end"]);
            let lines = if start == end {
                format!("{start}")
            } else {
                format!("{start}-{end}")
            };
            let mark = if span["is_primary"] == true { '^' } else { '-' };
            let label = span["label"].as_str().filter(|l| !l.trim().is_empty());
            let label = label.map(|l| format!(" {}", indent(l))).unwrap_or_default();
            writeln!(out, "  {mark} line {lines}{label}").unwrap();
        }
        for child in error["children"].as_array().into_iter().flatten() {
            let message = text(&child["message"]);
            // The path of a file with a long type's full name changes from run to run.
            if message.starts_with("the full name for the type has been written to")
                || message.starts_with("consider using `--verbose` to print the full type name")
            {
                continue;
            }
            if spans(child).next().is_none() || spans(child).any(in_case) {
                writeln!(out, "  = {}: {message}", str(&child["level"])).unwrap();
            }
        }
    }
    out
}

fn spans(diagnostic: &Value) -> impl Iterator<Item = &Value> {
    diagnostic["spans"].as_array().into_iter().flatten()
}

fn str(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// A message with its continuation lines indented under it.
fn text(message: &Value) -> String {
    indent(str(message))
}

fn indent(text: &str) -> String {
    text.trim_end().replace('\n', "\n    ")
}

/// The lines of `expected` and `found` that differ, in order.
fn diff(expected: &str, found: &str) -> String {
    let (e, f): (Vec<_>, Vec<_>) = (expected.lines().collect(), found.lines().collect());
    let mut out = String::new();
    for line in e.iter().filter(|l| !f.contains(l)) {
        writeln!(out, "- {line}").unwrap();
    }
    for line in f.iter().filter(|l| !e.contains(l)) {
        writeln!(out, "+ {line}").unwrap();
    }
    out
}
