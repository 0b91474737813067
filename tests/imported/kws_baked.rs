// A typenet net of the TensorFlow Lite model of 13 operators, written by
// typenet::io::tflite::baked_rust_source: the net's type (the compiler checks the
// graph as it checks a hand-written one) and its weights as a static. Write it
// again from the model rather than editing it.

use typenet::int8::{self, Same};
use typenet::Image;

/// The net, layer by layer, with the operators of the file each computes.
pub type Net = typenet::Net![
    Image<i8, 1, 49, 10> =>
    int8::Conv2d<1, 64, 10, 4, 2, 2, Same>, // operator 0: 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, // operator 1: 64 × 25 × 5
    int8::Conv2d<64, 64, 1, 1>, // operator 2: 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, // operator 3: 64 × 25 × 5
    int8::Conv2d<64, 64, 1, 1>, // operator 4: 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, // operator 5: 64 × 25 × 5
    int8::Conv2d<64, 64, 1, 1>, // operator 6: 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same>, // operator 7: 64 × 25 × 5
    int8::Conv2d<64, 64, 1, 1>, // operator 8: 64 × 25 × 5
    int8::GlobalAvgPool, // operator 9: 64
    int8::Affine<[i8; 64], 12>, // operator 11: 12
    int8::Softmax<12>, // operator 12: 12
];

/// The rows the net reads: one input.
pub type Input = Image<i8, 1, 49, 10>;

/// The rows the net writes: one output.
pub type Output = [i8; 12];

/// Values per input (TFLite's input tensor is [1, 49, 10, 1]).
pub const INPUT: usize = 490;

/// Values per output.
pub const OUTPUT: usize = 12;

/// One input from TFLite's `H × W × C` order (the model's input tensor)
/// to typenet's `C × H × W`; `None` unless `nhwc` holds [`INPUT`] values.
pub fn row(nhwc: &[i8]) -> Option<Input> {
    if nhwc.len() != INPUT {
        return None;
    }
    let mut x = <Input as typenet::Row>::ZERO;
    for (pixel, values) in nhwc.chunks_exact(1).enumerate() {
        for (channel, &v) in x.0.iter_mut().zip(values) {
            channel.as_flattened_mut()[pixel] = v;
        }
    }
    Some(x)
}

/// The net as baked: the same layers, their weights in `Frozen` storage.
pub type NetFrozen = typenet::Chain![
    int8::Conv2d<1, 64, 10, 4, 2, 2, Same, typenet::Frozen>, // operator 0: 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 1: 64 × 25 × 5
    int8::Conv2d<64, 64, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 2: 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 3: 64 × 25 × 5
    int8::Conv2d<64, 64, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 4: 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 5: 64 × 25 × 5
    int8::Conv2d<64, 64, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 6: 64 × 25 × 5
    int8::DepthwiseConv2d<64, 64, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 7: 64 × 25 × 5
    int8::Conv2d<64, 64, 1, 1, 1, 1, int8::Valid, typenet::Frozen>, // operator 8: 64 × 25 × 5
    int8::GlobalAvgPool, // operator 9: 64
    int8::Affine<[i8; 64], 12, typenet::Frozen>, // operator 11: 12
    int8::Softmax<12>, // operator 12: 12
];

/// The weights and per-channel quantization of every layer, as the
/// weights file holds them (little-endian).
#[repr(C)]
struct Weights {
    op0_b: [i32; 64],
    op0_weight_scale: [f32; 64],
    op0_multiplier: [i32; 64],
    op0_shift: [i32; 64],
    op1_b: [i32; 64],
    op1_weight_scale: [f32; 64],
    op1_multiplier: [i32; 64],
    op1_shift: [i32; 64],
    op2_b: [i32; 64],
    op2_weight_scale: [f32; 64],
    op2_multiplier: [i32; 64],
    op2_shift: [i32; 64],
    op3_b: [i32; 64],
    op3_weight_scale: [f32; 64],
    op3_multiplier: [i32; 64],
    op3_shift: [i32; 64],
    op4_b: [i32; 64],
    op4_weight_scale: [f32; 64],
    op4_multiplier: [i32; 64],
    op4_shift: [i32; 64],
    op5_b: [i32; 64],
    op5_weight_scale: [f32; 64],
    op5_multiplier: [i32; 64],
    op5_shift: [i32; 64],
    op6_b: [i32; 64],
    op6_weight_scale: [f32; 64],
    op6_multiplier: [i32; 64],
    op6_shift: [i32; 64],
    op7_b: [i32; 64],
    op7_weight_scale: [f32; 64],
    op7_multiplier: [i32; 64],
    op7_shift: [i32; 64],
    op8_b: [i32; 64],
    op8_weight_scale: [f32; 64],
    op8_multiplier: [i32; 64],
    op8_shift: [i32; 64],
    op11_b: [i32; 12],
    op11_weight_scale: [f32; 12],
    op11_multiplier: [i32; 12],
    op11_shift: [i32; 12],
    op11_double_multiplier: [[i32; 3]; 12],
    op0_w: [[[[i8; 4]; 10]; 1]; 64],
    op1_w: [[[[i8; 3]; 3]; 1]; 64],
    op2_w: [[[[i8; 1]; 1]; 64]; 64],
    op3_w: [[[[i8; 3]; 3]; 1]; 64],
    op4_w: [[[[i8; 1]; 1]; 64]; 64],
    op5_w: [[[[i8; 3]; 3]; 1]; 64],
    op6_w: [[[[i8; 1]; 1]; 64]; 64],
    op7_w: [[[[i8; 3]; 3]; 1]; 64],
    op8_w: [[[[i8; 1]; 1]; 64]; 64],
    op11_w: [[i8; 64]; 12],
}

const _: () = assert!(cfg!(target_endian = "little"), "the weights file is little-endian");

// SAFETY: `Weights` is `repr(C)` over arrays of `i32`, `f32` and `i8` (the
// 4-byte ones first: no padding), of exactly the file's 31568 bytes (a
// transmute between types of two sizes does not compile); every bit
// pattern is a valid `i8`, `i32` and `f32`.
const WEIGHTS: Weights = unsafe { core::mem::transmute::<[u8; 31568], Weights>(*include_bytes!("kws_baked.bin")) };

/// The net with the weights of the file it was written from, a `static`:
/// no file to read, no heap.
pub static NET: NetFrozen = typenet::chain![
    int8::Conv2d::frozen(WEIGHTS.op0_w, WEIGHTS.op0_b, WEIGHTS.op0_weight_scale, [0.5847029, 0.0787254], [83, -128], [-128, 127], WEIGHTS.op0_multiplier, WEIGHTS.op0_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op1_w, WEIGHTS.op1_b, WEIGHTS.op1_weight_scale, [0.0787254, 0.08281501], [-128, -128], [-128, 127], WEIGHTS.op1_multiplier, WEIGHTS.op1_shift),
    int8::Conv2d::frozen(WEIGHTS.op2_w, WEIGHTS.op2_b, WEIGHTS.op2_weight_scale, [0.08281501, 0.060025696], [-128, -128], [-128, 127], WEIGHTS.op2_multiplier, WEIGHTS.op2_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op3_w, WEIGHTS.op3_b, WEIGHTS.op3_weight_scale, [0.060025696, 0.062760025], [-128, -128], [-128, 127], WEIGHTS.op3_multiplier, WEIGHTS.op3_shift),
    int8::Conv2d::frozen(WEIGHTS.op4_w, WEIGHTS.op4_b, WEIGHTS.op4_weight_scale, [0.062760025, 0.037401788], [-128, -128], [-128, 127], WEIGHTS.op4_multiplier, WEIGHTS.op4_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op5_w, WEIGHTS.op5_b, WEIGHTS.op5_weight_scale, [0.037401788, 0.045901064], [-128, -128], [-128, 127], WEIGHTS.op5_multiplier, WEIGHTS.op5_shift),
    int8::Conv2d::frozen(WEIGHTS.op6_w, WEIGHTS.op6_b, WEIGHTS.op6_weight_scale, [0.045901064, 0.032970764], [-128, -128], [-128, 127], WEIGHTS.op6_multiplier, WEIGHTS.op6_shift),
    int8::DepthwiseConv2d::frozen(WEIGHTS.op7_w, WEIGHTS.op7_b, WEIGHTS.op7_weight_scale, [0.032970764, 0.046844043], [-128, -128], [-128, 127], WEIGHTS.op7_multiplier, WEIGHTS.op7_shift),
    int8::Conv2d::frozen(WEIGHTS.op8_w, WEIGHTS.op8_b, WEIGHTS.op8_weight_scale, [0.046844043, 0.08023616], [-128, -128], [-128, 127], WEIGHTS.op8_multiplier, WEIGHTS.op8_shift),
    int8::GlobalAvgPool::frozen([-128, 127]),
    int8::Affine::frozen(WEIGHTS.op11_w, WEIGHTS.op11_b, WEIGHTS.op11_weight_scale, [0.08023616, 0.14469251], [-128, 0, 14], [-128, 127], WEIGHTS.op11_multiplier, WEIGHTS.op11_shift, WEIGHTS.op11_double_multiplier, [1]),
    int8::Softmax::frozen([1242899200, 24, -124], [1.0, 0.14469251]),
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
