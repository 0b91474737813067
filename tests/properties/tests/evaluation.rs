//! Evaluation with non-finite samples: wherever NaN or infinity sits in a
//! data set, every evaluation path refuses it and names the same sample and
//! position (`train::accuracy`, `train::predictions`, `Network::accuracy`
//! on the whole batch, the `Trainer` before its first step); a data set
//! with none is scored the same by the batched and the chunked paths.

use proptest::prelude::*;
use typenet::data::Dataset;
use typenet::prelude::*;
use typenet::train::{TrainError, Trainer, accuracy, predictions};
use typenet::{InputError, argmax};

type Net = Chain![Affine<[f32; 5], 4>, Relu, Affine<[f32; 4], 3>, SoftmaxWithLoss<3>];

fn net() -> Net {
    Affine::from_fn(|i, j| ((i * 7 + j * 3) % 5) as f32 / 5.0 - 0.4, |j| j as f32 / 10.0)
        .then(Relu)
        .then(Affine::from_fn(|i, j| ((i + 2 * j) % 3) as f32 / 3.0 - 0.3, |_| 0.0))
        .then(SoftmaxWithLoss)
}

fn bad_value() -> impl Strategy<Value = f32> {
    prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn non_finite_samples_are_refused_by_every_evaluation(
        values in prop::collection::vec(-2.0f32..2.0, 5..(5 * 3000)),
        bad in prop::collection::vec((any::<prop::sample::Index>(), bad_value()), 0..4),
        labels in prop::collection::vec(0usize..3, 3000),
    ) {
        let rows = values.len() / 5;
        let mut values = values[..rows * 5].to_vec();
        let len = values.len();
        for (at, v) in &bad {
            values[at.index(len)] = *v;
        }
        let x = Batch::<[f32; 5]>::from_flat(&values).unwrap();
        let t = Labels::<3>::from_slice(&labels[..rows]).unwrap();
        let net = net();
        let whole = net.accuracy(&x, &t);
        let first_bad = values.iter().position(|v| !v.is_finite());
        let data = Dataset::new(x.clone(), t.clone()).unwrap();
        match first_bad {
            Some(i) => {
                let expected = InputError::NonFinite { row: i / 5, column: i % 5 };
                prop_assert_eq!(whole, Err(expected));
                prop_assert_eq!(accuracy(&net, &data), Err(expected));
                prop_assert_eq!(predictions(&net, &data), Err(expected));
                for (train, test) in [(&data, None), (&Dataset::new(Batch::from_flat(&[0.5; 5]).unwrap(), Labels::from_slice(&[1]).unwrap()).unwrap(), Some(&data))] {
                    let mut trained = net.clone();
                    let err = Trainer::new(Sgd::new(0.1))
                        .batch_size(1)
                        .iterations(3)
                        .train(&mut trained, train, test, |_| {})
                        .unwrap_err();
                    let set = if test.is_some() { "test" } else { "training" };
                    prop_assert_eq!(err, TrainError::NonFiniteSample { set, row: i / 5, column: i % 5 });
                    prop_assert_eq!(&trained, &net);
                }
            }
            None => {
                prop_assert_eq!(accuracy(&net, &data), whole);
                let scores = net.predict(&x).unwrap();
                let expected: Vec<usize> = scores.rows().iter().map(|s| argmax(s.as_slice())).collect();
                prop_assert_eq!(predictions(&net, &data).unwrap(), expected);
            }
        }
    }
}
