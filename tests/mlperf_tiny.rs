//! The four MLPerf Tiny reference models written out by hand as typed int8
//! nets, loaded from their `.tflite` files with `load_tflite`, give LiteRT's
//! reference outputs (`BUILTIN_REF`, the fixtures of
//! `tests/fixtures/tinyml`) bit for bit on the 32 seeded random inputs and
//! on the MLPerf sample inputs.

mod tinyml;

use typenet::int8::{self, Same};
use typenet::{Batch, Image, Layer, Row};

/// Keyword spotting: DS-CNN on 49 × 10 MFCCs.
pub type Kws = typenet::Net![
    Image<i8, 1, 49, 10> =>
    int8::Conv2d<1, 64, 10, 4, 2, 2, Same>,                                      // 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, int8::Conv2d<64, 64, 1, 1>,
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, int8::Conv2d<64, 64, 1, 1>,
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, int8::Conv2d<64, 64, 1, 1>,
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, int8::Conv2d<64, 64, 1, 1>,
    int8::GlobalAvgPool,                                                          // 64
    int8::Affine<[i8; 64], 12>,
    int8::Softmax<12>
];

/// Visual wake words: MobileNetV1 0.25 on 96 × 96 RGB.
pub type Vww = typenet::Net![
    Image<i8, 3, 96, 96> =>
    int8::Conv2d<3, 8, 3, 3, 2, 2, Same>,                                         // 8 × 48 × 48
    int8::DepthwiseConv2d<8, 8, 3, 3, 1, 1, Same>, int8::Conv2d<8, 16, 1, 1>,
    int8::DepthwiseConv2d<16, 16, 3, 3, 2, 2, Same>, int8::Conv2d<16, 32, 1, 1>,   // 24 × 24
    int8::DepthwiseConv2d<32, 32, 3, 3, 1, 1, Same>, int8::Conv2d<32, 32, 1, 1>,
    int8::DepthwiseConv2d<32, 32, 3, 3, 2, 2, Same>, int8::Conv2d<32, 64, 1, 1>,   // 12 × 12
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, int8::Conv2d<64, 64, 1, 1>,
    int8::DepthwiseConv2d<64, 64, 3, 3, 2, 2, Same>, int8::Conv2d<64, 128, 1, 1>,  // 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, int8::Conv2d<128, 128, 1, 1>,
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, int8::Conv2d<128, 128, 1, 1>,
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, int8::Conv2d<128, 128, 1, 1>,
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, int8::Conv2d<128, 128, 1, 1>,
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, int8::Conv2d<128, 128, 1, 1>,
    int8::DepthwiseConv2d<128, 128, 3, 3, 2, 2, Same>, int8::Conv2d<128, 256, 1, 1>, // 3 × 3
    int8::DepthwiseConv2d<256, 256, 3, 3, 1, 1, Same>, int8::Conv2d<256, 256, 1, 1>,
    int8::GlobalAvgPool,                                                            // 256
    int8::Affine<[i8; 256], 2>,
    int8::Softmax<2>
];

/// Image classification: ResNet-8 on 32 × 32 RGB (CIFAR-10). Each stage's
/// shortcut is its input (stage 1) or a 1×1 stride-2 convolution.
pub type Ic = typenet::Net![
    Image<i8, 3, 32, 32> =>
    int8::Conv2d<3, 16, 3, 3, 1, 1, Same>,
    int8::Residual<typenet::Chain![int8::Conv2d<16, 16, 3, 3, 1, 1, Same>, int8::Conv2d<16, 16, 3, 3, 1, 1, Same>]>,
    int8::Sum<
        typenet::Chain![int8::Conv2d<16, 32, 3, 3, 2, 2, Same>, int8::Conv2d<32, 32, 3, 3, 1, 1, Same>],
        int8::Conv2d<16, 32, 1, 1, 2, 2, Same>
    >,                                                                              // 32 × 16 × 16
    int8::Sum<
        typenet::Chain![int8::Conv2d<32, 64, 3, 3, 2, 2, Same>, int8::Conv2d<64, 64, 3, 3, 1, 1, Same>],
        int8::Conv2d<32, 64, 1, 1, 2, 2, Same>
    >,                                                                              // 64 × 8 × 8
    int8::GlobalAvgPool,
    int8::Affine<[i8; 64], 10>,
    int8::Softmax<10>
];

/// Anomaly detection: a fully connected autoencoder of 640 values.
pub type Ad = typenet::Chain![
    int8::Affine<[i8; 640], 128>, int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>,
    int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 8>, int8::Affine<[i8; 8], 128>,
    int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>,
    int8::Affine<[i8; 128], 640>
];

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
