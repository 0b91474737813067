//! typenet's row of the CNN peer benchmark (`../shared/bench`,
//! rust/newlib_cnn): the book's SimpleConvNet.
//!
//! Copy this file over the benchmark's `rust/newlib_cnn/src/main.rs`, then
//! run `NEWLIB_PATH=path/to/typenet ./run_cnn_peers.sh` there. The harness
//! times each `train_step`: gather the 100 images, forward, backward, SGD.
//! With `--threads 2` the step is data-parallel over two replicas
//! (typenet's `train::DataParallel`).
//!
//! The net's first three layers run as one `ConvReluPool` (conv, ReLU and
//! pool image by image), as typenet's own convnet example builds it; with
//! `TYPENET_CHAINED=1` in the environment they are the three layers
//! `Conv2d`, `Relu`, `MaxPool2d` chained instead. Both compute the same
//! net from the same weights.

use bench_common::Dataset;
use bench_common::cnn::*;
use lib::prelude::*;
use lib::train::DataParallel;
use newlib as lib;

type Digit = Image<f32, 1, 28, 28>;

/// The training images as typenet keeps MNIST: the IDX bytes, scaled to
/// [0, 1] as each batch is gathered (the harness's pixel / 255 values are
/// those bytes exactly).
fn dataset(data: &Dataset) -> lib::data::Dataset<Digit, 10> {
    let bytes = data.train_x.iter().map(|&v| (v * 255.0).round() as u8).collect();
    let images = lib::data::IdxImages::new(data.n_train as u32, 28, 28, bytes).expect("28x28 images");
    lib::data::Dataset::from_idx(&images, &data.train_y, lib::data::Pixels::Unit).expect("labels below 10")
}

fn conv(init: &CnnInit) -> Conv2d<f32, 1, C_OUT, K> {
    Conv2d::from_fn(|o, _, i, j| init.cw[(o * K + i) * K + j], |o| init.cb[o])
}

/// What a net must be to train here.
trait Net: lib::Network<Digit, Out = [f32; 10]> + Clone + Send + Sync + 'static {}
impl<N: lib::Network<Digit, Out = [f32; 10]> + Clone + Send + Sync + 'static> Net for N {}

/// SimpleConvNet from the harness's weights after its convolution block
/// (conv → ReLU → pool, fused or chained): Affine, ReLU, Affine, softmax.
fn simple_conv_net<B>(block: B, init: &CnnInit) -> impl Net
where
    B: Layer<Digit, Out = Image<f32, C_OUT, POOL_HW, POOL_HW>> + Clone + Send + Sync + 'static,
{
    block
        .then(Affine::<_, HIDDEN>::from_fn(|i, j| init.w1[i * HIDDEN + j], |j| init.b1[j]))
        .then(Relu)
        .then(Affine::<_, 10>::from_fn(|i, j| init.w2[i * 10 + j], |j| init.b2[j]))
        .then(SoftmaxWithLoss)
}

fn fused(init: &CnnInit) -> impl Net {
    simple_conv_net(Input::<Digit>::new().then(ConvReluPool::new(conv(init), MaxPool2d::<2>)), init)
}

fn chained(init: &CnnInit) -> impl Net {
    simple_conv_net(Input::<Digit>::new().then(conv(init)).then(Relu).then(MaxPool2d::<2>), init)
}

struct TypenetCnn<N: lib::Network<Digit>> {
    training: DataParallel<Digit, N, Sgd, 10>,
    ws: lib::WorkspaceOf<N, Digit, lib::Dyn>,
}

impl<N: Net> TypenetCnn<N> {
    fn new(net: N, data: &Dataset, threads: usize) -> Self {
        TypenetCnn {
            training: DataParallel::new(net, Sgd::new(LR as f64), dataset(data), threads, 0).expect("threads start"),
            ws: Default::default(),
        }
    }
}

impl<N: Net> CnnModel for TypenetCnn<N> {
    fn train_step(&mut self, _: &Dataset, idx: &[usize]) {
        self.training.step(idx).expect("a finite step");
    }

    fn predict(&mut self, x: &[f32], n: usize) -> Vec<usize> {
        let batch = Batch::<Digit>::from_flat(&x[..n * 784]).expect("whole images");
        let net = self.training.net();
        let scores = net.scores_with(&mut self.ws, &batch);
        scores.rows().iter().map(|s| lib::argmax(s)).collect()
    }
}

fn main() {
    let threads: usize = std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let version = env!("CARGO_PKG_VERSION");
    if std::env::var("TYPENET_CHAINED").is_ok_and(|v| v == "1") {
        run_cnn("typenet (chained)", version, threads, |data, init| TypenetCnn::new(chained(init), data, threads));
    } else {
        run_cnn("typenet", version, threads, |data, init| TypenetCnn::new(fused(init), data, threads));
    }
}
