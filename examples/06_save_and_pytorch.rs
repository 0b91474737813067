//! 06 · Keeping a net: safetensors files, and weights trained in PyTorch.
//!
//! `tests/fixtures/torch_net.safetensors` is a small convolutional
//! `nn.Sequential` with BatchNorm, trained in PyTorch and written with
//! `safetensors.torch.save_file(model.state_dict(), path)`, exactly as a
//! user would (`tests/fixtures/make_torch_net.py`); beside it,
//! `torch_net_io.safetensors` holds five inputs and the logits PyTorch
//! computed for them. This program
//!
//! 1. builds the matching typenet net (its type written with `Net!`),
//! 2. loads PyTorch's weights into it with `io::load_pytorch`, which maps
//!    modules to layers in order, transposes `Linear` weights from `(out,
//!    in)` and takes BatchNorm's running statistics as buffers,
//! 3. checks that it computes PyTorch's logits,
//! 4. saves it with `io::save` (tensors named `"{layer}.{name}"`, a
//!    `Linear`'s weight as `[IN, OUT]`, the book's layout) and loads the
//!    file back into a fresh net, and shows a mismatched net refused.
//!
//! ```text
//! cargo run --example 06_save_and_pytorch
//! ```

use std::path::Path;

use typenet::prelude::*;

/// The PyTorch model, layer for layer: Conv2d(1, 4, 3, padding=1),
/// BatchNorm2d(4), ReLU, MaxPool2d(2), Conv2d(4, 6, 3), ReLU, Flatten,
/// Linear(96, 16), BatchNorm1d(16), ReLU, Linear(16, 10). (`Flatten` is no
/// layer here: an `Affine` reads an image as its values, in PyTorch's order.)
type TorchNet = typenet::Net![
    Image<f32, 1, 12, 12> => Conv2d<f32, 1, 4, 3, 1, 1>, BatchNorm<f32, 4>, Relu, MaxPool2d<2>, Conv2d<f32, 4, 6, 3>,
    Relu, Affine<_, 16>, BatchNorm<f32, 16>, Relu, Affine<_, 10>, SoftmaxWithLoss<10>
];

/// A net of that type with zero weights, PyTorch's BatchNorm ε (1e-5).
fn torch_net() -> TorchNet {
    Input::new()
        .then(Conv2d::zeros())
        .then(BatchNorm::pytorch())
        .then(Relu)
        .then(MaxPool2d)
        .then(Conv2d::zeros())
        .then(Relu)
        .then(Affine::zeros())
        .then(BatchNorm::pytorch())
        .then(Relu)
        .then(Affine::zeros())
        .then(SoftmaxWithLoss)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");

    // 2. PyTorch's weights, every name, shape and value checked first
    let mut net = torch_net();
    typenet::io::load_pytorch(&mut net, fixtures.join("torch_net.safetensors"))?;
    println!("{}", net.summary());

    // 3. PyTorch's outputs (eval mode: BatchNorm uses its running statistics)
    let io = std::fs::read(fixtures.join("torch_net_io.safetensors"))?;
    let x: Batch<Image<f32, 1, 12, 12>> = Batch::from_flat(&f32_tensor(&io, "x")?).ok_or("x: not 12×12 images")?;
    let logits = f32_tensor(&io, "logits")?;
    let scores = net.predict(&x)?;
    let worst = scores
        .as_slice()
        .iter()
        .zip(&logits)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    let scale = logits.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    println!(
        "{} logits, largest difference from PyTorch's {worst:.1e} (largest logit {scale:.2})",
        logits.len()
    );
    assert_eq!(scores.as_slice().len(), logits.len());
    assert!(worst <= 1e-5 * scale.max(1.0), "{worst}");

    // 4. Saved as typenet names its tensors ...
    net.tensors(&mut |t| println!("  \"{}.{}\" {:?} {:?}", t.layer, t.name, t.kind, t.shape));
    let path = std::env::temp_dir().join(format!("typenet-06-{}.safetensors", std::process::id()));
    typenet::io::save(&net, &path)?;
    // ... and loaded back (`io::load`, not `load_pytorch`: the file records
    // typenet's layers, which `load` checks against the net's)
    let mut copy = torch_net();
    typenet::io::load(&mut copy, &path)?;
    assert_eq!(copy.predict(&x)?, scores);
    println!("saved to {} and loaded back: the same outputs", path.display());

    // A net of other sizes is refused, naming the tensor, and left as it was.
    let mut other = Input::<Image<f32, 1, 12, 12>>::new()
        .then(Conv2d::<f32, 1, 8, 3, 1, 1>::zeros())
        .then(Relu)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss);
    let refused = typenet::io::load(&mut other, &path).expect_err("another net");
    println!("another net: {refused}");
    std::fs::remove_file(&path)?;
    Ok(())
}

/// The little-endian `f32` values of tensor `name` in a safetensors file
/// of loose tensors (typenet's `io` reads nets, not loose tensors): an
/// 8-byte header length, a JSON header giving each tensor's
/// `"data_offsets":[begin,end]`, then the data.
fn f32_tensor(file: &[u8], name: &str) -> Result<Vec<f32>, String> {
    let bad = || format!("tensor {name:?}: not in the file, or the file is not safetensors");
    let len = u64::from_le_bytes(file.get(..8).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
    let header = std::str::from_utf8(file.get(8..8 + len).ok_or_else(bad)?).map_err(|_| bad())?;
    let entry = &header[header.find(&format!("\"{name}\":")).ok_or_else(bad)?..];
    let offsets = &entry[entry.find("\"data_offsets\":[").ok_or_else(bad)? + 16..];
    let mut range = offsets
        .split(']')
        .next()
        .ok_or_else(bad)?
        .split(',')
        .map(|v| v.trim().parse::<usize>());
    let (begin, end) = match (range.next(), range.next()) {
        (Some(Ok(b)), Some(Ok(e))) if b <= e => (b, e),
        _ => return Err(bad()),
    };
    let data = file.get(8 + len + begin..8 + len + end).ok_or_else(bad)?;
    Ok(data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}
