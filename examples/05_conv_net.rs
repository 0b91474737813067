//! 05 · A convolutional net with the `Trainer`: the book's `SimpleConvNet`
//! (chapter 7) on MNIST. A 5×5 convolution of 30 filters, ReLU, 2×2 max
//! pooling, 100 ReLU units, 10 classes; Adam at 0.001, batches of 100.
//!
//! Only the input's size is written: the compiler works out that the
//! convolution gives 30 × 24 × 24, the pooling 30 × 12 × 12, and that the
//! first `Affine` therefore reads 4,320 values. A kernel that does not fit,
//! or an `Affine` written for another size, is a compile error naming the
//! layer.
//!
//! The `Trainer` runs the loop of `02_training_loop`: it draws the batches,
//! refuses any step that would write NaN, evaluates in inference mode after
//! each epoch and reports to a callback. `.threads(2)` would train two
//! replicas on half a batch each.
//!
//! ```text
//! cargo run --release --example 05_conv_net          # 2,000 steps
//! cargo run --release --example 05_conv_net -- 200   # or fewer
//! ```
//!
//! `cargo run --release --example convnet` trains this net with every flag
//! of the runner; it fuses the first three layers into one `ConvReluPool`,
//! the same net computed faster (README, "Speed").

use rand::{SeedableRng, rngs::StdRng};
use typenet::data::{Dataset, MnistFiles, Pixels};
use typenet::prelude::*;
use typenet::train::{Event, Trainer, accuracy};

/// A 28×28 grey-scale digit.
type Digit = Image<f32, 1, 28, 28>;

/// The net's type, written from its input and its layers (`Affine<_, 100>`
/// takes whatever the layer before gives): a struct field could hold it.
type SimpleConvNet = typenet::Net![
    Digit => Conv2d<f32, 1, 30, 5>, Relu, MaxPool2d<2>, Affine<_, 100>, Relu, Affine<_, 10>, SoftmaxWithLoss<10>
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|e| format!("steps {n:?}: {e}"))?,
        None => 2_000,
    };
    // images checked against 28 × 28 and labels against 10 when loaded
    let files = MnistFiles::find(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))?;
    let train = Dataset::<Digit, 10>::load(&files.train.images, &files.train.labels, Pixels::Unit)?;
    let test = Dataset::<Digit, 10>::load(&files.test.images, &files.test.labels, Pixels::Unit)?;

    let mut rng = StdRng::seed_from_u64(42);
    let init = Init::Normal(0.01); // the book's weight_init_std
    let mut net: SimpleConvNet = Input::new()
        .then(Conv2d::init(init, &mut rng)) // 30 × 24 × 24
        .then(Relu)
        .then(MaxPool2d) // 30 × 12 × 12
        .then(Affine::init(init, &mut rng)) // 4,320 → 100
        .then(Relu)
        .then(Affine::init(init, &mut rng))
        .then(SoftmaxWithLoss);
    println!("{}", net.summary());

    let history = Trainer::new(typenet::Adam::new(0.001, 0.9, 0.999))
        .batch_size(100)
        .iterations(steps)
        .seed(42)
        .train(&mut net, &train, Some(&test), |event| {
            if let Event::Epoch(e) = event {
                println!(
                    "epoch {:2} (step {:4}): loss {:.4}, train acc {:.4}, test acc {:.4}",
                    e.epoch,
                    e.steps,
                    e.mean_loss,
                    e.train_acc,
                    e.test_acc.unwrap_or(f64::NAN)
                );
            }
        })?;

    // inference, through `&self`: the trained net could serve many threads
    let test_acc = accuracy(&net, &test)?;
    let first = test.image(0).expect("a test image");
    println!(
        "{steps} steps: test accuracy {test_acc:.4}; test digit 0 (a {}) read as {}",
        test.labels().get(0),
        net.classify(&first)?
    );
    assert_eq!(history.train_loss.len(), steps);
    assert!(test_acc > 0.5, "test accuracy {test_acc}");
    Ok(())
}
