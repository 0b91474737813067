//! typenet's row of the peer benchmark (`../shared/bench`, rust/newlib).
//!
//! Copy this file over the benchmark's `rust/newlib/src/main.rs`, then run
//! `NEWLIB_PATH=path/to/typenet ./run_peers.sh` there. The harness times
//! each `train_step` itself: gather the 100 rows, forward, backward, SGD.
//! With `--threads 2` the kernels may split large products over two
//! threads (the harness drives the step one call at a time, so the
//! data-parallel trainer, which owns its loop, is measured by
//! `cargo bench --bench speed` instead).

use bench_common::*;
use newlib as lib;
use lib::prelude::*;

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
    net: Seed,
    ws: <Seed as Network<[f32; IMG]>>::Workspace<Dyn>,
    x: Batch<[f32; IMG]>,
    labels: Vec<usize>,
    sgd: Sgd,
}

impl MnistModel for TypenetMnist {
    fn train_step(&mut self, data: &Dataset, idx: &[usize]) {
        self.labels.clear();
        for (row, &i) in self.x.rows_mut().iter_mut().zip(idx) {
            row.copy_from_slice(&data.train_x[i * IMG..(i + 1) * IMG]);
            self.labels.push(data.train_y[i] as usize);
        }
        let t = lib::Labels::<CLASSES>::from_slice(&self.labels).expect("labels below 10");
        self.net.gradient_with(&mut self.ws, &self.x, &t, None);
        self.sgd.step(&mut self.net);
    }

    fn predict(&mut self, x: &[f32], n: usize) -> Vec<usize> {
        let batch = Batch::<[f32; IMG]>::from_flat(&x[..n * IMG]).expect("whole rows");
        let scores = self.net.predict(&batch).expect("finite pixels");
        scores.rows().iter().map(|s| lib::argmax(s)).collect()
    }
}

struct TypenetSmall {
    net: Small,
    ws: <Small as Network<[f32; SMALL_IN]>>::Workspace<Const<1>>,
    xs: Vec<Batch<[f32; SMALL_IN], Const<1>>>,
    ys: Vec<lib::Labels<SMALL_OUT, Const<1>>>,
    sgd: Sgd,
}

impl SmallModel for TypenetSmall {
    fn train_step(&mut self, k: usize) {
        self.net.gradient_with(&mut self.ws, &self.xs[k], &self.ys[k], None);
        self.sgd.step(&mut self.net);
    }

    fn infer(&mut self, k: usize) -> [f32; SMALL_OUT] {
        self.net.probabilities(&self.xs[k][0]).expect("finite inputs")
    }
}

fn main() {
    let threads: usize = std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    lib::set_threads(threads);
    run(
        "typenet",
        env!("CARGO_PKG_VERSION"),
        lib::threads(),
        |_, init| TypenetMnist {
            net: affine(&init.w1, &init.b1).then(Relu).then(affine(&init.w2, &init.b2)).then(SoftmaxWithLoss),
            ws: Default::default(),
            x: Batch::zeros(BATCH),
            labels: Vec::with_capacity(BATCH),
            sgd: Sgd::new(LR as f64),
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
