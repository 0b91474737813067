//! typenet's rows of the serving benchmark (`benches/serving/run.sh` runs
//! them with the other runtimes' rows in one sitting; README.md beside this
//! file describes the protocol).
//!
//! ```text
//! cargo bench --bench serving -- --weights DIR --export-only  # train or load, save, reference
//! cargo bench --bench serving -- --weights DIR                # train or load, time
//! cargo bench --bench serving -- --weights DIR --quick        # fewer blocks
//! cargo bench --bench serving -- --weights DIR --profile conv-one --calls 20000
//! ```
//!
//! `DIR` receives `simple_conv_net.safetensors` and
//! `dense_784_50_10.safetensors` (loaded instead of trained when present)
//! and `typenet_reference.json`: the first test images' inputs and
//! typenet's scores for the first 100, which the exporter checks every
//! other runtime against.

mod nets;
mod timing;

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;

use nets::{Digit, Net};
use timing::{Line, Protocol, measure, report};
use typenet::data::{Dataset, MnistFiles, Pixels};
use typenet::prelude::*;
use typenet::train::accuracy;
use typenet::{Adam, InputError};

/// Test images whose inputs go into the reference file (the exporter checks
/// that it decodes the same pixels), and how many get reference scores.
const REFERENCE_INPUTS: usize = 8;
const REFERENCE_SCORES: usize = 100;
const BATCH: usize = 100;

struct Options {
    weights: PathBuf,
    export_only: bool,
    quick: bool,
    profile: Option<String>,
    calls: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        weights: PathBuf::new(),
        export_only: false,
        quick: false,
        profile: None,
        calls: 20_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--weights" => o.weights = args.next().ok_or("--weights needs a folder")?.into(),
            "--export-only" => o.export_only = true,
            "--quick" => o.quick = true,
            "--profile" => o.profile = Some(args.next().ok_or("--profile needs a name")?),
            "--calls" => {
                o.calls = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--calls needs a count")?
            }
            "--bench" => {} // what `cargo bench` passes
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if o.weights.as_os_str().is_empty() {
        return Err("--weights DIR is required".into());
    }
    Ok(o)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = options()?;
    std::fs::create_dir_all(&o.weights)?;
    let files = MnistFiles::find(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))?;
    let digits = |p: &typenet::data::IdxPair| Dataset::<Digit, 10>::load(&p.images, &p.labels, Pixels::Unit);
    let rows = |p: &typenet::data::IdxPair| Dataset::<[f32; 784], 10>::load(&p.images, &p.labels, Pixels::Unit);
    let (train_d, test_d) = (digits(&files.train)?, digits(&files.test)?);
    let (train_r, test_r) = (rows(&files.train)?, rows(&files.test)?);

    // SimpleConvNet: Adam 0.001, 1,000 steps (96.7 % on the test set);
    // the dense net: SGD 0.1, 10,000 steps (the peer benchmark's recipe, 94.4 %).
    let mut fused = nets::fused_conv_net();
    let conv_file = o.weights.join("simple_conv_net.safetensors");
    let conv_trained = nets::train_or_load(&mut fused, &conv_file, &train_d, Adam::new(0.001, 0.9, 0.999), 1000)?;
    let mut chained = nets::chained_conv_net();
    nets::copy_params(&fused, &mut chained);
    let mut dense = nets::dense_net();
    let dense_file = o.weights.join("dense_784_50_10.safetensors");
    let dense_trained = nets::train_or_load(&mut dense, &dense_file, &train_r, Sgd::new(0.1), 10_000)?;

    let images: Vec<Digit> = (0..BATCH).map(|i| test_d.image(i).expect("100 test images")).collect();
    let samples: Vec<[f32; 784]> = (0..BATCH).map(|i| test_r.image(i).expect("100 test rows")).collect();

    if let Some(name) = &o.profile {
        return profile(name, o.calls, &fused, &dense, &images, &samples);
    }

    if o.export_only {
        let mut json = String::from("{\n");
        reference(&mut json, "simple_conv_net", &fused, &test_d, &images, conv_trained)?;
        json.push_str(",\n");
        reference(&mut json, "dense_784_50_10", &dense, &test_r, &samples, dense_trained)?;
        json.push_str("\n}\n");
        std::fs::write(o.weights.join("typenet_reference.json"), json)?;
        agree("chained SimpleConvNet", &chained, &fused, &images)?;
        eprintln!(
            "weights: {} ({}), {} ({})",
            conv_file.display(),
            if conv_trained { "trained" } else { "loaded" },
            dense_file.display(),
            if dense_trained { "trained" } else { "loaded" }
        );
        return Ok(());
    }

    let one = Protocol {
        warmup_calls: 500,
        blocks: if o.quick { 50 } else { 1000 },
    };
    let many = Protocol {
        warmup_calls: 20,
        blocks: if o.quick { 30 } else { 200 },
    };
    let conv = "SimpleConvNet";
    time_one(conv, "ConvReluPool", &fused, &images, one);
    time_one(conv, "chained", &chained, &images, one);
    time_batch(conv, "ConvReluPool", &fused, &images, many);
    time_batch(conv, "chained", &chained, &images, many);
    time_one("784-50-10", "", &dense, &samples, one);
    time_batch("784-50-10", "", &dense, &samples, many);
    Ok(())
}

/// The inputs of the first test images and `net`'s scores for the first
/// `REFERENCE_SCORES`, with its test accuracy, as one JSON member.
fn reference<X: Row<Scalar = f32>, N: Net<X>>(
    out: &mut String,
    name: &str,
    net: &N,
    test: &Dataset<X, 10>,
    inputs: &[X],
    trained: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let list = |values: &[f32]| values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(",");
    let mut scratch = net.sample_scratch();
    let scores = inputs[..REFERENCE_SCORES]
        .iter()
        .map(|x| {
            Ok(format!(
                "[{}]",
                list(net.sample_scores_with(&mut scratch, x)?.as_slice())
            ))
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    let pixels: Vec<String> = inputs[..REFERENCE_INPUTS]
        .iter()
        .map(|x| format!("[{}]", list(x.as_slice())))
        .collect();
    write!(
        out,
        "\"{name}\": {{\"trained_here\": {trained}, \"test_accuracy\": {:.6},\n\"inputs\": [{}],\n\"scores\": [{}]}}",
        accuracy(net, test)?,
        pixels.join(",\n"),
        scores.join(",\n")
    )?;
    Ok(())
}

/// Fails unless `a` and `b` give scores within 1e-5 of the largest score
/// on every input (the chained and fused forms sum in the same order, but
/// the check should not depend on it).
fn agree<X: Row<Scalar = f32>, A: Net<X>, B: Net<X>>(
    what: &str,
    a: &A,
    b: &B,
    inputs: &[X],
) -> Result<(), Box<dyn std::error::Error>> {
    for (i, x) in inputs.iter().enumerate() {
        let (sa, sb) = (a.scores(x)?, b.scores(x)?);
        let (sa, sb) = (sa.as_slice(), sb.as_slice());
        let scale = sb.iter().fold(0f32, |m, v| m.max(v.abs()));
        let worst = sa.iter().zip(sb).fold(0f32, |m, (p, q)| m.max((p - q).abs()));
        if worst > 1e-5 * scale {
            return Err(format!("{what}: input {i} differs by {worst} (largest score {scale})").into());
        }
    }
    Ok(())
}

/// One sample at a time, cycling through `inputs`: through a kept scratch
/// room (`sample_scores_with`), and through `classify` (a fresh room each
/// call).
fn time_one<X: Row<Scalar = f32>, N: Net<X>>(model: &str, form: &str, net: &N, inputs: &[X], p: Protocol) {
    let variant = |v: &str| {
        if form.is_empty() {
            v.to_string()
        } else {
            format!("{form}, {v}")
        }
    };
    let row = |v: &str, r: &dyn Fn(&Line)| {
        let v = variant(v);
        r(&Line {
            model,
            precision: "f32",
            batch: 1,
            threads: 1,
            variant: &v,
        })
    };
    let mut scratch = net.sample_scratch();
    let m = measure(p, |k| {
        black_box(
            net.sample_scores_with(&mut scratch, black_box(&inputs[k % inputs.len()]))
                .expect("finite"),
        );
    });
    row("sample_scores_with (kept scratch)", &|r| report(r, &m));
    let m = measure(p, |k| {
        black_box(net.classify(black_box(&inputs[k % inputs.len()])).expect("finite"));
    });
    row("classify", &|r| report(r, &m));
}

/// A batch of 100 through `scores_with` and a kept scratch room: on one
/// thread, and split in two halves of 50 scored on two threads
/// (`std::thread::scope` per call: the API has no threaded inference).
fn time_batch<X: Row<Scalar = f32>, N: Net<X>>(model: &str, form: &str, net: &N, inputs: &[X], p: Protocol) {
    let variant = |v: &str| {
        if form.is_empty() {
            v.to_string()
        } else {
            format!("{form}, {v}")
        }
    };
    let x = Batch::<X>::from_rows(inputs[..BATCH].to_vec());
    let mut scratch = Box::<N::Scratch<Dyn>>::default();
    let m = measure(p, |_| {
        black_box(net.scores_with(&mut scratch, black_box(&x)));
    });
    let v = variant("scores_with");
    report(
        &Line {
            model,
            precision: "f32",
            batch: BATCH,
            threads: 1,
            variant: &v,
        },
        &m,
    );
    let halves = [
        Batch::<X>::from_rows(inputs[..BATCH / 2].to_vec()),
        Batch::<X>::from_rows(inputs[BATCH / 2..BATCH].to_vec()),
    ];
    let mut rooms = [Box::<N::Scratch<Dyn>>::default(), Box::<N::Scratch<Dyn>>::default()];
    let m = measure(p, |_| {
        let [first, second] = &mut rooms;
        std::thread::scope(|s| {
            let other = s.spawn(|| {
                black_box(net.scores_with(second, &halves[1]));
            });
            black_box(net.scores_with(first, &halves[0]));
            other.join().expect("no panic");
        });
    });
    let v = variant("scores_with on halves, thread::scope per call (outside the API)");
    report(
        &Line {
            model,
            precision: "f32",
            batch: BATCH,
            threads: 2,
            variant: &v,
        },
        &m,
    );
}

/// A loop of one call for `perf` or callgrind: `conv-one` (the fused
/// SimpleConvNet through a kept scratch), `conv-classify` (through
/// `classify`), `dense-one`, `dense-classify`.
fn profile<C: Net<Digit>, D: Net<[f32; 784]>>(
    name: &str,
    calls: usize,
    conv: &C,
    dense: &D,
    images: &[Digit],
    samples: &[[f32; 784]],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut conv_room = conv.sample_scratch();
    let mut dense_room = dense.sample_scratch();
    let t0 = std::time::Instant::now();
    for k in 0..calls {
        let class = match name {
            "conv-one" => conv.classify_with(&mut conv_room, &images[k % images.len()])?,
            "conv-classify" => conv.classify(&images[k % images.len()])?,
            "dense-one" => dense.classify_with(&mut dense_room, &samples[k % samples.len()])?,
            "dense-classify" => dense.classify(&samples[k % samples.len()])?,
            other => return Err(format!("unknown profile {other:?}").into()),
        };
        black_box(class);
    }
    eprintln!(
        "{name}: {calls} calls, {:.2} µs each",
        t0.elapsed().as_secs_f64() * 1e6 / calls as f64
    );
    Ok(())
}
