//! Timings of the convolution and pooling kernels at the sizes of the book's
//! SimpleConvNet, and of a whole training step wired by hand from them and
//! the matrix products: evidence for the step time before the conv layers
//! exist. The wiring is throwaway; the layers will do the same work.
//!
//! Ignored by default (they take seconds, and mean nothing in a debug
//! build):
//!
//! ```text
//! cargo test --release --lib kernels::conv_timing -- --ignored --nocapture --test-threads=1
//! ```
//!
//! Each repetition is timed on its own and the median reported, with the
//! 10th and 90th percentiles: the machine may be busy.

use std::path::Path;
use std::time::Instant;
use std::vec::Vec;

use super::conv::{Conv2dGeometry, ConvScratch, conv2d_backward, conv2d_forward};
use super::pool::{PoolGeometry, max_pool2d_backward, max_pool2d_forward};
use super::{nn, nt, tn};

/// Batch size of the book's training.
const BATCH: usize = 100;
/// Repetitions per timing (at least 200).
const REPS: usize = 300;
/// Training steps before timing, so weights and activations look trained.
const WARMUP_STEPS: usize = 200;

const CONV: Conv2dGeometry = Conv2dGeometry {
    cin: 1,
    h: 28,
    w: 28,
    cout: 30,
    k: 5,
    stride: 1,
    pad: 0,
};
const POOL: PoolGeometry = PoolGeometry {
    c: 30,
    h: 24,
    w: 24,
    size: 2,
    stride: 2,
};
const FLAT: usize = 30 * 12 * 12;
const HIDDEN: usize = 100;
const CLASSES: usize = 10;

/// Median, 10th and 90th percentile of `REPS` timings of `f`, in ms.
fn timing(mut f: impl FnMut()) -> [f64; 3] {
    f();
    let mut times: Vec<f64> = (0..REPS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    [times[REPS / 2], times[REPS / 10], times[REPS * 9 / 10]]
}

/// A small deterministic generator (xorshift), so runs repeat exactly.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A standard normal value (Box–Muller).
    fn normal(&mut self) -> f64 {
        let mut uniform = || (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let (u, v) = (uniform().max(1e-300), uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * core::f64::consts::PI * v).cos()
    }
}

/// The vendored first 10,000 MNIST training digits: pixels and labels.
fn mnist() -> (Vec<u8>, Vec<u8>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let images = crate::data::read_images(dir.join("train10k-images-idx3-ubyte.gz")).expect("vendored MNIST images");
    let labels = crate::data::read_labels(dir.join("train10k-labels-idx1-ubyte.gz")).expect("vendored MNIST labels");
    (images.into_pixels(), labels)
}

/// How the conv → ReLU → pool block runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Layer by layer over the whole batch, as a chain of layers runs: the
    /// convolution's output (6.9 MB in f32) and its gradient each make
    /// several trips through memory.
    Book,
    /// One image at a time through conv, ReLU and pool (the kernels called
    /// with a batch of 1), so the convolution's output never leaves the
    /// cache; the ReLU's gradient is taken on the pooled values, which is
    /// the same, since only each window's maximum gets a gradient.
    PerImage,
}

/// The phases of a step, timed inside it.
const PHASES: [&str; 10] = [
    "conv forward",
    "ReLU + pool forward",
    "affine forward ×2",
    "softmax + affine2 backward",
    "affine1 dW",
    "affine1 dx",
    "pool backward + ReLU backward",
    "conv backward (no dx)",
    "SGD",
    "gather batch",
];

/// SimpleConvNet's parameters, gradients and activations, all allocated
/// once; a step touches no allocator.
#[derive(Clone)]
struct Net<T: crate::Scalar> {
    wc: Vec<T>,
    bc: Vec<T>,
    w1: Vec<T>,
    b1: Vec<T>,
    w2: Vec<T>,
    b2: Vec<T>,
    dwc: Vec<T>,
    dbc: Vec<T>,
    dw1: Vec<T>,
    db1: Vec<T>,
    dw2: Vec<T>,
    db2: Vec<T>,
    x: Vec<T>,
    t: Vec<u8>,
    a1: Vec<T>,
    p: Vec<T>,
    arg: Vec<u32>,
    h: Vec<T>,
    s: Vec<T>,
    dh: Vec<T>,
    dp: Vec<T>,
    da1: Vec<T>,
    scratch: ConvScratch<T>,
    /// Milliseconds spent in each of `PHASES`, summed over steps.
    phases: [f64; PHASES.len()],
}

impl<T: crate::Scalar> Net<T> {
    /// The book's initial weights: 0.01·N(0, 1), zero biases.
    fn new(rng: &mut Rng) -> Self {
        let mut normal = |n: usize| (0..n).map(|_| T::of(0.01 * rng.normal())).collect::<Vec<T>>();
        let z = |n: usize| vec![T::ZERO; n];
        Net {
            wc: normal(CONV.weight_len()),
            w1: normal(FLAT * HIDDEN),
            w2: normal(HIDDEN * CLASSES),
            bc: z(CONV.cout),
            b1: z(HIDDEN),
            b2: z(CLASSES),
            dwc: z(CONV.weight_len()),
            dbc: z(CONV.cout),
            dw1: z(FLAT * HIDDEN),
            db1: z(HIDDEN),
            dw2: z(HIDDEN * CLASSES),
            db2: z(CLASSES),
            x: z(BATCH * CONV.in_len()),
            t: vec![0; BATCH],
            a1: z(BATCH * CONV.out_len()),
            p: z(BATCH * FLAT),
            arg: vec![0; BATCH * FLAT],
            h: z(BATCH * HIDDEN),
            s: z(BATCH * CLASSES),
            dh: z(BATCH * HIDDEN),
            dp: z(BATCH * FLAT),
            da1: z(BATCH * CONV.out_len()),
            scratch: ConvScratch::default(),
            phases: [0.0; PHASES.len()],
        }
    }

    /// One SGD step on 100 random digits; returns the mean loss.
    fn step(&mut self, lr: T, order: Order, data: &(Vec<u8>, Vec<u8>), rng: &mut Rng) -> f64 {
        let mut clock = Instant::now();
        let mut phases = self.phases;
        let mut lap = |i: usize| {
            let now = Instant::now();
            phases[i] += (now - clock).as_secs_f64() * 1e3;
            clock = now;
        };
        // the batch, as a trainer gathers it
        let (pixels, labels) = data;
        let scale = T::of(1.0 / 255.0);
        for (row, t) in self.x.chunks_exact_mut(784).zip(&mut self.t) {
            let i = (rng.next() % labels.len() as u64) as usize;
            row.iter_mut()
                .zip(&pixels[i * 784..(i + 1) * 784])
                .for_each(|(v, &p)| *v = scale * T::of(p as f64));
            *t = labels[i];
        }
        lap(9);
        // forward
        let relu = |v: &mut T| *v = v.max(T::ZERO);
        if order == Order::PerImage {
            let a = &mut self.a1[..CONV.out_len()];
            for ((x, p), arg) in self
                .x
                .chunks_exact(CONV.in_len())
                .zip(self.p.chunks_exact_mut(FLAT))
                .zip(self.arg.chunks_exact_mut(FLAT))
            {
                conv2d_forward(&CONV, 1, x, &self.wc, &self.bc, a, &mut self.scratch);
                lap(0);
                a.iter_mut().for_each(relu);
                max_pool2d_forward(&POOL, 1, a, p, Some(arg));
                lap(1);
            }
        } else {
            conv2d_forward(
                &CONV,
                BATCH,
                &self.x,
                &self.wc,
                &self.bc,
                &mut self.a1,
                &mut self.scratch,
            );
            lap(0);
            self.a1.iter_mut().for_each(relu);
            max_pool2d_forward(&POOL, BATCH, &self.a1, &mut self.p, Some(&mut self.arg));
            lap(1);
        }
        nn(BATCH, FLAT, HIDDEN, &self.p, &self.w1, &mut self.h, false);
        for row in self.h.chunks_exact_mut(HIDDEN) {
            row.iter_mut()
                .zip(&self.b1)
                .for_each(|(v, &b)| *v = (*v + b).max(T::ZERO));
        }
        nn(BATCH, HIDDEN, CLASSES, &self.h, &self.w2, &mut self.s, false);
        lap(2);
        // softmax cross-entropy; `s` becomes its gradient
        let mut loss = 0.0;
        let inv_b = T::of(1.0 / BATCH as f64);
        for (row, &t) in self.s.chunks_exact_mut(CLASSES).zip(&self.t) {
            row.iter_mut().zip(&self.b2).for_each(|(v, &b)| *v = *v + b);
            let max = row.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
            let mut sum = T::ZERO;
            row.iter_mut().for_each(|v| {
                *v = (*v - max).exp();
                sum = sum + *v;
            });
            row.iter_mut().for_each(|v| *v = *v / sum);
            loss -= (row[t as usize].as_f64() + 1e-7).ln();
            row[t as usize] = row[t as usize] - T::ONE;
            row.iter_mut().for_each(|v| *v = *v * inv_b);
        }
        // backward
        tn(BATCH, HIDDEN, CLASSES, &self.h, &self.s, &mut self.dw2);
        column_sums(&self.s, &mut self.db2);
        nt(BATCH, CLASSES, HIDDEN, &self.s, &self.w2, &mut self.dh);
        mask(&mut self.dh, &self.h);
        lap(3);
        tn(BATCH, FLAT, HIDDEN, &self.p, &self.dh, &mut self.dw1);
        column_sums(&self.dh, &mut self.db1);
        lap(4);
        nt(BATCH, HIDDEN, FLAT, &self.dh, &self.w1, &mut self.dp);
        lap(5);
        if order == Order::PerImage {
            mask(&mut self.dp, &self.p);
            let da = &mut self.da1[..CONV.out_len()];
            let (mut dw, mut db) = ([T::ZERO; CONV.weight_len()], [T::ZERO; CONV.cout]);
            self.dwc.fill(T::ZERO);
            self.dbc.fill(T::ZERO);
            for ((x, dp), arg) in self
                .x
                .chunks_exact(CONV.in_len())
                .zip(self.dp.chunks_exact(FLAT))
                .zip(self.arg.chunks_exact(FLAT))
            {
                max_pool2d_backward(&POOL, 1, arg, dp, da);
                lap(6);
                conv2d_backward(&CONV, 1, x, &self.wc, da, &mut dw, &mut db, None, &mut self.scratch);
                self.dwc.iter_mut().zip(&dw).for_each(|(a, &b)| *a = *a + b);
                self.dbc.iter_mut().zip(&db).for_each(|(a, &b)| *a = *a + b);
                lap(7);
            }
        } else {
            max_pool2d_backward(&POOL, BATCH, &self.arg, &self.dp, &mut self.da1);
            mask(&mut self.da1, &self.a1);
            lap(6);
            conv2d_backward(
                &CONV,
                BATCH,
                &self.x,
                &self.wc,
                &self.da1,
                &mut self.dwc,
                &mut self.dbc,
                None,
                &mut self.scratch,
            );
            lap(7);
        }
        for (w, dw) in [
            (&mut self.wc, &self.dwc),
            (&mut self.bc, &self.dbc),
            (&mut self.w1, &self.dw1),
            (&mut self.b1, &self.db1),
            (&mut self.w2, &self.dw2),
            (&mut self.b2, &self.db2),
        ] {
            w.iter_mut().zip(dw.iter()).for_each(|(w, &d)| *w = *w - lr * d);
        }
        lap(8);
        self.phases = phases;
        loss / BATCH as f64
    }
}

/// The ReLU's gradient: `d = 0` where the ReLU's output `a` is not positive.
fn mask<T: crate::Scalar>(d: &mut [T], a: &[T]) {
    d.iter_mut()
        .zip(a)
        .for_each(|(d, &a)| *d = if a > T::ZERO { *d } else { T::ZERO });
}

fn column_sums<T: crate::Scalar>(m: &[T], sums: &mut [T]) {
    sums.fill(T::ZERO);
    for row in m.chunks_exact(sums.len()) {
        sums.iter_mut().zip(row).for_each(|(s, &v)| *s = *s + v);
    }
}

fn zero_percent<T: crate::Scalar>(v: &[T]) -> f64 {
    100.0 * v.iter().filter(|&&v| v == T::ZERO).count() as f64 / v.len() as f64
}

fn print_row(what: &str, [median, p10, p90]: [f64; 3]) {
    println!("  {what:<34} {median:>7.3} ms  ({p10:.3}–{p90:.3})");
}

/// Trains SimpleConvNet for a while, then times each kernel on the live
/// activations, and whole steps in both orders.
fn simple_conv_net<T: crate::Scalar>() {
    let data = mnist();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut net = Net::<T>::new(&mut rng);
    let lr = T::of(0.1);
    let losses: Vec<f64> = (0..WARMUP_STEPS)
        .map(|_| net.step(lr, Order::Book, &data, &mut rng))
        .collect();
    let (first, last) = (
        losses[..20].iter().sum::<f64>() / 20.0,
        losses[WARMUP_STEPS - 20..].iter().sum::<f64>() / 20.0,
    );
    assert!(
        last < 0.7 * first,
        "the hand-wired net does not learn: {first} → {last}"
    );
    println!(
        "SimpleConvNet, batch {BATCH}, {}, 1 thread; median of {REPS} (10th–90th percentile)",
        core::any::type_name::<T>()
    );
    println!(
        "  loss {first:.3} → {last:.3} over {WARMUP_STEPS} warm-up steps; zeros: input {:.0} %, conv dy {:.0} %",
        zero_percent(&net.x),
        zero_percent(&net.da1)
    );

    // both ways compute the same step, up to rounding
    let (mut by_layer, mut by_image, mut same_batch) = (net.clone(), net.clone(), rng.clone());
    by_layer.step(lr, Order::Book, &data, &mut rng);
    by_image.step(lr, Order::PerImage, &data, &mut same_batch);
    for (a, b) in [
        (&by_layer.dwc, &by_image.dwc),
        (&by_layer.dbc, &by_image.dbc),
        (&by_layer.wc, &by_image.wc),
    ] {
        let size = a.iter().fold(0.0f64, |m, v| m.max(v.as_f64().abs()));
        let diff = a
            .iter()
            .zip(b)
            .fold(0.0f64, |m, (a, b)| m.max((a.as_f64() - b.as_f64()).abs()));
        assert!(diff <= 1e-4 * size, "the two ways differ: {diff} of {size}");
    }
    let mut steps = [Order::Book, Order::PerImage].map(|order| {
        net.phases = [0.0; PHASES.len()];
        let t = timing(|| {
            net.step(lr, order, &data, &mut rng);
        });
        (t, net.phases.map(|t| t / (REPS + 1) as f64))
    });
    // the kernels alone, on the activations of the last book-order step
    net.step(lr, Order::Book, &data, &mut rng);
    let Net {
        x,
        wc,
        bc,
        a1,
        da1,
        dwc,
        dbc,
        p,
        arg,
        dp,
        scratch,
        ..
    } = &mut net;
    let (mut y, mut dx, mut da) = (a1.clone(), x.clone(), da1.clone());
    print_row(
        "conv forward",
        timing(|| conv2d_forward(&CONV, BATCH, x, wc, bc, &mut y, scratch)),
    );
    print_row(
        "conv backward, no dx",
        timing(|| conv2d_backward(&CONV, BATCH, x, wc, da1, dwc, dbc, None, scratch)),
    );
    print_row(
        "conv backward, with dx",
        timing(|| conv2d_backward(&CONV, BATCH, x, wc, da1, dwc, dbc, Some(&mut dx), scratch)),
    );
    print_row(
        "pool forward (with argmax)",
        timing(|| max_pool2d_forward(&POOL, BATCH, a1, p, Some(arg))),
    );
    print_row(
        "pool backward",
        timing(|| max_pool2d_backward(&POOL, BATCH, arg, dp, &mut da)),
    );
    print_row("whole step, layer by layer", steps[0].0);
    print_row("whole step, conv-ReLU-pool per image", steps[1].0);
    println!("  phases (means; layer by layer | per image):");
    let [(_, by_layer), (_, by_image)] = &mut steps;
    for (i, what) in PHASES.iter().enumerate() {
        println!("    {what:<32} {:>7.3} | {:>7.3} ms", by_layer[i], by_image[i]);
    }
}

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn simple_conv_net_f32() {
    simple_conv_net::<f32>();
}

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn simple_conv_net_f64() {
    simple_conv_net::<f64>();
}

/// Runs one kernel `REPS` times (environment: `KERNEL` = `conv_forward`,
/// `conv_backward`, `conv_backward_dx`, `pool_forward`, `pool_backward` or
/// `step`; `TYPE` = `f32` or `f64`; `REPS`), on activations of a net trained
/// for 50 steps, for a profiler: `perf stat -e task-clock` of `REPS=0` and
/// `REPS=1000` gives the time per call even on a busy machine.
#[test]
#[ignore = "profiling aid"]
fn profile_one_kernel() {
    if std::env::var("TYPE").as_deref() == Ok("f64") {
        profile::<f64>();
    } else {
        profile::<f32>();
    }
}

fn profile<T: crate::Scalar>() {
    let data = mnist();
    let mut rng = Rng(1);
    let mut net = Net::<T>::new(&mut rng);
    for _ in 0..50 {
        net.step(T::of(0.1), Order::Book, &data, &mut rng);
    }
    let kernel = std::env::var("KERNEL").unwrap_or_default();
    let reps: usize = std::env::var("REPS").map_or(1000, |r| r.parse().expect("REPS is a number"));
    let mut dx = net.x.clone();
    for _ in 0..reps {
        let n = &mut net;
        match kernel.as_str() {
            "conv_forward" => conv2d_forward(&CONV, BATCH, &n.x, &n.wc, &n.bc, &mut n.a1, &mut n.scratch),
            "conv_backward" => conv2d_backward(
                &CONV,
                BATCH,
                &n.x,
                &n.wc,
                &n.da1,
                &mut n.dwc,
                &mut n.dbc,
                None,
                &mut n.scratch,
            ),
            "conv_backward_dx" => conv2d_backward(
                &CONV,
                BATCH,
                &n.x,
                &n.wc,
                &n.da1,
                &mut n.dwc,
                &mut n.dbc,
                Some(&mut dx),
                &mut n.scratch,
            ),
            "pool_forward" => max_pool2d_forward(&POOL, BATCH, &n.a1, &mut n.p, Some(&mut n.arg)),
            "pool_backward" => max_pool2d_backward(&POOL, BATCH, &n.arg, &n.dp, &mut n.da1),
            "step" => {
                n.step(T::of(0.1), Order::Book, &data, &mut rng);
            }
            other => panic!("unknown KERNEL {other:?}"),
        }
    }
}
