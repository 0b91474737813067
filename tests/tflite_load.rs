//! `load_tflite` on float models: the anomaly detector's float `.tflite`
//! loaded into a float chain agrees with LiteRT, and a net that does not
//! match the file is refused with the operator and what differs, the net
//! left as it was.

mod tinyml;

use typenet::io::{self, ModelErrorKind};
use typenet::prelude::*;

type FloatAd = Chain![
    Affine<[f32; 640], 128>, Relu, Affine<[f32; 128], 128>, Relu, Affine<[f32; 128], 128>, Relu,
    Affine<[f32; 128], 128>, Relu, Affine<[f32; 128], 8>, Relu, Affine<[f32; 8], 128>, Relu,
    Affine<[f32; 128], 128>, Relu, Affine<[f32; 128], 128>, Relu, Affine<[f32; 128], 128>, Relu,
    Affine<[f32; 128], 640>
];

fn float_ad() -> FloatAd {
    let mut net = typenet::chain![
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
    ];
    io::load_tflite(&mut net, tinyml::dir().join("ad01_fp32.tflite")).unwrap();
    net
}

/// The fixture's input (dequantized from the int8 fixture, as the fixture
/// script feeds the float model) and the MLPerf sample windows, with
/// LiteRT's float outputs for them.
fn inputs_and_litert() -> (Vec<f32>, Vec<f32>) {
    let int8 = tinyml::fixture("ad_int8");
    let float = tinyml::fixture("ad_float");
    let (scale, zero_point) = (float["input_scale"].f32()[0], float["input_zero_point"].i32()[0] as f32);
    let mut x: Vec<f32> = int8["input"]
        .i8()
        .iter()
        .map(|&q| (f32::from(q) - zero_point) * scale)
        .collect();
    x.extend(tinyml::ad_windows().concat());
    let want = float["output"]
        .f32()
        .iter()
        .chain(float["sample_output"].f32())
        .copied()
        .collect();
    (x, want)
}

/// The same net in f64, from the loaded weights: the reference both f32
/// results are measured against.
fn in_f64(net: &FloatAd, x: &[f32]) -> Vec<f64> {
    let mut tensors = vec![];
    net.tensors(&mut |t| tensors.push((t.shape.dims().to_vec(), t.value.get::<f32>().unwrap().to_vec())));
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks_exact(640) {
        let mut v: Vec<f64> = row.iter().map(|&a| f64::from(a)).collect();
        for (k, pair) in tensors.chunks_exact(2).enumerate() {
            let ((dims, w), (_, b)) = (&pair[0], &pair[1]);
            let (inputs, outputs) = (dims[0], dims[1]);
            v = (0..outputs)
                .map(|j| {
                    let s = (0..inputs).fold(f64::from(b[j]), |s, i| s + v[i] * f64::from(w[i * outputs + j]));
                    if k < 9 { s.max(0.0) } else { s }
                })
                .collect();
        }
        out.extend(v);
    }
    out
}

#[test]
fn the_float_anomaly_detector_agrees_with_litert() {
    let net = float_ad();
    let (x, want) = inputs_and_litert();
    let mut y = Batch::zeros(0);
    net.infer(&Batch::<[f32; 640]>::from_flat(&x).unwrap(), &mut y);
    assert_eq!(y.as_slice().len(), want.len());
    let exact = in_f64(&net, &x);
    // Both runtimes sum in f32 in their own order, so neither is the exact
    // answer and a ReLU near zero may flip: each is within 1e-4 of the f64
    // result and of the other, relative to the row's size (measured: about
    // 3e-7 typically, 4e-5 at worst, for both).
    for ((got, want), exact) in y
        .as_slice()
        .chunks_exact(640)
        .zip(want.chunks_exact(640))
        .zip(exact.chunks_exact(640))
    {
        let norm = |d: &mut dyn Iterator<Item = f64>| d.map(|v| v * v).sum::<f64>().sqrt();
        let size = norm(&mut exact.iter().copied());
        let ours = norm(&mut got.iter().zip(exact).map(|(&g, &e)| f64::from(g) - e));
        let theirs = norm(&mut want.iter().zip(exact).map(|(&w, &e)| f64::from(w) - e));
        let apart = norm(&mut got.iter().zip(want).map(|(&g, &w)| f64::from(g - w)));
        assert!(
            ours <= 1e-4 * size && theirs <= 1e-4 * size,
            "typenet {ours:e}, LiteRT {theirs:e} from f64"
        );
        assert!(
            apart <= 1e-4 * size,
            "typenet and LiteRT {apart:e} apart for a row of size {size:e}"
        );
    }
}

#[test]
fn a_net_that_does_not_match_the_file_is_refused_and_left_as_it_was() {
    // One layer too narrow: the file's second FULLY_CONNECTED is 128 → 128.
    let mut net = typenet::chain![
        Affine::<[f32; 640], 128>::zeros(),
        Relu,
        Affine::<_, 64>::zeros(),
        Relu,
        Affine::<_, 128>::zeros(),
        Relu,
        Affine::<_, 128>::zeros(),
        Relu,
        Affine::<_, 8>::zeros(),
        Relu,
        Affine::<_, 128>::zeros(),
        Relu,
        Affine::<_, 128>::zeros(),
        Relu,
        Affine::<_, 128>::zeros(),
        Relu,
        Affine::<_, 128>::zeros(),
        Relu,
        Affine::<_, 640>::zeros(),
    ];
    let err = io::load_tflite(&mut net, tinyml::dir().join("ad01_fp32.tflite")).unwrap_err();
    match &err.kind {
        ModelErrorKind::OperatorShape { index, operator, .. } | ModelErrorKind::Operator { index, operator, .. } => {
            assert_eq!((*index, operator.as_str()), (1, "FULLY_CONNECTED"), "{err}");
        }
        other => panic!("expected an operator mismatch, got {other:?}"),
    }
    let mut untouched = true;
    net.tensors(&mut |t| untouched &= t.value.get::<f32>().unwrap().iter().all(|&v| v == 0.0));
    assert!(untouched, "a refused load must leave the net as it was");
    assert!(err.to_string().contains("ad01_fp32.tflite"), "{err}");
}

#[test]
fn an_int8_file_into_a_float_net_is_an_error() {
    let mut net = float_ad();
    assert!(io::load_tflite(&mut net, tinyml::dir().join("ad01_int8.tflite")).is_err());
}
