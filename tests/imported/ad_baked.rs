// A typenet net of the TensorFlow Lite model of 10 operators, written by
// typenet::io::tflite::baked_rust_source: the net's type (the compiler checks the
// graph as it checks a hand-written one) and its weights as a static. Write it
// again from the model rather than editing it.

use typenet::int8;

/// The net, layer by layer, with the operators of the file each computes.
pub type Net = typenet::Chain![
    int8::Affine<[i8; 640], 128>, // operator 0: 128
    int8::Affine<[i8; 128], 128>, // operator 1: 128
    int8::Affine<[i8; 128], 128>, // operator 2: 128
    int8::Affine<[i8; 128], 128>, // operator 3: 128
    int8::Affine<[i8; 128], 8>, // operator 4: 8
    int8::Affine<[i8; 8], 128>, // operator 5: 128
    int8::Affine<[i8; 128], 128>, // operator 6: 128
    int8::Affine<[i8; 128], 128>, // operator 7: 128
    int8::Affine<[i8; 128], 128>, // operator 8: 128
    int8::Affine<[i8; 128], 640>, // operator 9: 640
];

/// The rows the net reads: one input.
pub type Input = [i8; 640];

/// The rows the net writes: one output.
pub type Output = [i8; 640];

/// Values per input (TFLite's input tensor is [1, 640]).
pub const INPUT: usize = 640;

/// Values per output.
pub const OUTPUT: usize = 640;

/// One input from the model's input tensor; `None` unless `values` holds
/// [`INPUT`] values.
pub fn row(values: &[i8]) -> Option<Input> {
    values.try_into().ok()
}

/// The net as baked: the same layers, their weights in `Frozen` storage.
pub type NetFrozen = typenet::Chain![
    int8::Affine<[i8; 640], 128, typenet::Frozen>, // operator 0: 128
    int8::Affine<[i8; 128], 128, typenet::Frozen>, // operator 1: 128
    int8::Affine<[i8; 128], 128, typenet::Frozen>, // operator 2: 128
    int8::Affine<[i8; 128], 128, typenet::Frozen>, // operator 3: 128
    int8::Affine<[i8; 128], 8, typenet::Frozen>, // operator 4: 8
    int8::Affine<[i8; 8], 128, typenet::Frozen>, // operator 5: 128
    int8::Affine<[i8; 128], 128, typenet::Frozen>, // operator 6: 128
    int8::Affine<[i8; 128], 128, typenet::Frozen>, // operator 7: 128
    int8::Affine<[i8; 128], 128, typenet::Frozen>, // operator 8: 128
    int8::Affine<[i8; 128], 640, typenet::Frozen>, // operator 9: 640
];

/// The weights and per-channel quantization of every layer, as the
/// weights file holds them (little-endian).
#[repr(C)]
struct Weights {
    op0_b: [i32; 128],
    op0_weight_scale: [f32; 128],
    op0_multiplier: [i32; 128],
    op0_shift: [i32; 128],
    op0_double_multiplier: [[i32; 3]; 128],
    op1_b: [i32; 128],
    op1_weight_scale: [f32; 128],
    op1_multiplier: [i32; 128],
    op1_shift: [i32; 128],
    op1_double_multiplier: [[i32; 3]; 128],
    op2_b: [i32; 128],
    op2_weight_scale: [f32; 128],
    op2_multiplier: [i32; 128],
    op2_shift: [i32; 128],
    op2_double_multiplier: [[i32; 3]; 128],
    op3_b: [i32; 128],
    op3_weight_scale: [f32; 128],
    op3_multiplier: [i32; 128],
    op3_shift: [i32; 128],
    op3_double_multiplier: [[i32; 3]; 128],
    op4_b: [i32; 8],
    op4_weight_scale: [f32; 8],
    op4_multiplier: [i32; 8],
    op4_shift: [i32; 8],
    op4_double_multiplier: [[i32; 3]; 8],
    op5_b: [i32; 128],
    op5_weight_scale: [f32; 128],
    op5_multiplier: [i32; 128],
    op5_shift: [i32; 128],
    op5_double_multiplier: [[i32; 3]; 128],
    op6_b: [i32; 128],
    op6_weight_scale: [f32; 128],
    op6_multiplier: [i32; 128],
    op6_shift: [i32; 128],
    op6_double_multiplier: [[i32; 3]; 128],
    op7_b: [i32; 128],
    op7_weight_scale: [f32; 128],
    op7_multiplier: [i32; 128],
    op7_shift: [i32; 128],
    op7_double_multiplier: [[i32; 3]; 128],
    op8_b: [i32; 128],
    op8_weight_scale: [f32; 128],
    op8_multiplier: [i32; 128],
    op8_shift: [i32; 128],
    op8_double_multiplier: [[i32; 3]; 128],
    op9_b: [i32; 640],
    op9_weight_scale: [f32; 640],
    op9_multiplier: [i32; 640],
    op9_shift: [i32; 640],
    op9_double_multiplier: [[i32; 3]; 640],
    op0_w: [[i8; 640]; 128],
    op1_w: [[i8; 128]; 128],
    op2_w: [[i8; 128]; 128],
    op3_w: [[i8; 128]; 128],
    op4_w: [[i8; 128]; 8],
    op5_w: [[i8; 8]; 128],
    op6_w: [[i8; 128]; 128],
    op7_w: [[i8; 128]; 128],
    op8_w: [[i8; 128]; 128],
    op9_w: [[i8; 128]; 640],
}

const _: () = assert!(cfg!(target_endian = "little"), "the weights file is little-endian");

// SAFETY: `Weights` is `repr(C)` over arrays of `i32`, `f32` and `i8` (the
// 4-byte ones first: no padding), of exactly the file's 311008 bytes (a
// transmute between types of two sizes does not compile); every bit
// pattern is a valid `i8`, `i32` and `f32`.
const WEIGHTS: Weights = unsafe { core::mem::transmute::<[u8; 311008], Weights>(*include_bytes!("ad_baked.bin")) };

/// The net with the weights of the file it was written from, a `static`:
/// no file to read, no heap.
pub static NET: NetFrozen = typenet::chain![
    int8::Affine::frozen(WEIGHTS.op0_w, WEIGHTS.op0_b, WEIGHTS.op0_weight_scale, [0.39101523, 0.04945913], [89, 0, -128], [-128, 127], WEIGHTS.op0_multiplier, WEIGHTS.op0_shift, WEIGHTS.op0_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op1_w, WEIGHTS.op1_b, WEIGHTS.op1_weight_scale, [0.04945913, 0.035405684], [-128, 0, -128], [-128, 127], WEIGHTS.op1_multiplier, WEIGHTS.op1_shift, WEIGHTS.op1_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op2_w, WEIGHTS.op2_b, WEIGHTS.op2_weight_scale, [0.035405684, 0.013730743], [-128, 0, -128], [-128, 127], WEIGHTS.op2_multiplier, WEIGHTS.op2_shift, WEIGHTS.op2_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op3_w, WEIGHTS.op3_b, WEIGHTS.op3_weight_scale, [0.013730743, 0.023603793], [-128, 0, -128], [-128, 127], WEIGHTS.op3_multiplier, WEIGHTS.op3_shift, WEIGHTS.op3_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op4_w, WEIGHTS.op4_b, WEIGHTS.op4_weight_scale, [0.023603793, 0.02492948], [-128, 0, -128], [-128, 127], WEIGHTS.op4_multiplier, WEIGHTS.op4_shift, WEIGHTS.op4_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op5_w, WEIGHTS.op5_b, WEIGHTS.op5_weight_scale, [0.02492948, 0.03175617], [-128, 0, -128], [-128, 127], WEIGHTS.op5_multiplier, WEIGHTS.op5_shift, WEIGHTS.op5_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op6_w, WEIGHTS.op6_b, WEIGHTS.op6_weight_scale, [0.03175617, 0.032071162], [-128, 0, -128], [-128, 127], WEIGHTS.op6_multiplier, WEIGHTS.op6_shift, WEIGHTS.op6_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op7_w, WEIGHTS.op7_b, WEIGHTS.op7_weight_scale, [0.032071162, 0.028295973], [-128, 0, -128], [-128, 127], WEIGHTS.op7_multiplier, WEIGHTS.op7_shift, WEIGHTS.op7_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op8_w, WEIGHTS.op8_b, WEIGHTS.op8_weight_scale, [0.028295973, 0.02479089], [-128, 0, -128], [-128, 127], WEIGHTS.op8_multiplier, WEIGHTS.op8_shift, WEIGHTS.op8_double_multiplier, [1]),
    int8::Affine::frozen(WEIGHTS.op9_w, WEIGHTS.op9_b, WEIGHTS.op9_weight_scale, [0.02479089, 0.36449847], [-128, 0, 96], [-128, 127], WEIGHTS.op9_multiplier, WEIGHTS.op9_shift, WEIGHTS.op9_double_multiplier, [1]),
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
