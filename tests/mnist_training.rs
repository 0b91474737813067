//! Training on the vendored MNIST digits through the trainer: it learns,
//! records the book's lists, reproduces runs, and stops cleanly on NaN.

mod common;

use std::sync::OnceLock;

use common::{mnist_dir, rng};
use typenet::data::{Dataset, IdxImages, MnistFiles, Pixels, Sampling, read_images, read_labels};
use typenet::optim::{NonFinite, Update};
use typenet::prelude::*;
use typenet::train::{DataParallel, Event, TrainError, Trainer, accuracy};
use typenet::{gradient_check, stored_gradients};

/// The vendored training and test sets. The files are read and
/// decompressed once per test binary; each call builds its data sets from
/// those bytes.
fn mnist<T: Scalar>() -> (Dataset<[T; 784], 10>, Dataset<[T; 784], 10>) {
    static FILES: OnceLock<[(IdxImages, Vec<u8>); 2]> = OnceLock::new();
    let [train, test] = FILES.get_or_init(|| {
        let f = MnistFiles::find(mnist_dir()).unwrap();
        [&f.train, &f.test].map(|p| (read_images(&p.images).unwrap(), read_labels(&p.labels).unwrap()))
    });
    let dataset = |(images, labels): &(IdxImages, Vec<u8>)| Dataset::from_idx(images, labels, Pixels::Unit).unwrap();
    (dataset(train), dataset(test))
}

/// 600 steps of the seed configuration already classify most test digits
/// (chance is 10 %; the full 10,000 steps reach about 94 %).
fn short_seed_run_learns<T: Scalar>() {
    let (train, test) = mnist::<T>();
    let mut net: TwoLayerNet<T, 784, 50, 10> = two_layer_net(0.01, &mut rng(42));
    let before = accuracy(&net, &test).unwrap();
    let mut epochs_seen = 0;
    let history = Trainer::new(Sgd::new(0.1))
        .batch_size(100)
        .iterations(600)
        .seed(1)
        .train(&mut net, &train, Some(&test), |e| {
            if let Event::Epoch(e) = e {
                epochs_seen = e.epoch;
            }
        })
        .unwrap();
    let after = accuracy(&net, &test).unwrap();
    assert!(before < 0.2, "an untrained net should be near chance, got {before}");
    assert!(after > 0.85, "test accuracy after 600 steps: {after}");
    // the book's bookkeeping: a loss per step, accuracies per epoch of 100 steps
    assert_eq!(history.train_loss.len(), 600);
    assert_eq!(
        (history.train_acc.len(), history.test_acc.len(), epochs_seen),
        (6, 6, 6)
    );
    assert_eq!(history.test_acc[5], after);
    let early: f64 = history.train_loss[..50].iter().sum::<f64>() / 50.0;
    let late: f64 = history.train_loss[550..].iter().sum::<f64>() / 50.0;
    assert!(late < early * 0.3, "mean loss {early} → {late}");
}

for_f32_and_f64!(short_seed_run_learns);

/// Two threads train data-parallel (each replica half of every batch) and
/// learn as well as one.
#[test]
fn two_threads_learn_like_one() {
    let (train, test) = mnist::<f32>();
    let run = |threads| {
        let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(42));
        let h = Trainer::new(Sgd::new(0.1))
            .iterations(400)
            .seed(2)
            .threads(threads)
            .train(&mut net, &train, None, |_| {})
            .unwrap();
        (accuracy(&net, &test).unwrap(), h.train_loss)
    };
    let (one, loss_one) = run(1);
    let (two, loss_two) = run(2);
    assert!(two > 0.85, "2 threads: {two}");
    assert!((one - two).abs() < 0.01, "1 thread {one} vs 2 threads {two}");
    // the same batches give the same losses up to the order of additions
    for (a, b) in loss_one.iter().zip(&loss_two).take(50) {
        assert!((a - b).abs() < 1e-3 * a.abs().max(1.0), "{a} vs {b}");
    }
}

/// With replicas, a failed step updates none of them, and the next good
/// step still works on every thread.
#[test]
fn replicas_skip_a_failed_step_together() {
    let (train, _) = mnist::<f32>();
    let mut images = train.take(200).to_batch();
    images[7][100] = f32::INFINITY;
    let data = Dataset::new(images, train.take(200).labels().clone()).unwrap();
    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(3));
    let before = net.clone();
    let mut r = DataParallel::new(net.clone(), Sgd::new(0.1), data, 2, 0).unwrap();
    let failed = r.step(&(0..20).collect::<Vec<_>>());
    let after_bad = r.net().clone();
    let good = r.step(&(20..40).collect::<Vec<_>>());
    net = r.into_parts().0;
    assert!(failed.is_err(), "the row with infinity should fail the step");
    assert_eq!(after_bad, before);
    assert!(good.unwrap().is_finite());
    assert_ne!(net, before);
}

/// A trained net is `Send + Sync`: four threads classify quarters of the
/// test set through shared references and agree with one thread.
#[test]
fn many_threads_classify_through_shared_references() {
    let (train, test) = mnist::<f32>();
    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(42));
    Trainer::new(Sgd::new(0.1))
        .iterations(200)
        .train(&mut net, &train, None, |_| {})
        .unwrap();
    let one_thread: Vec<usize> = (0..test.len())
        .map(|i| net.classify(&test.image(i).unwrap()).unwrap())
        .collect();
    let net = &net;
    let quarters: Vec<Vec<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|q| {
                let test = &test;
                s.spawn(move || {
                    let rows = q * test.len() / 4..(q + 1) * test.len() / 4;
                    rows.map(|i| net.classify(&test.image(i).unwrap()).unwrap()).collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(quarters.concat(), one_thread);
    // and the batched path agrees on the classes
    assert_eq!(typenet::train::predictions(net, &test).unwrap(), one_thread);
}

/// SGD whose sixth step overflows one tensor, as a learning rate far too
/// large would.
#[derive(Clone)]
struct BreaksAtStep6 {
    sgd: Sgd,
    steps: usize,
}

impl BreaksAtStep6 {
    fn breaks(&self, t: &Update<'_, f32>) -> bool {
        self.steps == 5 && t.index == 2
    }
}

impl Optimizer<f32> for BreaksAtStep6 {
    fn check(&mut self, t: Update<'_, f32>) -> bool {
        !self.breaks(&t) && self.sgd.check(t)
    }
    fn update(&mut self, t: Update<'_, f32>) {
        if self.breaks(&t) {
            t.value[7] = f32::INFINITY;
        } else {
            self.sgd.update(t)
        }
    }
    fn end_step(&mut self) {
        self.steps += 1;
    }
}

/// An update that would make a parameter non-finite is not applied on any
/// replica, the error names the layer and tensor, and the next step works.
#[test]
fn a_step_that_would_break_the_parameters_is_refused() {
    let (train, _) = mnist::<f32>();
    for threads in [1, 2] {
        let net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(4));
        let optimizer = BreaksAtStep6 {
            sgd: Sgd::new(0.1),
            steps: 0,
        };
        let mut r = DataParallel::new(net, optimizer, train.clone(), threads, 0).unwrap();
        for step in 0..5 {
            r.step(&(step * 100..step * 100 + 100).collect::<Vec<_>>()).unwrap();
        }
        let after_five = r.net().clone();
        let failed = r.step(&(500..600).collect::<Vec<_>>());
        let Err(TrainError::NonFinite { step: 5, what, .. }) = failed else {
            panic!("{threads} threads: the broken update was accepted: {failed:?}")
        };
        assert_eq!(
            what,
            NonFinite::Parameter(typenet::Path::at(2), "W"),
            "{threads} threads"
        );
        assert_eq!(*r.net(), after_five, "{threads} threads: parameters changed");
        let (net, _) = r.into_parts();
        assert_eq!(net, after_five);
    }
    // through the trainer, the error says which step and what
    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(4));
    let err = Trainer::new(BreaksAtStep6 {
        sgd: Sgd::new(0.1),
        steps: 0,
    })
    .train(&mut net, &train, None, |_| {})
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("step 5 produced an update that would make W of layer 2 non-finite (loss 2.")
            && message.ends_with("); it was not applied, the net keeps the parameters of step 4"),
        "{message}"
    );
}

/// Shuffled epochs visit every sample; the same seeds give the same run.
#[test]
fn shuffled_epochs_are_reproducible() {
    let (train, _) = mnist::<f32>();
    let train = train.take(1000);
    let run = || {
        let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(7));
        let h = Trainer::new(Sgd::new(0.1))
            .batch_size(128)
            .sampling(Sampling::Shuffled)
            .epochs(3)
            .seed(3)
            .train(&mut net, &train, None, |_| {})
            .unwrap();
        (h, stored_gradients(&net))
    };
    let (a, grads_a) = run();
    let (b, grads_b) = run();
    // 1000 samples in batches of 128: 8 steps an epoch, the last one of 104
    assert_eq!(a.train_loss.len(), 24);
    assert_eq!(a.epochs.len(), 3);
    assert_eq!(a, b);
    assert_eq!(grads_a, grads_b);
}

/// A NaN in the data is refused before training, naming the sample and the
/// pixel; a step on it by hand is refused and its update is not applied.
#[test]
fn non_finite_steps_stop_training_without_corrupting_the_net() {
    let (train, _) = mnist::<f32>();
    let mut images = train.to_batch();
    for row in images.rows_mut() {
        row[300] = f32::NAN;
    }
    let poisoned = Dataset::new(images, train.labels().clone()).unwrap();
    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(1));
    let before = net.clone();
    let err = Trainer::new(Sgd::new(0.1))
        .train(&mut net, &poisoned, None, |_| {})
        .unwrap_err();
    let refused = TrainError::NonFiniteSample {
        set: "training",
        row: 0,
        column: 300,
    };
    assert_eq!(err, refused);
    assert_eq!(net, before, "trained on a NaN");
    let mut parallel = DataParallel::new(net.clone(), Sgd::new(0.1), poisoned, 1, 0).unwrap();
    let err = parallel.step(&(0..100).collect::<Vec<_>>()).unwrap_err();
    assert!(matches!(err, TrainError::NonFinite { step: 0, .. }), "{err:?}");
    assert_eq!(parallel.into_parts().0, before, "the failed update reached the weights");

    // a learning rate so large the weights blow up after the first update
    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(1));
    let err = Trainer::new(Sgd::new(1e30))
        .train(&mut net, &train, None, |_| {})
        .unwrap_err();
    let TrainError::NonFinite { step, .. } = err else {
        panic!("{err:?}")
    };
    assert!(step >= 1);
    let mut finite = true;
    net.visit_params(&mut |p| finite &= p.value.iter().all(|v| v.is_finite()));
    assert!(finite, "NaN weights after the error at step {step}");
    assert!(err.to_string().starts_with(&format!("step {step} produced ")), "{err}");
}

#[test]
fn empty_training_sets_and_zero_batches_are_refused() {
    let (train, _) = mnist::<f32>();
    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(1));
    let empty = train.take(0);
    let err = Trainer::new(Sgd::new(0.1)).train(&mut net, &empty, None, |_| {});
    assert_eq!(err.unwrap_err(), TrainError::EmptyTrainingSet);
    let err = Trainer::new(Sgd::new(0.1))
        .batch_size(0)
        .train(&mut net, &train, None, |_| {});
    assert_eq!(err.unwrap_err(), TrainError::ZeroBatchSize);
}

/// The book's gradient check on real digits: the first three training
/// images through 784→50→10 in f64.
#[test]
fn gradient_check_on_three_real_digits() {
    let (train, _) = mnist::<f64>();
    let three = train.take(3);
    let mut net: TwoLayerNet<f64, 784, 50, 10> = two_layer_net(0.01, &mut rng(0));
    for d in gradient_check(&mut net, &three.to_batch(), three.labels()).unwrap() {
        assert!(d.mean_abs < 1e-7 && d.mean_abs < 1e-5 * d.mean_abs_gradient, "{d:?}");
    }
}

/// A run of 10¹⁸ steps starts without reserving its loss history up front
/// (8·10¹⁸ bytes would abort the process): here its observer ends it after
/// the first step.
#[test]
fn a_huge_step_count_allocates_nothing_up_front() {
    let (train, _) = mnist::<f32>();
    let hundred = train.take(100);
    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(1));
    let err = Trainer::new(Sgd::new(0.1))
        .iterations(1_000_000_000_000_000_000)
        .train(&mut net, &hundred, None, |_| panic!("enough"))
        .unwrap_err();
    assert!(matches!(err, TrainError::ObserverPanicked { step: 0, .. }), "{err:?}");
}

/// `epochs` whose step count overflows a counter is an error, not a
/// wrapped-around short run.
#[test]
fn too_many_epochs_are_refused() {
    let (train, _) = mnist::<f32>();
    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(1));
    let err = Trainer::new(Sgd::new(0.1))
        .epochs(922_337_203_685_477_581)
        .train(&mut net, &train, None, |_| {})
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::TooManySteps {
            epochs: 922_337_203_685_477_581,
            per_epoch: 100
        }
    );
    let err = Trainer::new(Sgd::new(0.1))
        .batch_size(10_000_000)
        .train(&mut net, &train, None, |_| {})
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::BatchTooLarge {
            batch: 10_000_000,
            samples: 10_000
        }
    );
}
