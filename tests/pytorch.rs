//! Weights trained in PyTorch: a convolutional `nn.Sequential` with
//! BatchNorm, saved by `safetensors.torch.save_file(model.state_dict())`
//! (tests/fixtures/make_torch_net.py), loads into the matching typenet net,
//! which then computes PyTorch's outputs; mismatches are refused, naming
//! the tensor and both shapes, with the net left as it was.

use typenet::io::{ModelErrorKind, from_bytes, from_pytorch_bytes, load_pytorch};
use typenet::prelude::*;

type Torch<T> = Chain![
    Input<Image<T, 1, 12, 12>, Conv2d<T, 1, 4, 3, 1, 1>>,
    BatchNorm<T, 4>,
    Relu,
    MaxPool2d<2>,
    Conv2d<T, 4, 6, 3>,
    Relu,
    Affine<Image<T, 6, 4, 4>, 16>,
    BatchNorm<T, 16>,
    Relu,
    Affine<[T; 16], 10>,
    SoftmaxWithLoss<10>
];

fn torch_net<T: Scalar>() -> Torch<T> {
    Input::new()
        .then(Conv2d::zeros())
        .then(BatchNorm::pytorch())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Conv2d::zeros())
        .then(Relu)
        .then(Affine::<_, 16>::zeros())
        .then(BatchNorm::pytorch())
        .then(Relu)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss)
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The inputs and the logits PyTorch computed for them, read with typenet's
/// own loader from the second fixture file.
fn inputs_and_logits() -> (Batch<Image<f32, 1, 12, 12>>, Vec<f32>) {
    // the file's tensors are "x" and "logits", not a net's: read their
    // bytes straight from the header's offsets
    let bytes = std::fs::read(fixture("torch_net_io.safetensors")).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    let data = &bytes[8 + header_len..];
    let read = |name: &str, len: usize| -> Vec<f32> {
        let at = header.find(&format!("\"{name}\"")).unwrap();
        let offsets = &header[at..];
        let start = offsets.find("data_offsets\":[").unwrap() + "data_offsets\":[".len();
        let begin: usize = offsets[start..].split(',').next().unwrap().trim().parse().unwrap();
        data[begin..begin + 4 * len]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect()
    };
    (Batch::from_flat(&read("x", 5 * 144)).unwrap(), read("logits", 50))
}

/// The net computes PyTorch's logits within 1e-5, in f32 and in f64.
#[test]
fn pytorch_weights_give_pytorch_outputs() {
    let (x, logits) = inputs_and_logits();
    let mut net = torch_net::<f32>();
    load_pytorch(&mut net, fixture("torch_net.safetensors")).unwrap();
    let scores = net.predict(&x).unwrap();
    for (got, want) in scores.as_slice().iter().zip(&logits) {
        assert!((got - want).abs() <= 1e-5, "{got} vs PyTorch's {want}");
    }
    assert_ne!(
        net.layer::<1>().running_var(),
        &[1.0; 4],
        "PyTorch's statistics were loaded"
    );
    // an f64 net reads the f32 file exactly
    let mut wide = torch_net::<f64>();
    load_pytorch(&mut wide, fixture("torch_net.safetensors")).unwrap();
    let x64: Batch<Image<f64, 1, 12, 12>> =
        Batch::from_flat(&x.as_slice().iter().map(|&v| v as f64).collect::<Vec<_>>()).unwrap();
    for (got, want) in wide.predict(&x64).unwrap().as_slice().iter().zip(&logits) {
        assert!((got - *want as f64).abs() <= 1e-5, "{got} vs PyTorch's {want}");
    }
    // and what typenet saves from it, it loads back as itself
    let mut again = torch_net::<f32>();
    from_bytes(&mut again, &typenet::io::to_bytes(&net).unwrap()).unwrap();
    assert_eq!(again.predict(&x).unwrap(), scores);
}

/// A net of another shape is refused, naming the PyTorch tensor and both
/// shapes, and stays as it was.
#[test]
fn a_mismatched_net_is_refused_untouched() {
    let bytes = std::fs::read(fixture("torch_net.safetensors")).unwrap();
    type Wider = Chain![
        Input<Image<f32, 1, 12, 12>, Conv2d<f32, 1, 4, 3, 1, 1>>,
        BatchNorm<f32, 4>,
        Relu,
        MaxPool2d<2>,
        Conv2d<f32, 4, 6, 3>,
        Relu,
        Affine<Image<f32, 6, 4, 4>, 17>,
        BatchNorm<f32, 17>,
        Relu,
        Affine<[f32; 17], 10>,
        SoftmaxWithLoss<10>
    ];
    let mut wider: Wider = Input::new()
        .then(Conv2d::zeros())
        .then(BatchNorm::pytorch())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Conv2d::zeros())
        .then(Relu)
        .then(Affine::<_, 17>::zeros())
        .then(BatchNorm::pytorch())
        .then(Relu)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss);
    let before = wider.clone();
    let err = from_pytorch_bytes(&mut wider, &bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"tensor "7.weight" has shape [16, 96], the net's parameter has [17, 96]"#
    );
    assert_eq!(wider, before);

    // a layer fewer: the counts of layers with tensors differ
    let mut short = Input::<Image<f32, 1, 12, 12>>::new()
        .then(Conv2d::<f32, 1, 4, 3, 1, 1>::zeros())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss);
    let err = from_pytorch_bytes(&mut short, &bytes).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Layout(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "bad tensor layout: the file has 6 modules with tensors (0, 1, 4, 7, 8, 10), the net 2 layers with tensors"
    );
}
