//! typenet's row of the peer benchmark (`../shared/bench`, rust/newlib).
//!
//! Copy this file over the benchmark's `rust/newlib/src/main.rs`, then run
//! `NEWLIB_PATH=path/to/typenet ./run_peers.sh` there. The harness times
//! each `train_step` itself: gather the 100 rows, forward, backward, SGD.
//! With `--threads 2` the step is data-parallel: two replicas each take
//! half of the batch (typenet's `train::DataParallel`, the same path the
//! `Trainer` uses).

use bench_common::*;
use lib::prelude::*;
use lib::train::DataParallel;
use newlib as lib;

type Seed = lib::TwoLayerNet<f32, IMG, HIDDEN, CLASSES>;
type Small = lib::Chain![
    Affine<[f32; SMALL_IN], SMALL_HIDDEN, Inline>,
    Relu,
    Affine<[f32; SMALL_HIDDEN], SMALL_OUT, Inline>,
    SoftmaxWithLoss<SMALL_OUT>
];

fn affine<const I: usize, const O: usize, S: lib::Storage>(w: &[f32], b: &[f32]) -> Affine<[f32; I], O, S> {
    Affine::from_fn(|i, j| w[i * O + j], |j| b[j])
}

struct TypenetMnist {
    training: DataParallel<[f32; IMG], Seed, Sgd, CLASSES>,
}

impl MnistModel for TypenetMnist {
    fn train_step(&mut self, _: &Dataset, idx: &[usize]) {
        self.training.step(idx).expect("a finite step");
    }

    fn predict(&mut self, x: &[f32], n: usize) -> Vec<usize> {
        let batch = Batch::<[f32; IMG]>::from_flat(&x[..n * IMG]).expect("whole rows");
        let scores = self.training.net().predict(&batch).expect("finite pixels");
        scores.rows().iter().map(|s| lib::argmax(s)).collect()
    }
}

struct TypenetSmall {
    net: Small,
    ws: lib::WorkspaceOf<Small, [f32; SMALL_IN], Const<1>>,
    xs: Vec<Batch<[f32; SMALL_IN], Const<1>>>,
    ys: Vec<lib::Labels<SMALL_OUT, Const<1>>>,
    sgd: Sgd,
}

impl SmallModel for TypenetSmall {
    fn train_step(&mut self, k: usize) {
        self.net.gradient_with(&mut self.ws, &self.xs[k], &self.ys[k], None).expect("one label");
        self.sgd.step(&mut self.net).expect("a finite step");
    }

    fn infer(&mut self, k: usize) -> [f32; SMALL_OUT] {
        self.net.probabilities(&self.xs[k][0]).expect("finite inputs")
    }
}

fn main() {
    let threads: usize = std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    run(
        "typenet",
        env!("CARGO_PKG_VERSION"),
        threads,
        |data, init| {
            let net: Seed = affine(&init.w1, &init.b1).then(Relu).then(affine(&init.w2, &init.b2)).then(SoftmaxWithLoss);
            // the images as typenet keeps MNIST: the IDX bytes, scaled to
            // [0, 1] as each batch is gathered (the harness's pixel / 255
            // values are those bytes exactly)
            let bytes = data.train_x.iter().map(|&v| (v * 255.0).round() as u8).collect();
            let images = lib::data::IdxImages::new(data.n_train as u32, 28, 28, bytes).expect("28x28 images");
            let train = lib::data::Dataset::from_idx(&images, &data.train_y, lib::data::Pixels::Unit).expect("labels below 10");
            TypenetMnist {
                training: DataParallel::new(net, Sgd::new(LR as f64), train, threads, 0).expect("threads start"),
            }
        },
        |init| TypenetSmall {
            net: affine(&init.w1, &init.b1).then(Relu).then(affine(&init.w2, &init.b2)).then(SoftmaxWithLoss),
            ws: Default::default(),
            xs: init.xs.iter().map(|&x| Batch::new([x])).collect(),
            ys: init.ys.iter().map(|&y| lib::Labels::new([y]).expect("below 3")).collect(),
            sgd: Sgd::new(LR as f64),
        },
    );
}
