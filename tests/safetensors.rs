//! Saving and loading parameters in safetensors: round trips in f32 and
//! f64, a file written by Python's safetensors, and every kind of damage
//! or mismatch refused with the net left as it was.

mod common;

use common::{rng, scratch_dir};
use typenet::io::{ModelErrorKind, from_bytes, load, save, to_bytes};
use typenet::prelude::*;

type Small<T> = Chain![Affine<[T; 3], 4>, Relu, Affine<[T; 4], 2>, SoftmaxWithLoss<2>];

fn small<T: Scalar>(seed: u64) -> Small<T> {
    let mut g = rng(seed);
    Affine::init(Init::He, &mut g)
        .then(Relu)
        .then(Affine::init(Init::He, &mut g))
        .then(SoftmaxWithLoss)
}

fn round_trip<T: Scalar>() {
    let dir = scratch_dir(&format!("round-trip-{}", std::any::type_name::<T>()));
    let path = dir.join("net.safetensors");
    let mut net = small::<T>(1);
    net.first_mut().first_mut().first_mut().bias_mut()[1] = T::of(0.25);
    save(&net, &path).unwrap();
    let mut copy = small::<T>(2);
    assert_ne!(copy, net);
    load(&mut copy, &path).unwrap();
    assert_eq!(copy, net);
    let x = [T::of(1.0), T::of(-2.0), T::of(0.5)];
    assert_eq!(copy.scores(&x).unwrap(), net.scores(&x).unwrap());
    // the temporary file of the atomic save is gone
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["net.safetensors"]);
}

for_f32_and_f64!(round_trip);

/// A file written by Python's `safetensors.numpy.save_file`
/// (tests/fixtures/make_python_net.py) loads, and the net computes what
/// numpy computed from the same numbers.
#[test]
fn a_file_written_by_python_loads() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/python_net.safetensors"
    ))
    .unwrap();
    let mut net = small::<f32>(0);
    from_bytes(&mut net, &bytes).unwrap();
    let w1 = net.first().first().first().weights();
    assert_eq!(w1[0], [-0.55, -0.45, -0.35, -0.25]);
    assert_eq!(net.first().second().bias(), &[0.05, -0.05]);
    // printed by the fixture script: numpy's scores for [1, -2, 0.5]
    let expected = [0.055_357_143_f32, -0.033_928_566];
    let scores = net.scores(&[1.0, -2.0, 0.5]).unwrap();
    for (s, e) in scores.iter().zip(expected) {
        assert!((s - e).abs() < 1e-6, "{scores:?} vs {expected:?}");
    }
}

#[test]
fn mismatched_nets_are_refused_and_left_untouched() {
    let bytes = to_bytes(&small::<f32>(1)).unwrap();

    let mut wider = Affine::<[f32; 5], 4>::zeros()
        .then(Relu)
        .then(Affine::<[f32; 4], 2>::zeros())
        .then(SoftmaxWithLoss);
    let before = wider.clone();
    let err = from_bytes(&mut wider, &bytes).unwrap_err();
    let ModelErrorKind::Shape {
        tensor,
        expected,
        found,
    } = &err.kind
    else {
        panic!("{err}")
    };
    assert_eq!(
        (tensor.as_str(), expected.as_slice(), found.as_slice()),
        ("0.W", &[5, 4][..], &[3, 4][..])
    );
    assert_eq!(
        err.to_string(),
        r#"tensor "0.W" has shape [3, 4], the net's parameter has [5, 4]"#
    );
    assert_eq!(wider, before);

    let mut double = small::<f64>(3);
    let before = double.clone();
    let err = from_bytes(&mut double, &bytes).unwrap_err();
    assert!(matches!(&err.kind, ModelErrorKind::Dtype { expected: "F64", found, .. } if found == "F32"));
    assert_eq!(double, before);

    let mut deeper = small::<f32>(4)
        .then(Affine::<[f32; 2], 2>::zeros())
        .then(SoftmaxWithLoss);
    let err = from_bytes(&mut deeper, &bytes).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::Architecture { layer: 4, file, net } if file.is_empty() && net.starts_with("Affine")),
        "{err}"
    );

    let mut shallower = Affine::<[f32; 3], 4>::zeros().then(SoftmaxWithLoss);
    let err = from_bytes(&mut shallower, &bytes).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::Architecture { layer: 1, .. }),
        "{err}"
    );
}

/// Every truncation, and corruption of the header, gives an error.
#[test]
fn damaged_files_are_refused_and_the_net_left_untouched() {
    let bytes = to_bytes(&small::<f32>(1)).unwrap();
    let mut net = small::<f32>(2);
    let before = net.clone();
    for cut in 0..bytes.len() {
        assert!(from_bytes(&mut net, &bytes[..cut]).is_err(), "cut at {cut} accepted");
    }
    let mut refused = 0;
    for at in 8..bytes.len().min(300) {
        let mut broken = bytes.clone();
        broken[at] ^= 0x55;
        // most flipped header bytes break its JSON, names or numbers; a few
        // only change metadata text, which loads. A refused load must not
        // have half-applied.
        let mut fresh = before.clone();
        if from_bytes(&mut fresh, &broken).is_err() {
            assert_eq!(fresh, before, "a failed load changed the net (byte {at})");
            refused += 1;
        }
    }
    assert!(refused > 200, "only {refused} corruptions refused");
    assert_eq!(net, before);
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    let err = from_bytes(&mut net, &bytes[..header_len as usize]).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Truncated { .. }), "{err}");
    // a header that claims to be huge is refused before anything is read
    let mut huge = bytes.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        from_bytes(&mut net, &huge).unwrap_err().kind,
        ModelErrorKind::Header(_)
    ));
}

#[test]
fn non_finite_weights_are_neither_saved_nor_loaded() {
    let dir = scratch_dir("non-finite");
    let path = dir.join("net.safetensors");
    let good = small::<f32>(1);
    save(&good, &path).unwrap();
    let saved = std::fs::read(&path).unwrap();

    let mut bad = good.clone();
    bad.first_mut().first_mut().first_mut().weights_mut()[1][2] = f32::NAN;
    let err = save(&bad, &path).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::NonFinite { tensor } if tensor == "0.W"),
        "{err}"
    );
    // what was saved before is still there, unchanged
    assert_eq!(std::fs::read(&path).unwrap(), saved);

    // a NaN written into the file's data is refused on load
    let mut corrupt = saved.clone();
    let last = corrupt.len() - 4;
    corrupt[last..].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut net = small::<f32>(9);
    let err = from_bytes(&mut net, &corrupt).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::NonFinite { tensor } if tensor == "2.b"),
        "{err}"
    );
}

#[test]
fn missing_files_and_folders_are_errors() {
    let dir = scratch_dir("missing-model");
    let mut net = small::<f32>(1);
    let err = load(&mut net, dir.join("nothing.safetensors")).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Missing));
    let err = save(&net, dir.join("no-such-folder").join("net.safetensors")).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Io(_)));
}

/// A file saved from one net refuses a net of other layers, naming both,
/// and leaves it as it was.
#[test]
fn a_file_of_other_layers_is_refused() {
    let bytes = to_bytes(&small::<f32>(1)).unwrap();
    let mut g = rng(5);
    let mut sigmoid = Affine::<[f32; 3], 4>::init(Init::He, &mut g)
        .then(Sigmoid)
        .then(Affine::<[f32; 4], 2>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    let before = sigmoid.clone();
    let err = from_bytes(&mut sigmoid, &bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file holds a different net: layer 1 is `Relu(4->4)` in the file and `Sigmoid(4->4)` in this net"
    );
    assert_eq!(sigmoid, before);
}

/// Without a recorded architecture (a file written by another tool), a
/// missing tensor whose neighbour number holds the same shape is reported
/// as a likely shift of the layer numbering.
#[test]
fn a_shifted_layer_numbering_is_named() {
    let net = small::<f32>(1);
    let mut tensors = Vec::new();
    net.visit_params(0, &mut |p| {
        tensors.push((p.layer + 1, p.name, p.shape.dims().to_vec(), p.value.to_vec()))
    });
    let bytes = common::safetensors_bytes(&tensors);
    let mut copy = small::<f32>(2);
    let err = from_bytes(&mut copy, &bytes).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::MissingTensor { tensor, shifted: Some(other) } if tensor == "0.W" && other == "1.W"),
        "{err}"
    );
    assert!(err.to_string().contains("a layer more or fewer"), "{err}");
}
