//! The examples, run for real: every numbered example once, with small
//! arguments where it takes any (each asserts what it shows and exits
//! non-zero if an assertion fails), and the runner's command lines on a
//! tiny IDX set written to a scratch folder (a few steps, never a full
//! training run); the runner's modules tested directly.
//!
//! The example binaries are built once per test run by a nested
//! `cargo build` into a target folder of their own under this one
//! (`CARGO_TARGET_TMPDIR`): the outer cargo's build folder is never
//! contended, whatever cargo version holds which lock while tests run. The
//! first run pays for one debug build of the crate and its dependencies.

mod common;

#[path = "../examples/mnist/main.rs"]
mod mnist;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{idx_images, idx_labels, scratch_dir};

/// The programs with flags: the runner and its `convnet` entry.
const EXAMPLES: [&str; 2] = ["mnist", "convnet"];

/// The learning path, in order: each example with the arguments that keep
/// it short in a debug build, and a line its output must contain.
const WALKTHROUGHS: [(&str, &[&str], &str); 11] = [
    ("00_computational_graph", &[], "price: 715"),
    ("01_dense_by_hand", &[], "input x : mean |backprop − numerical|"),
    ("02_training_loop", &["300"], "300 steps: loss"),
    ("03_custom_layer", &[], "the same net, buffer included"),
    ("04_inference_only_layer", &[], "its 103 numbers and nothing else"),
    ("05_conv_net", &["30"], "30 steps: test accuracy"),
    ("06_save_and_pytorch", &[], "and loaded back: the same outputs"),
    ("07_static_no_heap", &[], "524 bytes frozen, 1048 bytes trainable"),
    ("08_nalgebra", &[], "the same buffer"),
    ("09_residual_and_branches", &[], "every tensor of every branch agrees"),
    (
        "10_import_tflite",
        &[],
        "    int8::Conv2d<1, 64, 10, 4, 2, 2, Same>, // operator 0: 64 × 25 × 5",
    ),
];

/// Built too, for their command lines only (running them trains for real).
const OTHERS: [&str; 1] = ["bake_weights"];

/// The folder the example binaries are built in, built on first use.
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples-target");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--quiet", "--package", "typenet", "--manifest-path"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target);
        let walkthroughs = WALKTHROUGHS.iter().map(|w| w.0);
        for name in EXAMPLES.into_iter().chain(walkthroughs).chain(OTHERS) {
            cargo.args(["--example", name]);
        }
        let built = cargo.output().expect("run cargo");
        assert!(
            built.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&built.stderr)
        );
        target.join("debug").join("examples")
    })
}

/// Runs example `name` with `args`, in a scratch folder, so that outputs
/// with default names (a chart) stay out of the source tree.
fn run(name: &str, args: &[&str]) -> Output {
    let exe = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    Command::new(&exe)
        .args(args)
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", exe.display()))
}

/// [`run`], given a minute: a run still going after that (waiting on a
/// FIFO, say) is killed and fails the test.
fn run_within_a_minute(name: &str, args: &[&str]) -> Output {
    let exe = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let child = Command::new(&exe)
        .args(args)
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", exe.display()));
    let pid = child.id();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || send.send(child.wait_with_output()));
    match receive.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(out) => out.expect("wait for the example"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{name} {args:?} still running after a minute");
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A folder with 20 random 28×28 training digits and `tests` test digits,
/// under MNIST's file names.
fn tiny_mnist(name: &str, tests: u32) -> PathBuf {
    let dir = scratch_dir(name);
    let pixel = |i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8;
    let labels = |n: u32| (0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>();
    let files: [(&str, Vec<u8>); 4] = [
        ("train-images-idx3-ubyte", idx_images(20, 28, 28, pixel)),
        ("train-labels-idx1-ubyte", idx_labels(&labels(20))),
        ("t10k-images-idx3-ubyte", idx_images(tests, 28, 28, pixel)),
        ("t10k-labels-idx1-ubyte", idx_labels(&labels(tests))),
    ];
    for (file, bytes) in files {
        std::fs::write(dir.join(file), bytes).expect("write a tiny IDX file");
    }
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

#[test]
fn help_prints_the_usage_and_exits_0() {
    for name in EXAMPLES {
        let out = run(name, &["--help"]);
        assert_eq!(out.status.code(), Some(0), "{name} --help");
        assert!(
            text(&out.stdout).contains("Usage:"),
            "{name} --help: {}",
            text(&out.stdout)
        );
        assert!(out.stderr.is_empty(), "{name} --help wrote to stderr");
    }
}

/// The learning path runs to the end, each example asserting what it
/// shows (a failed assertion exits non-zero).
#[test]
fn every_numbered_example_runs_and_checks_itself() {
    for (name, args, expected) in WALKTHROUGHS {
        let out = run(name, args);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{name} {args:?}: {}\n{stdout}", text(&out.stderr));
        assert!(stdout.contains(expected), "{name}: {stdout}");
    }
}

#[test]
fn a_thread_count_out_of_range_is_refused_before_training() {
    let data = tiny_mnist("threads", 10);
    for (name, threads) in [("convnet", "0"), ("convnet", "64"), ("mnist", "9"), ("mnist", "0")] {
        let out = run(name, &["--data", path(&data), "--threads", threads, "--batch", "5"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} --threads {threads}: {err}");
        assert!(err.contains(&format!("--threads {threads}: choose")), "{err}");
        assert!(!text(&out.stdout).contains("training on"), "{name} trained");
    }
}

#[test]
fn sizes_out_of_range_are_refused_without_a_panic() {
    let data = tiny_mnist("sizes", 10);
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "convnet",
            &["--iters", "18446744073709551615"],
            "--iters 18446744073709551615: choose at most",
        ),
        (
            "mnist",
            &["--iters", "1000000000000"],
            "--iters 1000000000000: choose at most",
        ),
        (
            "mnist",
            &["--net", "deep", "--epochs", "1000000000000"],
            "--epochs 1000000000000",
        ),
        (
            "convnet",
            &["--batch", "10000000"],
            "--batch 10000000: larger than the training set (20 images",
        ),
        (
            "mnist",
            &["--net", "deep_convnet", "--iters", "0"],
            "--iters 0: choose at least 1",
        ),
    ];
    for (name, args, expected) in cases {
        let out = run(name, &[&["--data", path(&data)], args].concat());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {err}");
        assert!(err.contains(expected), "{name} {args:?}: {err}");
    }
}

#[test]
fn an_unwritable_save_path_is_refused_before_training() {
    let data = tiny_mnist("save-path", 10);
    let not_a_folder = data.join("train-labels-idx1-ubyte").join("net.safetensors");
    let missing = data.join("no-such-folder").join("net.safetensors");
    for save in [&not_a_folder, &missing, &data] {
        let out = run(
            "convnet",
            &["--data", path(&data), "--batch", "5", "--save", path(save)],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("--save {}", save.display())), "{err}");
        assert!(!text(&out.stdout).contains("training on"), "trained before refusing");
    }
    // the checks leave nothing behind
    let left: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 4, "{left:?}");
}

#[test]
fn a_run_writes_the_net_the_history_and_the_chart() {
    let data = tiny_mnist("outputs", 10);
    let (net, history, chart) = (data.join("net.safetensors"), data.join("h.csv"), data.join("c.png"));
    let args = [
        "--data",
        path(&data),
        "--iters",
        "8",
        "--batch",
        "5",
        "--save",
        path(&net),
    ];
    let out = run(
        "convnet",
        &[&args[..], &["--history", path(&history), "--chart", path(&chart)]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("final test accuracy: "), "{stdout}");
    let csv = std::fs::read_to_string(&history).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    // 20 images in batches of 5: an epoch is 4 steps
    assert_eq!(lines.len(), 1 + 8 + 2, "{csv}");
    assert_eq!(lines[0], mnist::history::HEADER);
    assert!(lines[1].starts_with("step,1,,"), "{csv}");
    assert!(lines[5].starts_with("epoch,4,1,"), "{csv}");
    assert_eq!(lines[5].split(',').count(), 6, "{csv}");
    assert!(std::fs::read(&chart).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    // the saved net loads into the convnet, and the runner evaluates it
    let mut loaded = mnist::nets::simple_convnet(typenet::Init::Zeros, &mut common::rng(0));
    typenet::io::load(&mut loaded, &net).expect("load the saved convnet");
    let out = run(
        "mnist",
        &["--data", path(&data), "--net", "convnet", "--evaluate", path(&net)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("of 10 test images right"), "{stdout}");
    assert!(stdout.contains("most confused:"), "{stdout}");
    // a net of another kind does not take the file
    let out = run("mnist", &["--data", path(&data), "--evaluate", path(&net)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains(path(&net)), "{}", text(&out.stderr));
}

/// Every net the runner names trains a step on the tiny set; `--evaluate`
/// refuses training flags, and the flags that belong to one net are
/// refused for another.
#[test]
fn every_net_trains_and_the_flags_are_checked() {
    let data = tiny_mnist("every-net", 10);
    for net in ["dense", "deep", "convnet", "deep_convnet"] {
        let chart = data.join(format!("{net}.png"));
        let out = run(
            "mnist",
            &[
                "--data",
                path(&data),
                "--net",
                net,
                "--iters",
                "1",
                "--batch",
                "4",
                "--chart",
                path(&chart),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{net}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("1 step in"), "{net}: {}", text(&out.stdout));
    }
    let cases: [(&[&str], &str); 5] = [
        (
            &["--net", "lenet"],
            "--net lenet: choose dense, deep, convnet or deep_convnet",
        ),
        (
            &["--net", "convnet", "--hidden", "100"],
            "--hidden is for --net dense, not convnet",
        ),
        (&["--hidden", "75"], "--hidden 75: choose 50, 100 or 200"),
        (&["--iters", "5", "--epochs", "1"], "--iters and --epochs: choose one"),
        (
            &["--evaluate", "net.safetensors", "--iters", "5"],
            "--iters is for training, not for --evaluate",
        ),
    ];
    for (args, expected) in cases {
        let out = run("mnist", &[&["--data", path(&data)], args].concat());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

/// A chart that cannot be written after training (here `/dev/full`, which
/// the checks before training refuse, given to the run directly) fails
/// the run but leaves the saved net.
#[cfg(target_os = "linux")]
#[test]
fn a_chart_that_cannot_be_written_leaves_the_saved_net() {
    use mnist::run::{self, Settings};
    use typenet::data::{Dataset, Pixels, Sampling};
    let dir = tiny_mnist("chart-fails", 10);
    let net = dir.join("net.safetensors");
    let set = |images: &str, labels: &str| {
        Dataset::<[f32; 784], 10>::load(dir.join(images), dir.join(labels), Pixels::Unit).unwrap()
    };
    let data = mnist::data::Data {
        train: set("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        test: set("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        train_images: dir.join("train-images-idx3-ubyte"),
        test_images: dir.join("t10k-images-idx3-ubyte"),
    };
    let settings = Settings {
        stop: typenet::train::Stop::Iterations(2),
        sampling: Sampling::WithReplacement,
        batch: 5,
        optimizer: typenet::AnyOptimizer::named("sgd", Some(0.1)).unwrap(),
        seed: 1,
        threads: 1,
        outputs: mnist::outputs::Outputs {
            save: Some(net.clone()),
            chart: Some("/dev/full".into()),
            history: None,
        },
    };
    let mut trained = mnist::nets::two_layer::<50, _>(typenet::Init::Normal(0.01), &mut common::rng(0));
    let err = run::train(&mut trained, &data, &settings).unwrap_err().to_string();
    assert!(err.contains("cannot write the chart to /dev/full"), "{err}");
    let mut loaded = mnist::nets::two_layer::<50, _>(typenet::Init::Zeros, &mut common::rng(0));
    typenet::io::load(&mut loaded, &net).expect("the net was saved before the chart failed");
    assert_eq!(
        typenet::io::to_bytes(&loaded).unwrap(),
        typenet::io::to_bytes(&trained).unwrap()
    );
}

/// Outputs that are not regular files (a FIFO, which would wait for a
/// reader forever; `/dev/full`; a link to nothing for the net) are refused
/// before training, at once; so is a FIFO of training images, which would
/// wait for a writer.
#[cfg(unix)]
#[test]
fn special_files_are_refused_before_training_without_waiting() {
    let data = tiny_mnist("special-outputs", 10);
    let fifo = data.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let dangling = data.join("dangling");
    std::os::unix::fs::symlink(data.join("nowhere"), &dangling).unwrap();
    let args = ["--data", path(&data), "--iters", "2", "--batch", "5"];
    let cases: [(&str, &Path, &str); 7] = [
        ("--chart", &fifo, "is a FIFO, not a regular file"),
        ("--history", &fifo, "is a FIFO, not a regular file"),
        ("--save", &fifo, "a FIFO is there, not a regular file"),
        ("--save", &dangling, "a symbolic link to"),
        ("--save", Path::new("/dev/full"), "a character device is there"),
        ("--chart", Path::new("/dev/full"), "is a device, not a regular file"),
        ("--history", &dangling, "is a symbolic link to nothing"),
    ];
    for (flag, target, expected) in cases {
        let out = run_within_a_minute("mnist", &[&args[..], &[flag, path(target)]].concat());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {}: {err}", target.display());
        assert!(err.contains(&format!("{flag} {}: ", target.display())), "{err}");
        assert!(err.contains(expected), "{flag}: {err}");
        assert!(!text(&out.stdout).contains("training on"), "trained before refusing");
    }
    let chart = data.join("c.png");
    let out = run_within_a_minute(
        "mnist",
        &[&args[..], &["--train-images", path(&fifo), "--chart", path(&chart)]].concat(),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{}: a FIFO is there, not a regular file", fifo.display())),
        "{err}"
    );
}

/// A learning rate that is finite in f64 but not in f32 is reported as the
/// rate's fault, before training.
#[test]
fn a_rate_too_large_for_f32_is_named() {
    let data = tiny_mnist("lr-f32", 10);
    for optimizer in ["sgd", "adam"] {
        let out = run(
            "mnist",
            &["--data", path(&data), "--optimizer", optimizer, "--lr", "1e39"],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("--lr 1e39: "), "{err}");
        assert!(err.contains("lr must be finite and > 0 as an f32, not 1e39"), "{err}");
        assert!(!text(&out.stdout).contains("training on"));
    }
    let out = run("mnist", &["--data", path(&data), "--lr", "-1e-300"]);
    let err = text(&out.stderr);
    assert!(err.contains("--lr -1e-300: choose a finite number above 0"), "{err}");
}

/// `10_import_tflite` writes what the library writes, and names what it
/// cannot import.
#[test]
fn import_tflite_writes_the_source_and_names_errors() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tinyml");
    let out_file = scratch_dir("import_tflite").join("ic.rs");
    let model = fixtures.join("pretrainedResnet_quant.tflite");
    let out = run("10_import_tflite", &[path(&model), path(&out_file)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let typed = typenet::io::tflite::rust_source(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), typed);
    let out = run("10_import_tflite", &["--baked", path(&model), path(&out_file)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = typenet::io::tflite::baked_rust_source(&std::fs::read(&model).unwrap(), "ic.bin").unwrap();
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), expected.source);
    assert_eq!(std::fs::read(out_file.with_extension("bin")).unwrap(), expected.weights);
    let float = fixtures.join("vww_96_float.tflite");
    let out = run("10_import_tflite", &[path(&float)]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("operator 0 (CONV_2D): float CONV_2D is not supported"),
        "{}",
        text(&out.stderr)
    );
    let out = run("10_import_tflite", &["no-such-model.tflite"]);
    assert!(!out.status.success() && text(&out.stderr).contains("no-such-model.tflite"));
}

/// `bake_weights --help` prints its usage and trains nothing; an unknown
/// option is refused.
#[test]
fn bake_weights_has_a_help() {
    let out = run("bake_weights", &["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Usage:"), "{stdout}");
    assert!(!stdout.contains("classifier trained:"), "{stdout}");
    let out = run("bake_weights", &["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown option --bogus"));
    let out = run("bake_weights", &["no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-folder: not a folder"));
}

#[test]
fn a_run_stopped_by_a_non_finite_value_saves_its_last_good_parameters() {
    let data = tiny_mnist("non-finite", 10);
    let net = data.join("net.safetensors");
    let args = [
        "--data",
        path(&data),
        "--iters",
        "8",
        "--batch",
        "5",
        "--optimizer",
        "sgd",
    ];
    let out = run(
        "convnet",
        &[&args[..], &["--lr", "1e30", "--save", path(&net)]].concat(),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("training stopped"), "{err}");
    assert!(text(&out.stdout).contains("last good step"), "{}", text(&out.stdout));
    let mut loaded = mnist::nets::simple_convnet(typenet::Init::Zeros, &mut common::rng(0));
    typenet::io::load(&mut loaded, &net).expect("the last good parameters were saved");
}

#[test]
fn an_empty_test_set_is_reported_as_missing_not_as_zero_accuracy() {
    let data = tiny_mnist("no-test", 0);
    let out = run(
        "mnist",
        &[
            "--data",
            path(&data),
            "--iters",
            "4",
            "--batch",
            "5",
            "--chart",
            path(&data.join("c.png")),
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("no test set"), "{stdout}");
    assert!(!stdout.contains("test acc"), "{stdout}");
}

#[test]
fn evaluate_names_the_model_file_it_cannot_use() {
    let data = tiny_mnist("evaluate", 10);
    let bad = data.join("not-a-model.safetensors");
    std::fs::write(&bad, b"\xff\xff\xff\xff\xff\xff\xff\xffjunk").unwrap();
    for model in [bad, data.join("missing.safetensors")] {
        let out = run("mnist", &["--data", path(&data), "--evaluate", path(&model)]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(path(&model)), "{err}");
    }
}

// The runner's modules, directly.

#[test]
fn flags_take_both_spellings_and_refuse_repeats() {
    use mnist::cli::{Parsed, parse};
    let args = |v: &[&str]| v.iter().map(Into::into).collect::<Vec<std::ffi::OsString>>();
    let Ok(Parsed::Run(flags)) = parse(&["iters", "lr"], args(&["--iters=5", "--lr", "-1"])) else {
        panic!("not parsed");
    };
    assert_eq!(flags.get("iters", 0usize), Ok(5));
    assert!(flags.positive("lr", 0.1).unwrap_err().0.contains("--lr -1"));
    assert!(matches!(parse(&["iters"], args(&["-h"])), Ok(Parsed::Help)));
    assert!(parse(&["iters"], args(&["--iters", "1", "--iters", "2"])).is_err());
    assert!(parse(&["iters"], args(&["--items", "1"])).is_err());
}

#[test]
fn output_checks_create_and_change_nothing() {
    let dir = scratch_dir("output-checks");
    let existing = dir.join("existing.csv");
    std::fs::write(&existing, "keep me").unwrap();
    let outputs = mnist::outputs::Outputs {
        save: Some(dir.join("net.safetensors")),
        chart: Some(dir.join("chart.png")),
        history: Some(existing.clone()),
    };
    outputs.check().unwrap();
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}
