//! 02 · The training loop by hand (the book's chapter 5,
//! `train_neuralnet.py`): the two-layer net of `01_dense_by_hand` trained
//! on MNIST with mini-batch SGD. Each step draws 100 training images at
//! random, runs the training pass and the backward pass, and moves every
//! weight against its gradient; after each epoch (the steps that see as
//! many images as the training set holds) it measures the accuracy on the
//! training and the test set.
//!
//! A `Workspace` holds what a step needs between the passes (the
//! activations, the outputs), and the batch and its labels are refilled in
//! place, so after the first step the loop allocates nothing.
//!
//! ```text
//! cargo run --release --example 02_training_loop          # the book's 10,000 steps
//! cargo run --release --example 02_training_loop -- 1000  # or fewer
//! ```
//!
//! The `Trainer` (`05_conv_net`) is this loop with threads, a NaN guard on
//! the data and callbacks; the runner (`mnist`) adds flags.

use rand::{SeedableRng, rngs::StdRng};
use typenet::data::{BatchSampler, Dataset, MnistFiles, Pixels, Sampling};
use typenet::prelude::*;
use typenet::train::accuracy;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|e| format!("steps {n:?}: {e}"))?,
        None => 10_000,
    };
    let files = MnistFiles::find(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))?;
    let train = Dataset::<[f32; 784], 10>::load(&files.train.images, &files.train.labels, Pixels::Unit)?;
    let test = Dataset::<[f32; 784], 10>::load(&files.test.images, &files.test.labels, Pixels::Unit)?;

    let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut StdRng::seed_from_u64(42));
    let mut sgd = Sgd::new(0.1);

    // np.random.choice(train_size, batch_size), seeded
    let batch = 100;
    let mut sampler = BatchSampler::new(Sampling::WithReplacement, train.len(), batch, 1);
    let per_epoch = sampler.batches_per_epoch();
    let (mut indices, mut x, mut t) = (Vec::new(), Batch::zeros(batch), Labels::default());
    let mut ws = net.workspace_seeded(1);
    let mut losses = Vec::with_capacity(steps);

    for step in 1..=steps {
        sampler.next_batch(&mut indices);
        train.gather(&indices, &mut x, &mut t);
        // the training pass and the backward pass: every gradient is left
        // on its layer, the batch's loss is returned
        let loss = net.gradient_with(&mut ws, &x, &t, None)?;
        // W -= lr·dW for every tensor, or an error (and no change at all)
        // if the step would write NaN or infinity
        sgd.step(&mut net)?;
        losses.push(loss);
        if step % per_epoch == 0 {
            println!(
                "epoch {:2}: loss {loss:.4}, train acc {:.4}, test acc {:.4}",
                step / per_epoch,
                accuracy(&net, &train)?,
                accuracy(&net, &test)?
            );
        }
    }

    // The net learned: the loss of the last steps is well below the first
    // step's (ln 10, every class equally likely), and the test digits,
    // never trained on, are read far better than the 10 % of a guess.
    let last = &losses[losses.len().saturating_sub(per_epoch)..];
    let recent = last.iter().sum::<f32>() / last.len() as f32;
    let test_acc = accuracy(&net, &test)?;
    println!(
        "{steps} steps: loss {:.4} → {recent:.4}, test accuracy {test_acc:.4}",
        losses[0]
    );
    assert!(recent < 0.5 * losses[0], "the loss did not fall: {recent}");
    assert!(test_acc > 0.5, "test accuracy {test_acc}");
    Ok(())
}
