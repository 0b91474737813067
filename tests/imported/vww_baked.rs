// A typenet net of the TensorFlow Lite model of 31 operators, written by
// typenet::io::tflite::baked_rust_source: the net's type (the compiler checks the
// graph as it checks a hand-written one) and its weights as a static. Write it
// again from the model rather than editing it.

use typenet::int8::{self, Same};
use typenet::Image;

/// The net, layer by layer, with the operators of the file each computes.
pub type Net = typenet::Net![
    Image<i8, 3, 96, 96> =>
    int8::Conv2d<3, 8, 3, 3, 2, 2, Same>, // operator 0: 8 × 48 × 48
    int8::DepthwiseConv2d<8, 8, 3, 3, 1, 1, Same>, // operator 1: 8 × 48 × 48
    int8::Conv2d<8, 16, 1, 1>, // operator 2: 16 × 48 × 48
    int8::DepthwiseConv2d<16, 16, 3, 3, 2, 2, Same>, // operator 3: 16 × 24 × 24
    int8::Conv2d<16, 32, 1, 1>, // operator 4: 32 × 24 × 24
    int8::DepthwiseConv2d<32, 32, 3, 3, 1, 1, Same>, // operator 5: 32 × 24 × 24
    int8::Conv2d<32, 32, 1, 1>, // operator 6: 32 × 24 × 24
    int8::DepthwiseConv2d<32, 32, 3, 3, 2, 2, Same>, // operator 7: 32 × 12 × 12
    int8::Conv2d<32, 64, 1, 1>, // operator 8: 64 × 12 × 12
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, // operator 9: 64 × 12 × 12
    int8::Conv2d<64, 64, 1, 1>, // operator 10: 64 × 12 × 12
    int8::DepthwiseConv2d<64, 64, 3, 3, 2, 2, Same>, // operator 11: 64 × 6 × 6
    int8::Conv2d<64, 128, 1, 1>, // operator 12: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, // operator 13: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1>, // operator 14: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, // operator 15: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1>, // operator 16: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, // operator 17: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1>, // operator 18: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, // operator 19: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1>, // operator 20: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same>, // operator 21: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1>, // operator 22: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 2, 2, Same>, // operator 23: 128 × 3 × 3
    int8::Conv2d<128, 256, 1, 1>, // operator 24: 256 × 3 × 3
    int8::DepthwiseConv2d<256, 256, 3, 3, 1, 1, Same>, // operator 25: 256 × 3 × 3
    int8::Conv2d<256, 256, 1, 1>, // operator 26: 256 × 3 × 3
    int8::GlobalAvgPool, // operator 27: 256
    int8::Affine<[i8; 256], 2>, // operator 29: 2
    int8::Softmax<2>, // operator 30: 2
];

/// The rows the net reads: one input.
pub type Input = Image<i8, 3, 96, 96>;

/// The rows the net writes: one output.
pub type Output = [i8; 2];

/// Values per input (TFLite's input tensor is [1, 96, 96, 3]).
pub const INPUT: usize = 27648;

/// Values per output.
pub const OUTPUT: usize = 2;

/// One input from TFLite's `H × W × C` order (the model's input tensor)
/// to typenet's `C × H × W`; `None` unless `nhwc` holds [`INPUT`] values.
pub fn row(nhwc: &[i8]) -> Option<Input> {
    if nhwc.len() != INPUT {
        return None;
    }
    let mut x = <Input as typenet::Row>::ZERO;
    for (pixel, values) in nhwc.chunks_exact(3).enumerate() {
        for (channel, &v) in x.0.iter_mut().zip(values) {
            channel.as_flattened_mut()[pixel] = v;
        }
    }
    Some(x)
}

/// The net as baked: the same layers, their weights in `Frozen` storage.
pub type NetFrozen = typenet::Chain![
    int8::Conv2d<3, 8, 3, 3, 2, 2, Same, typenet::Frozen>, // operator 0: 8 × 48 × 48
    int8::DepthwiseConv2d<8, 8, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 1: 8 × 48 × 48
    int8::Conv2d<8, 16, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 2: 16 × 48 × 48
    int8::DepthwiseConv2d<16, 16, 3, 3, 2, 2, Same, typenet::Frozen>, // operator 3: 16 × 24 × 24
    int8::Conv2d<16, 32, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 4: 32 × 24 × 24
    int8::DepthwiseConv2d<32, 32, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 5: 32 × 24 × 24
    int8::Conv2d<32, 32, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 6: 32 × 24 × 24
    int8::DepthwiseConv2d<32, 32, 3, 3, 2, 2, Same, typenet::Frozen>, // operator 7: 32 × 12 × 12
    int8::Conv2d<32, 64, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 8: 64 × 12 × 12
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 9: 64 × 12 × 12
    int8::Conv2d<64, 64, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 10: 64 × 12 × 12
    int8::DepthwiseConv2d<64, 64, 3, 3, 2, 2, Same, typenet::Frozen>, // operator 11: 64 × 6 × 6
    int8::Conv2d<64, 128, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 12: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 13: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 14: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 15: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 16: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 17: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 18: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 19: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 20: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 21: 128 × 6 × 6
    int8::Conv2d<128, 128, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 22: 128 × 6 × 6
    int8::DepthwiseConv2d<128, 128, 3, 3, 2, 2, Same, typenet::Frozen>, // operator 23: 128 × 3 × 3
    int8::Conv2d<128, 256, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 24: 256 × 3 × 3
    int8::DepthwiseConv2d<256, 256, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 25: 256 × 3 × 3
    int8::Conv2d<256, 256, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 26: 256 × 3 × 3
    int8::GlobalAvgPool, // operator 27: 256
    int8::Affine<[i8; 256], 2, typenet::Frozen>, // operator 29: 2
    int8::Softmax<2>, // operator 30: 2
];

/// The weights and per-channel quantization of every layer, as the
/// weights file holds them (little-endian).
#[repr(C)]
struct Weights {
    op0_b: [i32; 8],
    op0_weight_scale: [f32; 8],
    op0_multiplier: [i32; 8],
    op0_shift: [i32; 8],
    op1_b: [i32; 8],
    op1_weight_scale: [f32; 8],
    op1_multiplier: [i32; 8],
    op1_shift: [i32; 8],
    op2_b: [i32; 16],
    op2_weight_scale: [f32; 16],
    op2_multiplier: [i32; 16],
    op2_shift: [i32; 16],
    op3_b: [i32; 16],
    op3_weight_scale: [f32; 16],
    op3_multiplier: [i32; 16],
    op3_shift: [i32; 16],
    op4_b: [i32; 32],
    op4_weight_scale: [f32; 32],
    op4_multiplier: [i32; 32],
    op4_shift: [i32; 32],
    op5_b: [i32; 32],
    op5_weight_scale: [f32; 32],
    op5_multiplier: [i32; 32],
    op5_shift: [i32; 32],
    op6_b: [i32; 32],
    op6_weight_scale: [f32; 32],
    op6_multiplier: [i32; 32],
    op6_shift: [i32; 32],
    op7_b: [i32; 32],
    op7_weight_scale: [f32; 32],
    op7_multiplier: [i32; 32],
    op7_shift: [i32; 32],
    op8_b: [i32; 64],
    op8_weight_scale: [f32; 64],
    op8_multiplier: [i32; 64],
    op8_shift: [i32; 64],
    op9_b: [i32; 64],
    op9_weight_scale: [f32; 64],
    op9_multiplier: [i32; 64],
    op9_shift: [i32; 64],
    op10_b: [i32; 64],
    op10_weight_scale: [f32; 64],
    op10_multiplier: [i32; 64],
    op10_shift: [i32; 64],
    op11_b: [i32; 64],
    op11_weight_scale: [f32; 64],
    op11_multiplier: [i32; 64],
    op11_shift: [i32; 64],
    op12_b: [i32; 128],
    op12_weight_scale: [f32; 128],
    op12_multiplier: [i32; 128],
    op12_shift: [i32; 128],
    op13_b: [i32; 128],
    op13_weight_scale: [f32; 128],
    op13_multiplier: [i32; 128],
    op13_shift: [i32; 128],
    op14_b: [i32; 128],
    op14_weight_scale: [f32; 128],
    op14_multiplier: [i32; 128],
    op14_shift: [i32; 128],
    op15_b: [i32; 128],
    op15_weight_scale: [f32; 128],
    op15_multiplier: [i32; 128],
    op15_shift: [i32; 128],
    op16_b: [i32; 128],
    op16_weight_scale: [f32; 128],
    op16_multiplier: [i32; 128],
    op16_shift: [i32; 128],
    op17_b: [i32; 128],
    op17_weight_scale: [f32; 128],
    op17_multiplier: [i32; 128],
    op17_shift: [i32; 128],
    op18_b: [i32; 128],
    op18_weight_scale: [f32; 128],
    op18_multiplier: [i32; 128],
    op18_shift: [i32; 128],
    op19_b: [i32; 128],
    op19_weight_scale: [f32; 128],
    op19_multiplier: [i32; 128],
    op19_shift: [i32; 128],
    op20_b: [i32; 128],
    op20_weight_scale: [f32; 128],
    op20_multiplier: [i32; 128],
    op20_shift: [i32; 128],
    op21_b: [i32; 128],
    op21_weight_scale: [f32; 128],
    op21_multiplier: [i32; 128],
    op21_shift: [i32; 128],
    op22_b: [i32; 128],
    op22_weight_scale: [f32; 128],
    op22_multiplier: [i32; 128],
    op22_shift: [i32; 128],
    op23_b: [i32; 128],
    op23_weight_scale: [f32; 128],
    op23_multiplier: [i32; 128],
    op23_shift: [i32; 128],
    op24_b: [i32; 256],
    op24_weight_scale: [f32; 256],
    op24_multiplier: [i32; 256],
    op24_shift: [i32; 256],
    op25_b: [i32; 256],
    op25_weight_scale: [f32; 256],
    op25_multiplier: [i32; 256],
    op25_shift: [i32; 256],
    op26_b: [i32; 256],
    op26_weight_scale: [f32; 256],
    op26_multiplier: [i32; 256],
    op26_shift: [i32; 256],
    op29_b: [i32; 2],
    op29_weight_scale: [f32; 2],
    op29_multiplier: [i32; 2],
    op29_shift: [i32; 2],
    op29_double_multiplier: [[i32; 3]; 2],
    op0_w: [[[[i8; 3]; 3]; 3]; 8],
    op1_w: [[[[i8; 3]; 3]; 1]; 8],
    op2_w: [[[[i8; 1]; 1]; 8]; 16],
    op3_w: [[[[i8; 3]; 3]; 1]; 16],
    op4_w: [[[[i8; 1]; 1]; 16]; 32],
    op5_w: [[[[i8; 3]; 3]; 1]; 32],
    op6_w: [[[[i8; 1]; 1]; 32]; 32],
    op7_w: [[[[i8; 3]; 3]; 1]; 32],
    op8_w: [[[[i8; 1]; 1]; 32]; 64],
    op9_w: [[[[i8; 3]; 3]; 1]; 64],
    op10_w: [[[[i8; 1]; 1]; 64]; 64],
    op11_w: [[[[i8; 3]; 3]; 1]; 64],
    op12_w: [[[[i8; 1]; 1]; 64]; 128],
    op13_w: [[[[i8; 3]; 3]; 1]; 128],
    op14_w: [[[[i8; 1]; 1]; 128]; 128],
    op15_w: [[[[i8; 3]; 3]; 1]; 128],
    op16_w: [[[[i8; 1]; 1]; 128]; 128],
    op17_w: [[[[i8; 3]; 3]; 1]; 128],
    op18_w: [[[[i8; 1]; 1]; 128]; 128],
    op19_w: [[[[i8; 3]; 3]; 1]; 128],
    op20_w: [[[[i8; 1]; 1]; 128]; 128],
    op21_w: [[[[i8; 3]; 3]; 1]; 128],
    op22_w: [[[[i8; 1]; 1]; 128]; 128],
    op23_w: [[[[i8; 3]; 3]; 1]; 128],
    op24_w: [[[[i8; 1]; 1]; 128]; 256],
    op25_w: [[[[i8; 3]; 3]; 1]; 256],
    op26_w: [[[[i8; 1]; 1]; 256]; 256],
    op29_w: [[i8; 256]; 2],
}

const _: () = assert!(cfg!(target_endian = "little"), "the weights file is little-endian");

// SAFETY: `Weights` is `repr(C)` over arrays of `i32`, `f32` and `i8` (the
// 4-byte ones first: no padding), of exactly the file's 251944 bytes (a
// transmute between types of two sizes does not compile); every bit
// pattern is a valid `i8`, `i32` and `f32`.
const WEIGHTS: Weights = unsafe { core::mem::transmute::<[u8; 251944], Weights>(*include_bytes!("vww_baked.bin")) };

/// The net with the weights of the file it was written from, a `static`:
/// no file to read, no heap.
pub static NET: NetFrozen = typenet::chain![
    int8::Conv2d::frozen(WEIGHTS.op0_w, WEIGHTS.op0_b, WEIGHTS.op0_weight_scale, [0.003921569, 0.014969985], [-128, -128], [-128, 127], WEIGHTS.op0_multiplier, WEIGHTS.op0_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op1_w, WEIGHTS.op1_b, WEIGHTS.op1_weight_scale, [0.014969985, 0.048387624], [-128, -128], [-128, 127], WEIGHTS.op1_multiplier, WEIGHTS.op1_shift),
    int8::Conv2d::frozen(WEIGHTS.op2_w, WEIGHTS.op2_b, WEIGHTS.op2_weight_scale, [0.048387624, 0.034131087], [-128, -128], [-128, 127], WEIGHTS.op2_multiplier, WEIGHTS.op2_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op3_w, WEIGHTS.op3_b, WEIGHTS.op3_weight_scale, [0.034131087, 0.03049509], [-128, -128], [-128, 127], WEIGHTS.op3_multiplier, WEIGHTS.op3_shift),
    int8::Conv2d::frozen(WEIGHTS.op4_w, WEIGHTS.op4_b, WEIGHTS.op4_weight_scale, [0.03049509, 0.032392085], [-128, -128], [-128, 127], WEIGHTS.op4_multiplier, WEIGHTS.op4_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op5_w, WEIGHTS.op5_b, WEIGHTS.op5_weight_scale, [0.032392085, 0.04033311], [-128, -128], [-128, 127], WEIGHTS.op5_multiplier, WEIGHTS.op5_shift),
    int8::Conv2d::frozen(WEIGHTS.op6_w, WEIGHTS.op6_b, WEIGHTS.op6_weight_scale, [0.04033311, 0.040998254], [-128, -128], [-128, 127], WEIGHTS.op6_multiplier, WEIGHTS.op6_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op7_w, WEIGHTS.op7_b, WEIGHTS.op7_weight_scale, [0.040998254, 0.02860599], [-128, -128], [-128, 127], WEIGHTS.op7_multiplier, WEIGHTS.op7_shift),
    int8::Conv2d::frozen(WEIGHTS.op8_w, WEIGHTS.op8_b, WEIGHTS.op8_weight_scale, [0.02860599, 0.031228177], [-128, -128], [-128, 127], WEIGHTS.op8_multiplier, WEIGHTS.op8_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op9_w, WEIGHTS.op9_b, WEIGHTS.op9_weight_scale, [0.031228177, 0.031562157], [-128, -128], [-128, 127], WEIGHTS.op9_multiplier, WEIGHTS.op9_shift),
    int8::Conv2d::frozen(WEIGHTS.op10_w, WEIGHTS.op10_b, WEIGHTS.op10_weight_scale, [0.031562157, 0.029660074], [-128, -128], [-128, 127], WEIGHTS.op10_multiplier, WEIGHTS.op10_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op11_w, WEIGHTS.op11_b, WEIGHTS.op11_weight_scale, [0.029660074, 0.032426644], [-128, -128], [-128, 127], WEIGHTS.op11_multiplier, WEIGHTS.op11_shift),
    int8::Conv2d::frozen(WEIGHTS.op12_w, WEIGHTS.op12_b, WEIGHTS.op12_weight_scale, [0.032426644, 0.030614037], [-128, -128], [-128, 127], WEIGHTS.op12_multiplier, WEIGHTS.op12_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op13_w, WEIGHTS.op13_b, WEIGHTS.op13_weight_scale, [0.030614037, 0.029680492], [-128, -128], [-128, 127], WEIGHTS.op13_multiplier, WEIGHTS.op13_shift),
    int8::Conv2d::frozen(WEIGHTS.op14_w, WEIGHTS.op14_b, WEIGHTS.op14_weight_scale, [0.029680492, 0.023882737], [-128, -128], [-128, 127], WEIGHTS.op14_multiplier, WEIGHTS.op14_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op15_w, WEIGHTS.op15_b, WEIGHTS.op15_weight_scale, [0.023882737, 0.036541265], [-128, -128], [-128, 127], WEIGHTS.op15_multiplier, WEIGHTS.op15_shift),
    int8::Conv2d::frozen(WEIGHTS.op16_w, WEIGHTS.op16_b, WEIGHTS.op16_weight_scale, [0.036541265, 0.036499977], [-128, -128], [-128, 127], WEIGHTS.op16_multiplier, WEIGHTS.op16_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op17_w, WEIGHTS.op17_b, WEIGHTS.op17_weight_scale, [0.036499977, 0.03781039], [-128, -128], [-128, 127], WEIGHTS.op17_multiplier, WEIGHTS.op17_shift),
    int8::Conv2d::frozen(WEIGHTS.op18_w, WEIGHTS.op18_b, WEIGHTS.op18_weight_scale, [0.03781039, 0.020604433], [-128, -128], [-128, 127], WEIGHTS.op18_multiplier, WEIGHTS.op18_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op19_w, WEIGHTS.op19_b, WEIGHTS.op19_weight_scale, [0.020604433, 0.033226114], [-128, -128], [-128, 127], WEIGHTS.op19_multiplier, WEIGHTS.op19_shift),
    int8::Conv2d::frozen(WEIGHTS.op20_w, WEIGHTS.op20_b, WEIGHTS.op20_weight_scale, [0.033226114, 0.018733008], [-128, -128], [-128, 127], WEIGHTS.op20_multiplier, WEIGHTS.op20_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op21_w, WEIGHTS.op21_b, WEIGHTS.op21_weight_scale, [0.018733008, 0.03412833], [-128, -128], [-128, 127], WEIGHTS.op21_multiplier, WEIGHTS.op21_shift),
    int8::Conv2d::frozen(WEIGHTS.op22_w, WEIGHTS.op22_b, WEIGHTS.op22_weight_scale, [0.03412833, 0.01888164], [-128, -128], [-128, 127], WEIGHTS.op22_multiplier, WEIGHTS.op22_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op23_w, WEIGHTS.op23_b, WEIGHTS.op23_weight_scale, [0.01888164, 0.025280558], [-128, -128], [-128, 127], WEIGHTS.op23_multiplier, WEIGHTS.op23_shift),
    int8::Conv2d::frozen(WEIGHTS.op24_w, WEIGHTS.op24_b, WEIGHTS.op24_weight_scale, [0.025280558, 0.021837972], [-128, -128], [-128, 127], WEIGHTS.op24_multiplier, WEIGHTS.op24_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op25_w, WEIGHTS.op25_b, WEIGHTS.op25_weight_scale, [0.021837972, 0.029626124], [-128, -128], [-128, 127], WEIGHTS.op25_multiplier, WEIGHTS.op25_shift),
    int8::Conv2d::frozen(WEIGHTS.op26_w, WEIGHTS.op26_b, WEIGHTS.op26_weight_scale, [0.029626124, 0.015656913], [-128, -128], [-128, 127], WEIGHTS.op26_multiplier, WEIGHTS.op26_shift),
    int8::GlobalAvgPool::frozen([-128, 127]),
    int8::Affine::frozen(WEIGHTS.op29_w, WEIGHTS.op29_b, WEIGHTS.op29_weight_scale, [0.015656913, 0.014636219], [-128, 0, -5], [-128, 127], WEIGHTS.op29_multiplier, WEIGHTS.op29_shift, WEIGHTS.op29_double_multiplier, [1]),
    int8::Softmax::frozen([2011586560, 20, -1984], [1.0, 0.014636219]),
];

/// [`NET`]'s output for one input, its rows on the stack (every
/// intermediate row of the net at once): no heap.
pub fn scores(x: &Input) -> Output {
    let mut y = typenet::Batch::<Output, typenet::Const<1>>::default();
    <NetFrozen as typenet::Layer<Input>>::infer(&NET, typenet::Batch::one(x), &mut y);
    y[0]
}

/// The index of the highest output for one input.
pub fn classify(x: &Input) -> usize {
    typenet::argmax(&scores(x))
}

/// The softmax's probabilities for one input (its codes at TFLite's fixed
/// output quantization, scale 1/256 and zero point −128).
pub fn probabilities(x: &Input) -> [f32; OUTPUT] {
    scores(x).map(|q| typenet::quant::dequantize(q, typenet::int8::SOFTMAX_OUTPUT))
}
