//! Weights trained in PyTorch: a convolutional `nn.Sequential` with
//! BatchNorm, saved by `safetensors.torch.save_file(model.state_dict())`
//! (tests/fixtures/make_torch_net.py), loads into the matching typenet net,
//! which then computes PyTorch's outputs; mismatches are refused, naming
//! the tensor and both shapes, with the net left as it was.

use typenet::io::{ModelErrorKind, from_bytes, from_pytorch_bytes, from_pytorch_bytes_ordered, load_pytorch};
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

/// The bytes of a safetensors file of `F32` tensors named as given.
fn state_dict(tensors: &[(&str, &[usize], &[f32])]) -> Vec<u8> {
    let mut entries = Vec::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        assert_eq!(shape.iter().product::<usize>(), values.len(), "{name}");
        let begin = data.len();
        data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
        entries.push(format!(
            r#""{name}":{{"dtype":"F32","shape":[{}],"data_offsets":[{begin},{}]}}"#,
            dims.join(","),
            data.len()
        ));
    }
    let header = format!("{{{}}}", entries.join(","));
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&data);
    bytes
}

type TwoLinear = Chain![Affine<[f32; 2], 2>, Relu, Affine<[f32; 2], 2>, SoftmaxWithLoss<2>];

fn two_linear() -> TwoLinear {
    Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss)
}

/// Two `Linear` modules named `first` and `second`, with weights of all
/// 1s and all 2s.
fn two_modules(first: &str, second: &str) -> Vec<u8> {
    let names = [first, second].map(|m| [format!("{m}.weight"), format!("{m}.bias")]);
    state_dict(&[
        (&names[0][0], &[2, 2], &[1.0; 4]),
        (&names[0][1], &[2], &[1.0; 2]),
        (&names[1][0], &[2, 2], &[2.0; 4]),
        (&names[1][1], &[2], &[2.0; 2]),
    ])
}

/// Numbered modules go in the order of their numbers, not of their text:
/// module 10 after module 2.
#[test]
fn numbered_modules_are_ordered_by_number() {
    let mut net = two_linear();
    from_pytorch_bytes(&mut net, &two_modules("10", "2")).unwrap();
    assert_eq!(net.first().first().first().bias(), &[2.0; 2], "module 2 fills layer 0");
    assert_eq!(net.first().second().bias(), &[1.0; 2], "module 10 fills layer 2");
}

/// Two names that spell one number (`"0"` and `"00"`, `"0"` and `"+0"`)
/// are refused, naming both, whatever order the file lists them in.
#[test]
fn names_that_spell_one_number_are_refused_naming_both() {
    for (a, b, canonical, other) in [
        ("0", "00", "0", "00"),
        ("00", "0", "0", "00"),
        ("0", "+0", "0", "+0"),
        ("features.1", "features.01", "features.1", "features.01"),
    ] {
        let mut net = two_linear();
        let before = net.clone();
        let err = from_pytorch_bytes(&mut net, &two_modules(a, b)).unwrap_err();
        let ModelErrorKind::AmbiguousModules { first, second } = &err.kind else {
            panic!("{a} and {b}: {err}")
        };
        assert_eq!((first.as_str(), second.as_str()), (canonical, other));
        assert_eq!(
            err.to_string(),
            format!(
                "modules {canonical:?} and {other:?} spell the same number, so which layer each one fills cannot be told"
            )
        );
        assert_eq!(net, before);
    }
}

/// Named siblings (two `nn.Sequential`s called `features` and
/// `classifier`) have no order the file can tell: refused, naming both,
/// rather than taken alphabetically; stated, they load in that order.
#[test]
fn named_siblings_need_their_order_stated() {
    let bytes = two_modules("features.0", "classifier.1");
    let mut net = two_linear();
    let err = from_pytorch_bytes(&mut net, &bytes).unwrap_err();
    let ModelErrorKind::UnorderedModules { first, second } = &err.kind else {
        panic!("{err}")
    };
    assert_eq!((first.as_str(), second.as_str()), ("features", "classifier"));
    assert!(err.to_string().contains("typenet::io::load_pytorch_ordered"), "{err}");
    assert_eq!(net, two_linear());

    from_pytorch_bytes_ordered(&mut net, &bytes, &["features", "classifier"]).unwrap();
    assert_eq!(net.first().first().first().bias(), &[1.0; 2], "features fills layer 0");
    assert_eq!(net.first().second().bias(), &[2.0; 2]);
    // whole module paths work as well, and within a prefix numbers order
    let mut again = two_linear();
    let mixed = two_modules("block.10", "block.9");
    from_pytorch_bytes_ordered(&mut again, &mixed, &["block"]).unwrap();
    assert_eq!(again.first().first().first().bias(), &[2.0; 2], "block.9 first");

    // an order that leaves a module out, or names none, is refused
    for (order, expected) in [
        (
            &["features"][..],
            r#"module "classifier.1" is not in the module order given (features)"#,
        ),
        (
            &["features", "head", "classifier"][..],
            r#"the module order given names "head", but no module with tensors is "head" or inside it"#,
        ),
    ] {
        let err = from_pytorch_bytes_ordered(&mut two_linear(), &bytes, order).unwrap_err();
        assert!(err.to_string().contains(expected), "{order:?}: {err}");
    }
}

/// A tensor of the model itself is named plainly, `"weight"`, and is
/// reported under that name, not `".weight"`.
#[test]
fn a_tensor_of_the_model_itself_is_named_plainly() {
    let mut net = Affine::<[f32; 2], 3>::zeros().then(SoftmaxWithLoss);
    let whole = state_dict(&[
        ("weight", &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        ("bias", &[3], &[7.0, 8.0, 9.0]),
    ]);
    from_pytorch_bytes(&mut net, &whole).unwrap();
    assert_eq!(net.first().weights()[0], [1.0, 3.0, 5.0], "transposed from (out, in)");
    assert_eq!(net.first().bias(), &[7.0, 8.0, 9.0]);

    let no_weight = state_dict(&[("bias", &[3], &[7.0, 8.0, 9.0])]);
    let err = from_pytorch_bytes(&mut net, &no_weight).unwrap_err();
    assert_eq!(err.to_string(), r#"tensor "weight" is missing"#);
}

/// A negative running variance in a PyTorch file is refused, naming the
/// PyTorch tensor.
#[test]
fn a_negative_running_variance_from_pytorch_is_refused() {
    let mut net = Affine::<[f32; 2], 2>::zeros()
        .then(BatchNorm::<f32, 2>::pytorch())
        .then(SoftmaxWithLoss);
    let before = net.clone();
    let bytes = state_dict(&[
        ("0.weight", &[2, 2], &[1.0; 4]),
        ("0.bias", &[2], &[0.0; 2]),
        ("1.weight", &[2], &[1.0; 2]),
        ("1.bias", &[2], &[0.0; 2]),
        ("1.running_mean", &[2], &[0.0; 2]),
        ("1.running_var", &[2], &[1.0, -1e-5]),
    ]);
    let err = from_pytorch_bytes(&mut net, &bytes).unwrap_err();
    assert_eq!(err.to_string(), r#"tensor "1.running_var" holds a negative variance"#);
    assert_eq!(net, before);
}
