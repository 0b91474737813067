//! The four MLPerf Tiny reference models as typed int8 nets written by hand
//! (`tests/tinyml/nets.rs`), loaded from their `.tflite` files with `load_tflite`, give LiteRT's
//! reference outputs (`BUILTIN_REF`, the fixtures of
//! `tests/fixtures/tinyml`) bit for bit on the 32 seeded random inputs and
//! on the MLPerf sample inputs.

mod tinyml;

use tinyml::nets::{Ad, Ic, Kws, Vww};
use typenet::{Batch, Layer, Row};

/// Images from TFLite's `H × W × C` order to typenet's `C × H × W`.
fn chw<X: Row<Scalar = i8>>(nhwc: &[i8]) -> Batch<X> {
    let [c, h, w] = *X::DIMS else {
        return Batch::from_flat(nhwc).expect("whole rows");
    };
    let mut out = vec![0i8; nhwc.len()];
    for (n, (src, dst)) in nhwc
        .chunks_exact(c * h * w)
        .zip(out.chunks_exact_mut(c * h * w))
        .enumerate()
    {
        let _ = n;
        for y in 0..h {
            for x in 0..w {
                for ch in 0..c {
                    dst[(ch * h + y) * w + x] = src[(y * w + x) * c + ch];
                }
            }
        }
    }
    Batch::from_flat(&out).expect("whole rows")
}

/// Loads `net` from `file`, runs the fixture's inputs (and samples, if
/// any) and compares with LiteRT's outputs; returns how many rows ran.
fn check<X: Row<Scalar = i8>, N>(mut net: N, stem: &str, file: &str) -> usize
where
    N: Layer<X, Out: Row<Scalar = i8>> + typenet::ops::Operators<X>,
{
    typenet::io::load_tflite(&mut net, tinyml::dir().join(file)).unwrap_or_else(|e| panic!("{e}"));
    let fixture = tinyml::fixture(&format!("{stem}_int8"));
    let mut rows = 0;
    for (input, output) in [("input", "output"), ("sample_input", "sample_output")] {
        let Some(x) = fixture.get(input) else { continue };
        let x = chw::<X>(x.i8());
        let mut y = Batch::zeros(0);
        net.infer(&x, &mut y);
        let want = fixture[output].i8();
        let differing = y.as_slice().iter().zip(want).filter(|(a, b)| a != b).count();
        assert_eq!(y.as_slice().len(), want.len());
        assert_eq!(
            differing,
            0,
            "{stem} {input}: {differing} of {} codes differ",
            want.len()
        );
        rows += x.nrows();
    }
    rows
}

#[test]
fn anomaly_detection_is_bit_exact() {
    assert_eq!(check::<[i8; 640], _>(Ad::default(), "ad", "ad01_int8.tflite"), 32 + 196);
}

#[test]
fn keyword_spotting_is_bit_exact() {
    assert_eq!(check(Kws::default(), "kws", "kws_ref_model.tflite"), 33);
}

#[test]
fn visual_wake_words_is_bit_exact() {
    assert_eq!(check(Vww::default(), "vww", "vww_96_int8.tflite"), 32);
}

#[test]
fn image_classification_is_bit_exact() {
    assert_eq!(check(Ic::default(), "ic", "pretrainedResnet_quant.tflite"), 33);
}
