//! The firmware's test cases and what the host build of `typenet-no-std`
//! answers for each, written as Rust source that the firmware includes.
//! Floats travel as bit patterns, so NaN, infinities and signed zeros
//! arrive exactly as they were.

use std::fmt::Write;

use typenet::Image;
use typenet_no_std as net;

/// Samples for the classifier: pseudo-random ones, then the edge cases.
const RANDOM_SAMPLES: usize = 64;
/// Training steps on the device, each on a batch of 8.
const STEPS: usize = 12;

/// The generated source for `digits` (with their labels): every input and
/// every expected output.
pub fn source(digits: &[[[u8; 28]; 28]], labels: &[u8]) -> String {
    let mut out = String::from("// Written by build.rs from the host build of typenet-no-std.\n");
    let mut rng = XorShift(0x9E37_79B9);
    let samples = samples(&mut rng);
    let steps = steps(&mut rng);
    digit_cases(&mut out, digits, labels);
    classifier_cases(&mut out, &samples);
    training_cases(&mut out, &steps);
    measure_inputs(
        &mut out,
        digits.first().copied().unwrap_or([[0; 28]; 28]),
        samples[0],
        &steps[0],
    );
    out
}

fn digit_cases(out: &mut String, digits: &[[[u8; 28]; 28]], labels: &[u8]) {
    let n = digits.len();
    let probabilities: Vec<_> = digits.iter().map(|d| net::digit_probabilities(d).map(bits)).collect();
    let classes: Vec<_> = digits.iter().map(net::read_digit).collect();
    let from_f32: Vec<_> = digits.iter().map(|d| net::read_digit_f32(&unit_image(d))).collect();
    let images = list(digits, |d| list(d, |r| list(r, u8::to_string)));
    item(
        out,
        "How many MNIST test digits the check reads.",
        "const DIGIT_COUNT: usize",
        &n.to_string(),
    );
    item(
        out,
        "The first MNIST test digits.",
        &format!("static IMAGES: [[[u8; 28]; 28]; {n}]"),
        &images,
    );
    item(
        out,
        "Their labels.",
        &format!("static LABELS: [u8; {n}]"),
        &list(labels, u8::to_string),
    );
    item(
        out,
        "`digit_probabilities` of each, on the host.",
        &format!("static DIGIT_PROBABILITIES: [Option<[u32; 10]>; {n}]"),
        &list(&probabilities, |p| option(p, |p| hex_list(p))),
    );
    item(
        out,
        "`read_digit` of each, on the host.",
        &format!("static DIGIT_CLASSES: [usize; {n}]"),
        &list(&classes, usize::to_string),
    );
    item(
        out,
        "`read_digit_f32` of each (its pixels / 255), on the host.",
        &format!("static DIGIT_CLASSES_F32: [Option<usize>; {n}]"),
        &list(&from_f32, |c| option(c, usize::to_string)),
    );
}

fn classifier_cases(out: &mut String, samples: &[[f32; 4]]) {
    let n = samples.len();
    let probabilities: Vec<_> = samples.iter().map(|x| net::probabilities(x).map(bits)).collect();
    let classes: Vec<_> = samples.iter().map(net::classify).collect();
    item(
        out,
        "Inputs for the classifier.",
        &format!("static SAMPLES: [[u32; 4]; {n}]"),
        &list(samples, |x| hex_list(&bits(*x))),
    );
    item(
        out,
        "`probabilities` of each, on the host.",
        &format!("static SAMPLE_PROBABILITIES: [Option<[u32; 3]>; {n}]"),
        &list(&probabilities, |p| option(p, |p| hex_list(p))),
    );
    item(
        out,
        "`classify` of each, on the host.",
        &format!("static SAMPLE_CLASSES: [Option<usize>; {n}]"),
        &list(&classes, |c| option(c, usize::to_string)),
    );
}

/// One training step's batch, labels and learning rate.
struct Step {
    x: [[f32; 4]; 8],
    labels: [usize; 8],
    lr: f64,
}

fn training_cases(out: &mut String, steps: &[Step]) {
    let n = steps.len();
    let mut classifier = net::trainable_classifier();
    let mut losses = Vec::new();
    let mut parameters = Vec::new();
    for s in steps {
        losses.push(net::train_step(&mut classifier, s.x, s.labels, s.lr).map(f32::to_bits));
        parameters.push(bits(net::classifier_parameters(&classifier)));
    }
    let step = |s: &Step| {
        format!(
            "Step {{ x: {}, labels: {}, lr: {:#018x} }}",
            list(&s.x, |x| hex_list(&bits(*x))),
            list(&s.labels, usize::to_string),
            s.lr.to_bits()
        )
    };
    let p = net::CLASSIFIER_PARAMS;
    item(
        out,
        "Training steps, applied in order to one copy of the classifier.",
        &format!("static STEPS: [Step; {n}]"),
        &list(steps, step),
    );
    item(
        out,
        "What `train_step` returned for each, on the host.",
        &format!("static STEP_LOSSES: [Option<u32>; {n}]"),
        &list(&losses, |l| option(l, |l| format!("{l:#010x}"))),
    );
    item(
        out,
        "`classifier_parameters` after each step, on the host.",
        &format!("static STEP_PARAMETERS: [[u32; {p}]; {n}]"),
        &list(&parameters, |p| hex_list(p)),
    );
}

/// What the measuring firmware feeds the nets: one digit, one sample, the
/// first training batch (whose step the host accepts).
/// The keyword spotter's inputs and LiteRT's outputs for them (its
/// reference kernels, from the fixture): the 32 seeded random inputs and
/// the MLPerf sample.
pub fn keyword_cases(out: &mut String, fixture: &crate::fixture::Fixture) {
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    for (input, output) in [("input", "output"), ("sample_input", "sample_output")] {
        let (x, y) = (&fixture[input], &fixture[output]);
        inputs.extend(x.i8().chunks_exact(490).map(<[i8]>::to_vec));
        outputs.extend(y.i8().chunks_exact(12).map(<[i8]>::to_vec));
    }
    assert_eq!(inputs.len(), outputs.len(), "one output per input");
    let n = inputs.len();
    let rows = |rows: &[Vec<i8>]| list(rows, |r| list(r, i8::to_string));
    item(
        out,
        "Inputs of the keyword spotter: 49 × 10 MFCC codes in TFLite's order.",
        &format!("static KEYWORD_INPUTS: [[i8; 490]; {n}]"),
        &rows(&inputs),
    );
    item(
        out,
        "LiteRT's int8 outputs for them.",
        &format!("static KEYWORD_SCORES: [[i8; 12]; {n}]"),
        &rows(&outputs),
    );
    // the host build of the same no_std code agrees (tests/tflite_import.rs
    // checks it too); the device must give these bits
    for (x, y) in inputs.iter().zip(&outputs) {
        assert_eq!(net::keyword_scores(x).as_ref().map(|s| &s[..]), Some(&y[..]));
    }
}

fn measure_inputs(out: &mut String, digit: [[u8; 28]; 28], sample: [f32; 4], step: &Step) {
    let image = list(&digit, |r| list(r, u8::to_string));
    let batch = list(&step.x, |x| hex_list(&bits(*x)));
    let labels = list(&step.labels, usize::to_string);
    item(
        out,
        "The digit the measuring firmware reads.",
        "static MEASURE_IMAGE: [[u8; 28]; 28]",
        &image,
    );
    item(
        out,
        "The sample it classifies.",
        "static MEASURE_SAMPLE: [u32; 4]",
        &hex_list(&bits(sample)),
    );
    item(
        out,
        "The batch it trains on.",
        "static MEASURE_BATCH: [[u32; 4]; 8]",
        &batch,
    );
    item(out, "Its labels.", "static MEASURE_LABELS: [usize; 8]", &labels);
}

/// One public item of the generated source.
fn item(out: &mut String, doc: &str, declaration: &str, value: &str) {
    let _ = writeln!(out, "/// {doc}\npub {declaration} = {value};");
}

/// Random samples in [-4, 4), then inputs at the edges: zeros, a
/// subnormal, large finite values whose scores overflow, NaN, infinities.
fn samples(rng: &mut XorShift) -> Vec<[f32; 4]> {
    let mut samples: Vec<[f32; 4]> = (0..RANDOM_SAMPLES)
        .map(|_| core::array::from_fn(|_| rng.in_range(4.0)))
        .collect();
    samples.extend([
        [0.0; 4],
        [-0.0, 0.0, -0.0, 0.0],
        [1e-40, -1e-40, f32::MIN_POSITIVE, 0.0],
        [1e3, -1e3, 1e3, -1e3],
        [f32::MAX, -f32::MAX, f32::MAX, 0.0],
        [f32::NAN, 0.0, 0.0, 0.0],
        [0.0, f32::INFINITY, 0.0, 0.0],
        [0.0, 0.0, 0.0, f32::NEG_INFINITY],
    ]);
    samples
}

/// Batches with random labels at a learning rate of 0.05, three of them
/// to be refused (and the net left as it was): a label out of range, a NaN
/// learning rate, and one so large that the weights would overflow.
fn steps(rng: &mut XorShift) -> Vec<Step> {
    (0..STEPS)
        .map(|i| {
            let x = core::array::from_fn(|_| core::array::from_fn(|_| rng.in_range(3.0)));
            let mut labels = core::array::from_fn(|_| rng.below(3));
            let lr = match i {
                7 => f64::NAN,
                9 => 1e38,
                _ => 0.05,
            };
            if i == 4 {
                labels[5] = 3;
            }
            Step { x, labels, lr }
        })
        .collect()
}

/// The image `read_digit` makes of bytes, for `read_digit_f32`.
fn unit_image(pixels: &[[u8; 28]; 28]) -> Image<f32, 1, 28, 28> {
    Image([pixels.map(|row| row.map(|p| f32::from(p) / 255.0))])
}

fn bits<const N: usize>(x: [f32; N]) -> [u32; N] {
    x.map(f32::to_bits)
}

fn hex_list(x: &[u32]) -> String {
    list(x, |v| format!("{v:#010x}"))
}

fn list<T>(items: &[T], item: impl Fn(&T) -> String) -> String {
    let items: Vec<String> = items.iter().map(item).collect();
    format!("[{}]", items.join(", "))
}

fn option<T>(x: &Option<T>, some: impl Fn(&T) -> String) -> String {
    x.as_ref().map_or("None".into(), |v| format!("Some({})", some(v)))
}

/// Marsaglia's xorshift32: the same cases on every build.
struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    /// Uniform in [-limit, limit), on a grid of 2⁻²³·limit.
    fn in_range(&mut self, limit: f32) -> f32 {
        ((self.next() >> 8) as f32 / (1 << 23) as f32 - 1.0) * limit
    }

    fn below(&mut self, n: u32) -> usize {
        (self.next() % n) as usize
    }
}
