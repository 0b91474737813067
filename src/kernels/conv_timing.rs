//! Timings of the convolution and pooling kernels at the sizes of the book's
//! SimpleConvNet, and of a whole training step wired by hand from them and
//! the matrix products: proof of the step time before the conv layers exist.
//!
//! Ignored by default (they take seconds and mean nothing in a debug build):
//! `cargo test --release --lib kernels::conv_timing -- --ignored --nocapture`.
//! Timings are medians over many repetitions, each timed on its own, since
//! the machine may be busy.

use std::path::Path;
use std::time::Instant;
use std::vec::Vec;

use super::conv::{Conv2dGeometry, ConvScratch, conv2d_backward, conv2d_forward};
use super::pool::{PoolGeometry, max_pool2d_backward, max_pool2d_forward};
use super::{nn, nt, tn};

std::thread_local! {
    static PHASES: core::cell::RefCell<[f64; 12]> = const { core::cell::RefCell::new([0.0; 12]) };
}
const PHASE_NAMES: [&str; 12] = [
    "conv fwd",
    "relu",
    "pool fwd",
    "affine1 fwd+relu, affine2",
    "softmax",
    "affine2 bwd, relu bwd",
    "affine1 dW+db",
    "affine1 dx",
    "pool bwd",
    "relu bwd",
    "conv bwd",
    "sgd",
];

/// Batch size of the book's training.
const BATCH: usize = 100;
/// Repetitions per timing (the brief asks for at least 200).
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

/// The median of `REPS` timings of `f`, in milliseconds.
fn median_ms(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..REPS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[REPS / 2]
}

/// A small deterministic generator (xorshift), so the timings need no
/// seeding API and runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal value (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * core::f64::consts::PI * v).cos()
    }
}

/// The first 10,000 MNIST training digits, pixels scaled to [0, 1].
fn mnist() -> (Vec<u8>, Vec<u8>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let images = crate::data::read_images(dir.join("train10k-images-idx3-ubyte.gz")).expect("vendored MNIST images");
    let labels = crate::data::read_labels(dir.join("train10k-labels-idx1-ubyte.gz")).expect("vendored MNIST labels");
    (images.pixels, labels)
}

/// SimpleConvNet's parameters, gradients and activations, all allocated
/// once; a step touches no allocator.
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
}

impl<T: crate::Scalar> Net<T> {
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
        }
    }

    /// Copies the images `indices` into the input batch, as a trainer's
    /// gather would.
    fn gather(&mut self, pixels: &[u8], labels: &[u8], indices: &[usize]) {
        let scale = T::of(1.0 / 255.0);
        for ((row, t), &i) in self.x.chunks_exact_mut(784).zip(&mut self.t).zip(indices) {
            row.iter_mut()
                .zip(&pixels[i * 784..(i + 1) * 784])
                .for_each(|(v, &p)| *v = scale * T::of(p as f64));
            *t = labels[i];
        }
    }

    /// One SGD step on the gathered batch; returns the mean loss.
    fn step(&mut self, lr: T) -> f64 {
        let mut clock = Instant::now();
        let mut lap = |i: usize| {
            let now = Instant::now();
            PHASES.with(|p| p.borrow_mut()[i] += (now - clock).as_secs_f64() * 1e3);
            clock = now;
        };
        // forward
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
        self.a1.iter_mut().for_each(|v| *v = v.max(T::ZERO));
        lap(1);
        max_pool2d_forward(&POOL, BATCH, &self.a1, &mut self.p, Some(&mut self.arg));
        lap(2);
        nn(BATCH, FLAT, HIDDEN, &self.p, &self.w1, &mut self.h, false);
        for row in self.h.chunks_exact_mut(HIDDEN) {
            row.iter_mut()
                .zip(&self.b1)
                .for_each(|(v, &b)| *v = (*v + b).max(T::ZERO));
        }
        lap(3);
        nn(BATCH, HIDDEN, CLASSES, &self.h, &self.w2, &mut self.s, false);
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
        lap(4);
        tn(BATCH, HIDDEN, CLASSES, &self.h, &self.s, &mut self.dw2);
        column_sums(&self.s, &mut self.db2);
        nt(BATCH, CLASSES, HIDDEN, &self.s, &self.w2, &mut self.dh);
        self.dh
            .iter_mut()
            .zip(&self.h)
            .for_each(|(d, &h)| *d = if h > T::ZERO { *d } else { T::ZERO });
        lap(5);
        tn(BATCH, FLAT, HIDDEN, &self.p, &self.dh, &mut self.dw1);
        lap(6);
        column_sums(&self.dh, &mut self.db1);
        nt(BATCH, HIDDEN, FLAT, &self.dh, &self.w1, &mut self.dp);
        lap(7);
        max_pool2d_backward(&POOL, BATCH, &self.arg, &self.dp, &mut self.da1);
        lap(8);
        self.da1
            .iter_mut()
            .zip(&self.a1)
            .for_each(|(d, &a)| *d = if a > T::ZERO { *d } else { T::ZERO });
        lap(9);
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
        lap(10);
        // SGD
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
        lap(11);
        loss / BATCH as f64
    }
}

fn column_sums<T: crate::Scalar>(m: &[T], sums: &mut [T]) {
    sums.fill(T::ZERO);
    for row in m.chunks_exact(sums.len()) {
        sums.iter_mut().zip(row).for_each(|(s, &v)| *s = *s + v);
    }
}

fn zero_fraction<T: crate::Scalar>(v: &[T]) -> f64 {
    v.iter().filter(|&&v| v == T::ZERO).count() as f64 / v.len() as f64
}

/// Trains SimpleConvNet for a while, then times each kernel on the live
/// activations and the whole step; prints one table row per kernel.
fn simple_conv_net<T: crate::Scalar>() {
    crate::set_threads(1);
    let (pixels, labels) = mnist();
    let count = labels.len();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut net = Net::<T>::new(&mut rng);
    let lr = T::of(0.1);
    let mut indices = vec![0usize; BATCH];
    let next_batch = |rng: &mut Rng, indices: &mut Vec<usize>| {
        indices
            .iter_mut()
            .for_each(|i| *i = (rng.next() % count as u64) as usize);
    };
    let (mut first, mut last) = (0.0, 0.0);
    for s in 0..WARMUP_STEPS {
        next_batch(&mut rng, &mut indices);
        net.gather(&pixels, &labels, &indices);
        let loss = net.step(lr);
        if s < 20 {
            first += loss / 20.0;
        }
        if s >= WARMUP_STEPS - 20 {
            last += loss / 20.0;
        }
    }
    println!(
        "{}: loss {first:.3} (first 20 steps) → {last:.3} (last 20 of {WARMUP_STEPS}); zeros: input {:.0} %, conv dy {:.0} %, pooled {:.0} %",
        T::RUST_NAME,
        100.0 * zero_fraction(&net.x),
        100.0 * zero_fraction(&net.da1),
        100.0 * zero_fraction(&net.p),
    );
    assert!(last < first, "the hand-wired net does not learn");

    PHASES.with(|p| *p.borrow_mut() = [0.0; 12]);
    let step = median_ms(|| {
        next_batch(&mut rng, &mut indices);
        net.gather(&pixels, &labels, &indices);
        net.step(lr);
    });

    PHASES.with(|p| {
        for (n, t) in PHASE_NAMES.iter().zip(p.borrow().iter()) {
            println!("  phase {n:<28} {:.3} ms", t / (REPS + 1) as f64);
        }
    });
    // the kernels alone, on the activations of the last step
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
        w1,
        h,
        dh,
        dw1,
        ..
    } = &mut net;
    let mut y = a1.clone();
    let mut dx = x.clone();
    let mut da = da1.clone();
    let rows: [(&str, f64); 9] = [
        (
            "conv forward",
            median_ms(|| conv2d_forward(&CONV, BATCH, x, wc, bc, &mut y, scratch)),
        ),
        (
            "conv backward, no dx",
            median_ms(|| conv2d_backward(&CONV, BATCH, x, wc, da1, dwc, dbc, None, scratch)),
        ),
        (
            "conv backward, with dx",
            median_ms(|| conv2d_backward(&CONV, BATCH, x, wc, da1, dwc, dbc, Some(&mut dx), scratch)),
        ),
        (
            "pool forward (argmax)",
            median_ms(|| max_pool2d_forward(&POOL, BATCH, a1, p, Some(arg))),
        ),
        (
            "pool backward",
            median_ms(|| max_pool2d_backward(&POOL, BATCH, arg, dp, &mut da)),
        ),
        (
            "affine1 forward x·W",
            median_ms(|| nn(BATCH, FLAT, HIDDEN, p, w1, h, false)),
        ),
        ("affine1 dW = xᵀ·dy", median_ms(|| tn(BATCH, FLAT, HIDDEN, p, dh, dw1))),
        ("affine1 dx = dy·Wᵀ", median_ms(|| nt(BATCH, HIDDEN, FLAT, dh, w1, dp))),
        ("whole training step", step),
    ];
    for (what, ms) in rows {
        println!("{} {what:<24} {ms:>7.3} ms", T::RUST_NAME);
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

#[test]
#[ignore = "profiling aid"]
fn profile_conv_forward() {
    type T = f32;
    let (pixels, labels) = mnist();
    let mut rng = Rng(1);
    let mut net = Net::<T>::new(&mut rng);
    let idx: Vec<usize> = (0..BATCH).collect();
    net.gather(&pixels, &labels, &idx);
    for _ in 0..50 {
        net.step(0.1);
    }
    let what = std::env::var("PROFILE").unwrap_or_default();
    eprintln!("dy zeros {:.3}", zero_fraction(&net.da1));
    if std::env::var_os("DENSE_DY").is_some() {
        net.da1
            .iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = (i % 7) as f32 + 1.0);
    }
    if std::env::var_os("ZERO_DY").is_some() {
        net.da1.fill(0.0);
    }
    let reps: usize = std::env::var("REPS").map_or(2000, |r| r.parse().unwrap());
    for _ in 0..reps {
        match what.as_str() {
            "fwd" => conv2d_forward(&CONV, BATCH, &net.x, &net.wc, &net.bc, &mut net.a1, &mut net.scratch),
            "bwd" => conv2d_backward(
                &CONV,
                BATCH,
                &net.x,
                &net.wc,
                &net.da1,
                &mut net.dwc,
                &mut net.dbc,
                None,
                &mut net.scratch,
            ),
            "bwddx" => conv2d_backward(
                &CONV,
                BATCH,
                &net.x,
                &net.wc,
                &net.da1,
                &mut net.dwc,
                &mut net.dbc,
                Some(&mut net.x.clone()),
                &mut net.scratch,
            ),
            "poolb" => max_pool2d_backward(&POOL, BATCH, &net.arg, &net.dp, &mut net.da1),
            "read" => {
                assert!(crate::Scalar::all_finite(&net.da1[..]));
            }
            "read1" => {
                assert!(crate::Scalar::all_finite(&net.da1[..17280]));
            }
            "step" => {
                net.step(0.1);
            }
            _ => max_pool2d_forward(&POOL, BATCH, &net.a1, &mut net.p, Some(&mut net.arg)),
        }
    }
}
