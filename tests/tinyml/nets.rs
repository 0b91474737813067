//! The four MLPerf Tiny reference models written out by hand as typed
//! int8 nets: what `tests/mlperf_tiny.rs` loads, and what the importer's
//! output for the four models must equal (`tests/tflite_import.rs`).

use typenet::Image;
use typenet::int8::{self, Same};

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

/// The anomaly detector's float model: fully connected layers, each fused
/// ReLU a `Relu` layer.
pub type FloatAd = typenet::Chain![
    typenet::Affine<[f32; 640], 128>, typenet::Relu, typenet::Affine<[f32; 128], 128>, typenet::Relu,
    typenet::Affine<[f32; 128], 128>, typenet::Relu, typenet::Affine<[f32; 128], 128>, typenet::Relu,
    typenet::Affine<[f32; 128], 8>, typenet::Relu, typenet::Affine<[f32; 8], 128>, typenet::Relu,
    typenet::Affine<[f32; 128], 128>, typenet::Relu, typenet::Affine<[f32; 128], 128>, typenet::Relu,
    typenet::Affine<[f32; 128], 128>, typenet::Relu, typenet::Affine<[f32; 128], 640>
];
