//! Speed and allocation figures for the project's performance targets, in
//! the peer benchmarks' terms (`../shared/bench` protocol: the same
//! SplitMix64 initial weights and mini-batch index sequence): the dense
//! seed net (every step timed, medians over steps 101–10,000), the tiny
//! net, and the book's SimpleConvNet (steps 20–319 timed, test accuracy
//! after 2,000 steps, and one image classified at a time).
//!
//! ```text
//! cargo bench --bench speed              # the full run (about a minute)
//! cargo bench --bench speed -- --quick   # 1,100 steps, short small-net timing
//! cargo bench --bench speed -- --tiny    # the small net only
//! cargo bench --bench speed -- --dense   # the seed net, f32, one thread, only
//! cargo bench --bench speed -- --parallel  # f32 steps at 1 and 2 threads: the seed net, ConvReluPool
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use typenet::data::{Dataset, MnistFiles, Pixels};
use typenet::prelude::*;
use typenet::train::{DataParallel, accuracy};

// ---------------------------------------------------------------- allocations

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------- the shared streams
//
// Counter-based SplitMix64: value(seed, stream, i) = mix(base(seed, stream) + (i+1)·GOLDEN),
// the streams every row of the peer benchmark draws its weights and batches from.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const STREAM_MUL: u64 = 0xD1B5_4A32_D192_ED03;
const STREAM_W1: u64 = 0;
const STREAM_W2: u64 = 1;
const STREAM_BATCH: u64 = 2;
const STREAM_SMALL_W1: u64 = 3;
const STREAM_SMALL_W2: u64 = 4;
const STREAM_SMALL_X: u64 = 5;
const STREAM_SMALL_Y: u64 = 6;
const STREAM_CONV: u64 = 7;
const STREAM_CNN_A1: u64 = 8;
const STREAM_CNN_A2: u64 = 9;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn stream(seed: u64, stream: u64, i: u64) -> u64 {
    let base = mix(seed.wrapping_add(stream.wrapping_mul(STREAM_MUL)));
    mix(base.wrapping_add(i.wrapping_add(1).wrapping_mul(GOLDEN)))
}

fn unit(u: u64) -> f64 {
    (u >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn below(u: u64, n: u64) -> u64 {
    ((u >> 32) * n) >> 32
}

/// std·N(0, 1) by Box–Muller, one normal per pair of draws.
fn normal(seed: u64, s: u64, k: u64, std: f64) -> f64 {
    let (u1, u2) = (unit(stream(seed, s, 2 * k)), unit(stream(seed, s, 2 * k + 1)));
    std * (-2.0 * (1.0 - u1).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn seeded_affine<T: Scalar, const I: usize, const O: usize, S: typenet::Storage>(
    seed: u64,
    s: u64,
) -> Affine<[T; I], O, S> {
    Affine::from_fn(
        |i, j| T::of(normal(seed, s, (i * O + j) as u64, 0.01) as f32 as f64),
        |_| T::ZERO,
    )
}

// ---------------------------------------------------------------- timing

struct Stats {
    median: f64,
    p10: f64,
    p90: f64,
}

fn stats(mut v: Vec<f64>) -> Stats {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    Stats {
        median: at(0.5),
        p10: at(0.1),
        p90: at(0.9),
    }
}

struct Options {
    steps: usize,
    warmup: usize,
    small_warmup: usize,
    small_blocks: usize,
    cnn_steps: usize,
}

const SEED: u64 = 42;
const BATCH: usize = 100;

type Seed<T> = TwoLayerNet<T, 784, 50, 10>;

/// One seed run: 10,000 SGD steps from the shared weights on the shared
/// batches, each step timed (gather the rows, forward, backward, update;
/// with 2 threads, data-parallel over two replicas).
fn seed_run<T: Scalar>(o: &Options, threads: usize, train: &Dataset<[T; 784], 10>, test: &Dataset<[T; 784], 10>) {
    let net: Seed<T> = seeded_affine(SEED, STREAM_W1)
        .then(Relu)
        .then(seeded_affine(SEED, STREAM_W2))
        .then(SoftmaxWithLoss);
    let replicas = DataParallel::new(net, Sgd::new(0.1), train.clone(), threads, SEED).expect("threads start");
    let (net, timed) = timed_steps(replicas, train.len(), o.steps, o.warmup..o.steps);
    let times: Vec<f64> = timed.times.iter().map(|t| t * 1e6).collect();
    let (wall, allocations) = (timed.wall, timed.allocations);
    let s = stats(times);
    println!(
        "| seed step 784-50-10, batch 100, {} | {threads} | {:.1} µs [{:.1}–{:.1}] | {:.2} s | {:.2} % | {:.2} |",
        std::any::type_name::<T>(),
        s.median,
        s.p10,
        s.p90,
        wall,
        100.0 * accuracy(&net, test).expect("MNIST pixels are finite"),
        allocations as f64 / (o.steps - o.warmup) as f64,
    );
}

/// What [`timed_steps`] measured.
struct Timed {
    /// Seconds per step, for the steps in the timed range.
    times: Vec<f64>,
    /// Heap allocations in the timed range.
    allocations: usize,
    /// Seconds for all steps.
    wall: f64,
}

/// Runs `steps` SGD steps on the peer benchmark's batches (its batch
/// stream, drawn with replacement), timing each step in `timed`; returns the
/// trained net.
fn timed_steps<In, N>(
    mut replicas: DataParallel<In, N, Sgd, 10>,
    samples: usize,
    steps: usize,
    timed: std::ops::Range<usize>,
) -> (N, Timed)
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In, Out = [In::Scalar; 10]> + Clone + Send + Sync + 'static,
{
    let indices: Vec<usize> = (0..(steps * BATCH) as u64)
        .map(|i| below(stream(SEED, STREAM_BATCH, i), samples as u64) as usize)
        .collect();
    let (mut times, mut allocations) = (Vec::with_capacity(timed.len()), 0);
    let wall = Instant::now();
    for step in 0..steps {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let t0 = Instant::now();
        replicas
            .step(&indices[step * BATCH..(step + 1) * BATCH])
            .expect("finite");
        let elapsed = t0.elapsed().as_secs_f64();
        if timed.contains(&step) {
            times.push(elapsed);
            allocations += ALLOCATIONS.load(Ordering::Relaxed) - before;
        }
    }
    let wall = wall.elapsed().as_secs_f64();
    (
        replicas.into_parts().0,
        Timed {
            times,
            allocations,
            wall,
        },
    )
}

type Digit<T> = Image<T, 1, 28, 28>;

/// The CNN peer benchmark's initial weights: streams 7, 8, 9,
/// 0.01·N(0, 1), conv weights (30, 1, 5, 5), biases 0.
fn cnn_weight<T: Scalar>(stream: u64, k: usize) -> T {
    T::of(normal(SEED, stream, k as u64, 0.01) as f32 as f64)
}

fn first_conv<T: Scalar>() -> Conv2d<T, 1, 30, 5> {
    Conv2d::from_fn(|o, _, i, j| cnn_weight(STREAM_CONV, (o * 5 + i) * 5 + j), |_| T::ZERO)
}

/// SimpleConvNet from the benchmark's weights, after its convolution
/// block (`Conv2d` → `Relu` → `MaxPool2d`, chained or fused): Affine 100,
/// ReLU, Affine 10, softmax.
fn simple_conv_net<T, B>(block: B) -> impl TrainableNetwork<Digit<T>, Out = [T; 10]> + Clone + Send + Sync + 'static
where
    T: Scalar,
    B: Trainable<Digit<T>, Out = Image<T, 30, 12, 12>> + Clone + Send + Sync + 'static,
{
    block
        .then(Affine::<_, 100>::from_fn(
            |i, j| cnn_weight(STREAM_CNN_A1, i * 100 + j),
            |_| T::ZERO,
        ))
        .then(Relu)
        .then(Affine::<_, 10>::from_fn(
            |i, j| cnn_weight(STREAM_CNN_A2, i * 10 + j),
            |_| T::ZERO,
        ))
        .then(SoftmaxWithLoss)
}

/// The book's SimpleConvNet, its layers chained.
fn chained_conv_net<T: Scalar>() -> impl TrainableNetwork<Digit<T>, Out = [T; 10]> + Clone + Send + Sync + 'static {
    simple_conv_net(
        Input::<Digit<T>>::new()
            .then(first_conv())
            .then(Relu)
            .then(MaxPool2d::<2>),
    )
}

/// The same net with conv → ReLU → pool run as one layer, image by image.
fn fused_conv_net<T: Scalar>() -> impl TrainableNetwork<Digit<T>, Out = [T; 10]> + Clone + Send + Sync + 'static {
    simple_conv_net(Input::<Digit<T>>::new().then(ConvReluPool::new(first_conv(), MaxPool2d::<2>)))
}

/// A SimpleConvNet (`name`) trained as the CNN peer benchmark does (SGD
/// 0.1, batch 100, its batches), steps 20–319 timed, test accuracy at the
/// end; then one image classified at a time.
fn cnn_run<T, N>(
    o: &Options,
    name: &str,
    net: N,
    threads: usize,
    data: (&Dataset<Digit<T>, 10>, &Dataset<Digit<T>, 10>),
) where
    T: Scalar,
    N: TrainableNetwork<Digit<T>, Out = [T; 10]> + Clone + Send + Sync + 'static,
{
    let (train, test) = data;
    let replicas = DataParallel::new(net, Sgd::new(0.1), train.clone(), threads, SEED).expect("threads start");
    let timed_range = 20..320;
    let (net, timed) = timed_steps(replicas, train.len(), o.cnn_steps, timed_range.clone());
    let times: Vec<f64> = timed.times.iter().map(|t| t * 1e3).collect();
    let (wall, allocations) = (timed.wall, timed.allocations);
    let s = stats(times);
    let scalar = std::any::type_name::<T>();
    println!(
        "| {name} step, batch 100, {scalar} | {threads} | {:.2} ms [{:.2}–{:.2}] | {:.1} s | {:.2} % | {:.2} |",
        s.median,
        s.p10,
        s.p90,
        wall,
        100.0 * accuracy(&net, test).expect("MNIST pixels are finite"),
        allocations as f64 / timed_range.len() as f64,
    );
    if threads == 1 {
        let images: Vec<Digit<T>> = (0..100).map(|i| test.image(i).expect("100 test images")).collect();
        let mut calls = Vec::with_capacity(1000);
        for k in 0..1100 {
            let t0 = Instant::now();
            std::hint::black_box(net.classify(&images[k % 100]).expect("finite pixels"));
            if k >= 100 {
                calls.push(t0.elapsed().as_secs_f64() * 1e6);
            }
        }
        println!(
            "| {name} inference, one image, {scalar} | 1 | {:.1} µs | | | |",
            stats(calls).median
        );
    }
}

type Small = Chain![Affine<[f32; 4], 16, Inline>, Relu, Affine<[f32; 16], 3, Inline>, SoftmaxWithLoss<3>];
const POOL: usize = 1024;

/// The 4-16-3 net, batch 1: 2,000 warm-up calls, then 200 blocks of 100;
/// the median of the block means.
fn small_net(o: &Options) {
    let mut net: Small = seeded_affine(SEED, STREAM_SMALL_W1)
        .then(Relu)
        .then(seeded_affine(SEED, STREAM_SMALL_W2))
        .then(SoftmaxWithLoss);
    let xs: Vec<Batch<[f32; 4], Const<1>>> = (0..POOL)
        .map(|p| {
            Batch::new([core::array::from_fn(|i| {
                normal(SEED, STREAM_SMALL_X, (p * 4 + i) as u64, 1.0) as f32
            })])
        })
        .collect();
    let ys: Vec<Labels<3, Const<1>>> = (0..POOL as u64)
        .map(|i| Labels::new([below(stream(SEED, STREAM_SMALL_Y, i), 3) as usize]).expect("below 3"))
        .collect();
    let mut ws = net.workspace::<Const<1>>();
    let mut sgd = Sgd::new(0.1);
    let mut k = 0usize;
    let mut train = |net: &mut Small| {
        net.gradient_with(&mut ws, &xs[k % POOL], &ys[k % POOL], None)
            .expect("one label per row");
        sgd.step(net).expect("finite");
        k += 1;
    };
    for _ in 0..o.small_warmup {
        train(&mut net);
    }
    let mut blocks = Vec::with_capacity(o.small_blocks);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..o.small_blocks {
        let t0 = Instant::now();
        for _ in 0..100 {
            train(&mut net);
        }
        blocks.push(t0.elapsed().as_secs_f64() * 1e9 / 100.0);
    }
    let train_allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let train_ns = stats(blocks).median;

    let mut sink = 0.0f32;
    let mut infer = |net: &Small| {
        let p = net.probabilities(&xs[k % POOL][0]).unwrap_or([0.0; 3]);
        sink += std::hint::black_box(p)[0];
        k += 1;
    };
    for _ in 0..o.small_warmup {
        infer(&net);
    }
    let mut blocks = Vec::with_capacity(o.small_blocks);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..o.small_blocks {
        let t0 = Instant::now();
        for _ in 0..100 {
            infer(&net);
        }
        blocks.push(t0.elapsed().as_secs_f64() * 1e9 / 100.0);
    }
    let infer_allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!("| tiny net 4-16-3, batch 1, training step | 1 | {train_ns:.1} ns | | | {train_allocs} in all |");
    println!(
        "| tiny net 4-16-3, inference (forward + softmax) | 1 | {:.1} ns | | | {infer_allocs} in all |",
        stats(blocks).median
    );
    assert!(sink.is_finite());
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let only_tiny = std::env::args().any(|a| a == "--tiny");
    let only_dense = std::env::args().any(|a| a == "--dense");
    let only_parallel = std::env::args().any(|a| a == "--parallel");
    let o = if quick {
        Options {
            steps: 1100,
            warmup: 100,
            small_warmup: 200,
            small_blocks: 20,
            cnn_steps: 320,
        }
    } else {
        Options {
            steps: 10_000,
            warmup: 100,
            small_warmup: 2_000,
            small_blocks: 200,
            cnn_steps: 2_000,
        }
    };
    if only_tiny {
        small_net(&o);
        return;
    }
    let files = MnistFiles::find(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")).expect("the vendored MNIST");
    let load32 = |p: &typenet::data::IdxPair| Dataset::<[f32; 784], 10>::load(&p.images, &p.labels, Pixels::Unit);
    let load64 = |p: &typenet::data::IdxPair| Dataset::<[f64; 784], 10>::load(&p.images, &p.labels, Pixels::Unit);
    let (train32, test32) = (load32(&files.train).unwrap(), load32(&files.test).unwrap());
    let (train64, test64) = (load64(&files.train).unwrap(), load64(&files.test).unwrap());

    println!(
        "typenet {} — {} steps, medians after {} warm-up steps",
        env!("CARGO_PKG_VERSION"),
        o.steps,
        o.warmup
    );
    println!();
    println!("| what | threads | median [p10–p90] | wall (all steps) | test acc | heap allocations per step |");
    println!("| --- | --- | --- | --- | --- | --- |");
    seed_run(&o, 1, &train32, &test32);
    if only_dense {
        return;
    }
    seed_run(&o, 2, &train32, &test32);
    let digits32 = |p: &typenet::data::IdxPair| Dataset::<Digit<f32>, 10>::load(&p.images, &p.labels, Pixels::Unit);
    if only_parallel {
        let (train32, test32) = (digits32(&files.train).unwrap(), digits32(&files.test).unwrap());
        for threads in [1, 2] {
            let net = fused_conv_net::<f32>();
            cnn_run(&o, "SimpleConvNet, ConvReluPool", net, threads, (&train32, &test32));
        }
        return;
    }
    seed_run(&o, 1, &train64, &test64);
    small_net(&o);
    let digits64 = |p: &typenet::data::IdxPair| Dataset::<Digit<f64>, 10>::load(&p.images, &p.labels, Pixels::Unit);
    let (train32, test32) = (digits32(&files.train).unwrap(), digits32(&files.test).unwrap());
    let (train64, test64) = (digits64(&files.train).unwrap(), digits64(&files.test).unwrap());
    let (f32s, f64s) = ((&train32, &test32), (&train64, &test64));
    for threads in [1, 2] {
        cnn_run(&o, "SimpleConvNet", chained_conv_net::<f32>(), threads, f32s);
    }
    cnn_run(&o, "SimpleConvNet", chained_conv_net::<f64>(), 1, f64s);
    for threads in [1, 2] {
        cnn_run(
            &o,
            "SimpleConvNet, ConvReluPool",
            fused_conv_net::<f32>(),
            threads,
            f32s,
        );
    }
    cnn_run(&o, "SimpleConvNet, ConvReluPool", fused_conv_net::<f64>(), 1, f64s);
}
