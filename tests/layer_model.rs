//! The layer model: training and inference are distinct and every
//! evaluation runs inference; buffers are kept, saved and left alone by
//! optimizers and initialisers; randomness comes from a seed; a trained net
//! is shared between threads; mis-sized batches and targets get clear
//! errors; composite layers are reached by position.

mod common;

use common::{rng, scratch_dir, uniform_batch};
use typenet::data::Dataset;
use typenet::optim::WeightDecay;
use typenet::prelude::*;
use typenet::train::{Trainer, accuracy};
use typenet::{InputError, ParamKind, Training};

/// A net whose training pass differs from its inference pass twice over:
/// Dropout drops, BatchNorm normalises by the batch.
type Noisy = Chain![Affine<[f32; 8], 16>, BatchNorm<f32, 16>, Relu, Dropout, Affine<[f32; 16], 3>, SoftmaxWithLoss<3>];

fn noisy(seed: u64) -> Noisy {
    let mut g = rng(seed);
    Affine::init(Init::He, &mut g)
        .then(BatchNorm::new())
        .then(Relu)
        .then(Dropout::new(0.5))
        .then(Affine::init(Init::He, &mut g))
        .then(SoftmaxWithLoss)
}

/// Three classes told apart by which third of the row is largest.
fn blobs(n: usize, seed: u64) -> (Batch<[f32; 8]>, Labels<3>) {
    let mut x = uniform_batch::<[f32; 8]>(n, 0.0, 1.0, &mut rng(seed));
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    for (row, &c) in x.rows_mut().iter_mut().zip(&labels) {
        row[2 * c] += 2.0;
        row[2 * c + 1] += 2.0;
    }
    (x, Labels::from_slice(&labels).unwrap())
}

fn trained_noisy() -> (Noisy, Batch<[f32; 8]>, Labels<3>) {
    let mut net = noisy(1);
    let (x, t) = blobs(60, 2);
    let mut ws = net.workspace_seeded(3);
    let mut sgd = Sgd::new(0.1);
    for _ in 0..60 {
        net.gradient_with(&mut ws, &x, &t, None).unwrap();
        sgd.step(&mut net).unwrap();
    }
    (net, x, t)
}

#[test]
fn every_evaluation_runs_inference() {
    let (net, x, t) = trained_noisy();
    // the training pass is random and batch-dependent...
    let mut twin = net.clone();
    let mut ws = twin.workspace();
    let (a, b) = (
        twin.train_loss_with(&mut ws, &x, &t).unwrap(),
        twin.train_loss_with(&mut ws, &x, &t).unwrap(),
    );
    assert_ne!(a, b, "Dropout drew the same mask twice");
    // ...while every evaluation is inference: deterministic, and the same
    // as running the layers' inference by hand
    assert_eq!(net.loss(&x, &t).unwrap(), net.loss(&x, &t).unwrap());
    let acc = net.accuracy(&x, &t).unwrap();
    assert_eq!(acc, net.accuracy(&x, &t).unwrap());
    let mut probabilities = Batch::zeros(x.nrows());
    net.infer(&x, &mut probabilities);
    let by_hand = (0..x.nrows())
        .filter(|&i| typenet::argmax(&probabilities[i]) == t.get(i))
        .count() as f64
        / x.nrows() as f64;
    assert_eq!(acc, by_hand);
    assert!(acc > 0.9, "the net learned the blobs: {acc}");
    let scores = net.predict(&x).unwrap();
    // (one sample takes loops without fused multiply-adds: equal up to rounding)
    for i in 0..x.nrows() {
        assert_eq!(net.classify(&x[i]).unwrap(), typenet::argmax(&scores[i]));
        let one = net.probabilities(&x[i]).unwrap();
        for (a, b) in one.iter().zip(&probabilities[i]) {
            assert!((a - b).abs() <= 1e-5, "{one:?} vs {:?}", probabilities[i]);
        }
    }
    // the data-set evaluation the trainer reports per epoch is inference too
    let data = Dataset::new(x.clone(), t.clone()).unwrap();
    assert_eq!(accuracy(&net, &data), Ok(acc));
    let mut trained = net.clone();
    let history = Trainer::new(Sgd::new(0.05))
        .batch_size(20)
        .iterations(3)
        .train(&mut trained, &data, Some(&data), |_| {})
        .unwrap();
    assert_eq!(history.test_acc.last(), Some(&accuracy(&trained, &data).unwrap()));
}

/// At inference a sample's output does not depend on the rest of its
/// batch: BatchNorm uses its running statistics.
#[test]
fn batch_norm_infers_from_running_statistics() {
    let (net, x, _) = trained_noisy();
    let bn: &BatchNorm<f32, 16> = net.layer::<1>();
    assert!(
        bn.running_mean().iter().any(|&m| m != 0.0),
        "the statistics moved in training"
    );
    let alone = net.scores(&x[0]).unwrap();
    let in_batch = net.predict(&x).unwrap()[0];
    for (a, b) in alone.iter().zip(&in_batch) {
        assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{alone:?} vs {in_batch:?}");
    }
    // and the formula by hand for one feature
    let mut h = Batch::<[f32; 16]>::zeros(1);
    net.layer::<0>().infer(&Batch::from_rows(vec![x[0]]), &mut h);
    let mut y = Batch::<[f32; 16]>::zeros(1);
    bn.infer(&h, &mut y);
    let f = 5;
    let want = bn.gamma()[f] * (h[0][f] - bn.running_mean()[f]) / (bn.running_var()[f] + 1e-6).sqrt() + bn.beta()[f];
    assert!((y[0][f] - want).abs() <= 1e-5 * want.abs().max(1.0));
}

#[test]
fn buffers_are_saved_loaded_and_left_alone() {
    let (net, x, _) = trained_noisy();
    // saved and loaded with the net: a reloaded net predicts the same
    let path = scratch_dir("buffers").join("noisy.safetensors");
    typenet::io::save(&net, &path).unwrap();
    let mut copy = noisy(9);
    typenet::io::load(&mut copy, &path).unwrap();
    assert_eq!(copy.predict(&x).unwrap(), net.predict(&x).unwrap());
    assert_eq!(copy.layer::<1>(), net.layer::<1>());

    let buffers = |n: &Noisy| (*n.layer::<1>().running_mean(), *n.layer::<1>().running_var());
    let kept = buffers(&net);
    // an optimizer step, with weight decay, leaves them alone
    let mut stepped = net.clone();
    stepped.visit_params_mut(&mut |p| p.grad.fill(0.5));
    WeightDecay::new(Sgd::new(0.1), 0.1).step(&mut stepped).unwrap();
    assert_eq!(buffers(&stepped), kept);
    assert_ne!(stepped.layer::<0>(), net.layer::<0>());
    // and weight decay decays weights only: BatchNorm's γ moved by the
    // gradient alone (1 − 0.1 · 0.5), without decay
    let gamma = |n: &Noisy| n.layer::<1>().gamma()[0];
    assert!((gamma(&stepped) - (gamma(&net) - 0.05)).abs() < 1e-6);
    // initialising leaves them alone and resets γ, β
    let mut fresh = net.clone();
    fresh.initialize(Init::He, &mut rng(4));
    assert_eq!(buffers(&fresh), kept);
    assert_eq!(
        (fresh.layer::<1>().gamma(), fresh.layer::<1>().beta()),
        (&[1.0; 16], &[0.0; 16])
    );
    // counted apart from the parameters, and shown in the summary
    assert_eq!(net.param_count(), 8 * 16 + 16 + 2 * 16 + 16 * 3 + 3);
    let summary = net.summary();
    assert_eq!((summary.buffers(), summary.params()), (32, net.param_count()));
    let table = summary.to_string();
    assert!(
        table.contains("buffers") && table.lines().nth(3).unwrap().trim_end().ends_with("32"),
        "{table}"
    );
    let mut kinds = Vec::new();
    net.visit_params(&mut |p| kinds.push((p.layer.to_string(), p.name, p.kind, p.grad.len())));
    assert_eq!(
        &kinds[2..6],
        &[
            ("1".into(), "gamma", ParamKind::Scale, 16),
            ("1".into(), "beta", ParamKind::Bias, 16),
            ("1".into(), "running_mean", ParamKind::Buffer, 0),
            ("1".into(), "running_var", ParamKind::Buffer, 0),
        ]
    );
}

/// The same seed gives the same masks and the same run; another seed does
/// not.
#[test]
fn training_randomness_comes_from_the_seed() {
    let (x, t) = blobs(60, 2);
    let data = Dataset::new(x, t).unwrap();
    let run = |seed| {
        let mut net = noisy(1);
        Trainer::new(Sgd::new(0.1))
            .batch_size(20)
            .iterations(20)
            .seed(seed)
            .train(&mut net, &data, None, |_| {})
            .unwrap();
        net
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
    let mut a = Training::new(11);
    let mut b = Training::new(11);
    let mut net = noisy(1);
    let (x, t) = blobs(6, 3);
    let mut ws = net.workspace();
    *ws.training() = a.clone();
    let first = net.clone().gradient_with(&mut ws, &x, &t, None).unwrap();
    *ws.training() = b.clone();
    assert_eq!(net.gradient_with(&mut ws, &x, &t, None).unwrap(), first);
    let _ = (a.rng(), b.rng());
}

/// A trained net infers through `&self` from many threads at once.
#[test]
fn trained_nets_are_shared_between_threads() {
    fn send_sync<X: Send + Sync>(_: &X) {}
    let (net, x, _) = trained_noisy();
    send_sync(&net);
    let conv = Input::<Image<f32, 1, 8, 8>>::new()
        .then(Conv2d::<f32, 1, 4, 3>::init(Init::He, &mut rng(1)))
        .then(BatchNorm::<f32, 4>::new())
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 2>::zeros())
        .then(SoftmaxWithLoss);
    send_sync(&conv);
    let alone: Vec<usize> = (0..x.nrows()).map(|i| net.classify(&x[i]).unwrap()).collect();
    let shared = &net;
    let together: Vec<Vec<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|q| {
                let x = &x;
                s.spawn(move || {
                    (q * 15..(q + 1) * 15)
                        .map(|i| shared.classify(&x[i]).unwrap())
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(together.concat(), alone);
}

/// Targets that do not match the inputs' row count are an error from every
/// function that returns a `Result`, not a panic.
#[test]
fn mismatched_row_counts_are_errors() {
    let (mut net, x, _) = trained_noisy();
    let x = Batch::from_slice(&x.rows()[..4]);
    let three = Labels::<3>::from_slice(&[0, 1, 2]).unwrap();
    let want = Err(InputError::RowCount { inputs: 4, targets: 3 });
    assert_eq!(net.accuracy(&x, &three), want);
    assert_eq!(net.loss(&x, &three).map(|_| ()), want.map(|_: f64| ()));
    assert_eq!(net.gradient(&x, &three).map(|_| ()), want.map(|_: f64| ()));
    assert_eq!(
        Dataset::new(x.clone(), three.clone()).map(|_| ()),
        want.map(|_: f64| ())
    );
    assert_eq!(
        InputError::RowCount { inputs: 4, targets: 3 }.to_string(),
        "4 input rows but 3 targets: each row needs one target"
    );
}

/// A layer called directly with a batch of the wrong length: the output
/// batch is sized for it, and an input that disagrees is named with the
/// layer, not an index out of range inside a kernel.
#[test]
fn mis_sized_batches_name_the_layer() {
    let mut fc = Affine::<[f32; 4], 3>::zeros();
    let x = Batch::<[f32; 4]>::zeros(2);
    let mut y = Batch::<[f32; 3]>::zeros(7);
    fc.infer(&x, &mut y);
    assert_eq!(y.nrows(), 2, "the output batch takes the input's rows");
    let dy = Batch::<[f32; 3]>::zeros(3);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fc.backward(&x, &y, &dy, &mut Default::default(), None);
    }));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert_eq!(message, "Affine<[f32; 4], 3>: dy has 3 rows, its input has 2");
}

/// Layers by position, in a chain, behind an `Input`, and inside blocks.
#[test]
fn layers_are_reached_by_position() {
    let mut net = Input::<Image<f32, 1, 6, 6>>::new()
        .then(Conv2d::<f32, 1, 2, 3>::zeros())
        .then(Relu)
        .then(Affine::<Image<f32, 2, 4, 4>, 8>::zeros())
        .then(Residual::new(Affine::<[f32; 8], 8>::zeros().then(Relu).then(Affine::<
            _,
            8,
        >::zeros(
        ))))
        .then(SoftmaxWithLoss);
    net.layer_mut::<0>().bias_mut()[1] = 0.5;
    assert_eq!(net.layer::<0>().bias(), &[0.0, 0.5]);
    let block = net.layer::<3>().inner();
    assert_eq!(block.layer::<2>().bias(), &[0.0; 8]);
    let names: Vec<(String, usize, &str)> = net
        .summary()
        .layers
        .iter()
        .map(|l| (l.path.to_string(), l.depth(), l.kind))
        .collect();
    let names: Vec<(&str, usize, &str)> = names.iter().map(|(p, d, k)| (p.as_str(), *d, *k)).collect();
    assert_eq!(
        names,
        [
            ("0", 0, "Conv2d"),
            ("1", 0, "Relu"),
            ("2", 0, "Affine"),
            ("3", 0, "Residual"),
            ("3.0", 1, "Affine"),
            ("3.1", 1, "Relu"),
            ("3.2", 1, "Affine"),
            ("4", 0, "SoftmaxWithLoss")
        ]
    );
    // one numbering: tensors are named by those paths, and `layer::<K>()`
    // reaches the layer at the top-level position K
    let mut tensors = Vec::new();
    net.visit_params(&mut |p| tensors.push(format!("{}.{}", p.layer, p.name)));
    assert_eq!(
        tensors,
        ["0.W", "0.b", "2.W", "2.b", "3.0.W", "3.0.b", "3.2.W", "3.2.b"]
    );
    assert_eq!(net.layer::<4>(), &SoftmaxWithLoss::<8>);
}

/// Inference with a kept workspace (how a data set is evaluated chunk by
/// chunk) gives what plain inference gives, for every composite, chunk
/// after chunk of different sizes.
#[test]
fn inference_with_kept_buffers_agrees_with_plain_inference() {
    let mut g = rng(12);
    let net = Input::<Image<f32, 1, 8, 8>>::new()
        .then(Conv2d::<f32, 1, 3, 3, 1, 1>::init(Init::He, &mut g))
        .then(BatchNorm::<f32, 3>::new())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 6>::init(Init::He, &mut g))
        .then(Residual::new(Affine::<[f32; 6], 6>::init(Init::He, &mut g).then(Relu)))
        .then(Concat::new(
            Affine::<[f32; 6], 2>::init(Init::He, &mut g),
            Dropout::new(0.3),
        ))
        .then(Sum::new(
            Affine::<Pair<[f32; 2], [f32; 6]>, 4>::init(Init::He, &mut g),
            Affine::<_, 4>::init(Init::He, &mut g),
        ))
        .then(SoftmaxWithLoss);
    let mut scratch = Default::default();
    for (rows, seed) in [(5, 1), (2, 2), (9, 3)] {
        let x = uniform_batch::<Image<f32, 1, 8, 8>>(rows, -1.0, 1.0, &mut rng(seed));
        let kept = net.scores_with(&mut scratch, &x).clone();
        assert_eq!(kept, net.predict(&x).unwrap(), "{rows} rows");
    }
}

/// He and Xavier scale a convolution's weights by its fan-in, CIN·K·K.
#[test]
fn convolution_weights_start_from_their_fan_in() {
    let mut net = Input::<Image<f64, 3, 12, 12>>::new()
        .then(Conv2d::<f64, 3, 64, 5>::zeros())
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 2>::zeros())
        .then(SoftmaxWithLoss);
    net.initialize(Init::He, &mut rng(3));
    let w = net.layer::<0>().weights();
    let variance = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
    let want = 2.0 / (3.0 * 5.0 * 5.0);
    assert!((variance / want - 1.0).abs() < 0.1, "He variance {variance} vs {want}");
    assert_eq!(net.layer::<0>().bias(), &[0.0; 64]);
}

/// The size tables reach the limits the docs state: a side of 256, an
/// 11×11 kernel, stride 4, padding 5 ((256 + 10 − 11) / 4 + 1 = 64), and an
/// 11-wide pooling window at stride 4 ((64 − 11) / 4 + 1 = 14). The types
/// written here are checked by the compiler; the summary prints them.
#[test]
fn sizes_reach_the_stated_limits() {
    let net = Input::<Image<f32, 1, 256, 256>>::new()
        .then(Conv2d::<f32, 1, 2, 11, 4, 5>::init(Init::He, &mut rng(3)))
        .then(Relu)
        .then(MaxPool2d::<11, 4>)
        .then(Affine::<Image<f32, 2, 14, 14>, 3>::init(Init::He, &mut rng(4)))
        .then(SoftmaxWithLoss);
    let table = net.summary().to_string();
    for shape in ["1×256×256", "2×64×64", "2×14×14"] {
        assert!(table.contains(shape), "{shape} missing from\n{table}");
    }
    let mut image = Image::<f32, 1, 256, 256>([[[0.0; 256]; 256]; 1]);
    image.0[0][128][128] = 1.0;
    let p = net.probabilities(&image).unwrap();
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
}

/// A layer written outside the crate that only infers: its tensors and its
/// inference, nothing else. It chains, gets the same compile-time checks
/// (tests/compile-fail), shows in a summary, saves, loads and bakes like
/// any layer, and a net of it and `Frozen` layers classifies.
mod inference_only {
    use typenet::prelude::*;

    /// y = gain ⊙ x, with a gain set when the net is built.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Gain<const N: usize> {
        pub gain: [f32; N],
    }

    impl<const N: usize> Tensors for Gain<N> {
        typenet::tensors! { "gain": Scale, [N] => gain; }
    }

    impl<const N: usize> Layer<[f32; N]> for Gain<N> {
        type Out = [f32; N];
        type Scratch<R: Rows> = ();

        fn infer_with<R: Rows>(&self, x: &Batch<[f32; N], R>, y: &mut Batch<[f32; N], R>, _: &mut ()) {
            y.set_rows(x.nrows());
            for (y, x) in y.rows_mut().iter_mut().zip(x.rows()) {
                *y = core::array::from_fn(|i| x[i] * self.gain[i]);
            }
        }
    }

    type Net = Chain![Affine<[f32; 2], 3, Frozen>, Gain<3>, SoftmaxWithLoss<3>];

    fn gained(gain: [f32; 3]) -> Net {
        Affine::<[f32; 2], 3, Frozen>::frozen([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]], [0.0, 0.5, 0.0])
            .then(Gain { gain })
            .then(SoftmaxWithLoss)
    }

    #[test]
    fn an_inference_only_layer_composes_saves_and_bakes() {
        let net = gained([2.0, 1.0, 0.5]);
        // y = x·W + b = (1, 0.5 + 2, 1), gained to (2, 2.5, 0.5)
        assert_eq!(net.classify(&[1.0, 2.0]).unwrap(), 1);
        let table = net.summary().to_string();
        assert!(
            table.contains("Gain") && table.lines().nth(3).unwrap().contains('3'),
            "{table}"
        );
        // the gain is a tensor of its own: counted, saved, loaded, baked
        assert_eq!(net.param_count(), 2 * 3 + 3 + 3);
        let bytes = typenet::io::to_bytes(&net).unwrap();
        let mut copy = gained([0.0; 3]);
        typenet::io::from_bytes(&mut copy, &bytes).unwrap();
        assert_eq!(copy, net);
        let source = typenet::io::rust_source(&net).unwrap();
        assert!(
            source.contains("pub const L1_GAIN: [f32; 3] = [2.0, 1.0, 0.5];"),
            "{source}"
        );
        // a frozen layer keeps no gradient
        assert!(net.layer::<0>().weight_grad().is_empty());
        assert_eq!(size_of::<Net>(), 4 * (2 * 3 + 3 + 3));
    }
}

/// A block's input comes from the chain it is placed in, and a `BatchNorm`
/// infers its features, scalar and storage there: no `Input` inside the
/// block, no turbofish on `BatchNorm::new()`.
#[test]
fn blocks_and_batch_norm_take_their_sizes_from_the_chain() {
    let mut g = rng(21);
    let net = Input::<Image<f32, 1, 8, 8>>::new()
        .then(Conv2d::<f32, 1, 4, 3, 1, 1>::init(Init::He, &mut g))
        .then(BatchNorm::new())
        .then(Residual::new(typenet::chain![
            Conv2d::<f32, 4, 4, 3, 1, 1>::init(Init::He, &mut g),
            BatchNorm::new(),
            Relu,
        ]))
        .then(Sum::new(
            typenet::chain![Conv2d::<f32, 4, 2, 3, 2, 1>::init(Init::He, &mut g), Relu],
            Conv2d::<f32, 4, 2, 1, 2>::init(Init::He, &mut g),
        ))
        .then(Affine::<_, 3>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    let paths: Vec<String> = net
        .summary()
        .layers
        .iter()
        .map(|l| format!("{} {}", l.path, l.kind))
        .collect();
    assert_eq!(
        paths,
        [
            "0 Conv2d",
            "1 BatchNorm",
            "2 Residual",
            "2.0 Conv2d",
            "2.1 BatchNorm",
            "2.2 Relu",
            "3 Sum",
            "3.0.0 Conv2d",
            "3.0.1 Relu",
            "3.1 Conv2d",
            "4 Affine",
            "5 SoftmaxWithLoss"
        ]
    );
    let x = uniform_batch::<Image<f32, 1, 8, 8>>(3, -1.0, 1.0, &mut rng(22));
    assert_eq!(net.predict(&x).unwrap().nrows(), 3);
}
