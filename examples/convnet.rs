//! The README's first command: the book's `SimpleConvNet` (chapter 7)
//! trained on the bundled MNIST, a 5×5 convolution of 30 filters, ReLU, 2×2
//! max pooling, 100 ReLU units, 10 classes; weights 0.01·N(0, 1), Adam at
//! 0.001, 2,000 steps of 100 images. It prints train and test accuracy
//! after every epoch and writes the curves to `convnet-training.png`.
//!
//! This is the runner (`mnist/main.rs`) with `--net convnet` as its
//! default, so every flag of the runner works here; `05_conv_net.rs` builds
//! the same net step by step on one page. The accuracy it reaches and the
//! time it takes are in the README ("Two commands", "Speed"). The test
//! accuracy wanders by a few tenths of a percent from epoch to epoch, so a
//! run cut short of the 2,000 steps can end below that figure.
//!
//! ```text
//! cargo run --release --example convnet
//! cargo run --release --example convnet -- --threads 2 --save convnet.safetensors --history history.csv
//! cargo run --release --example convnet -- --data path/to/fashion-mnist --iters 6000
//! ```

#[path = "mnist/main.rs"]
mod mnist;

fn main() -> std::process::ExitCode {
    mnist::run_with(mnist::NetName::ConvNet)
}
