// A typenet net of the TensorFlow Lite model of 16 operators, written by
// typenet::io::tflite::baked_rust_source: the net's type (the compiler checks the
// graph as it checks a hand-written one) and its weights as a static. Write it
// again from the model rather than editing it.

use typenet::int8::{self, Same};
use typenet::Image;

/// The net, layer by layer, with the operators of the file each computes.
pub type Net = typenet::Net![
    Image<i8, 3, 32, 32> =>
    int8::Conv2d<3, 16, 3, 3, 1, 1, Same>, // operator 0: 16 × 32 × 32
    int8::Residual<typenet::Chain![ // operators 1–3: 16 × 32 × 32
        int8::Conv2d<16, 16, 3, 3, 1, 1, Same>, // operator 1: 16 × 32 × 32
        int8::Conv2d<16, 16, 3, 3, 1, 1, Same>, // operator 2: 16 × 32 × 32
    ]>,
    int8::Sum< // operators 4–7: 32 × 16 × 16
        typenet::Chain![
            int8::Conv2d<16, 32, 3, 3, 2, 2, Same>, // operator 4: 32 × 16 × 16
            int8::Conv2d<32, 32, 3, 3, 1, 1, Same>, // operator 5: 32 × 16 × 16
        ],
        int8::Conv2d<16, 32, 1, 1, 2, 2, Same>, // operator 6: 32 × 16 × 16
    >,
    int8::Sum< // operators 8–11: 64 × 8 × 8
        typenet::Chain![
            int8::Conv2d<32, 64, 3, 3, 2, 2, Same>, // operator 8: 64 × 8 × 8
            int8::Conv2d<64, 64, 3, 3, 1, 1, Same>, // operator 9: 64 × 8 × 8
        ],
        int8::Conv2d<32, 64, 1, 1, 2, 2, Same>, // operator 10: 64 × 8 × 8
    >,
    int8::GlobalAvgPool, // operator 12: 64
    int8::Affine<[i8; 64], 10>, // operator 14: 10
    int8::Softmax<10>, // operator 15: 10
];

/// The rows the net reads: one input.
pub type Input = Image<i8, 3, 32, 32>;

/// The rows the net writes: one output.
pub type Output = [i8; 10];

/// Values per input (TFLite's input tensor is [1, 32, 32, 3]).
pub const INPUT: usize = 3072;

/// Values per output.
pub const OUTPUT: usize = 10;

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
    int8::Conv2d<3, 16, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 0: 16 × 32 × 32
    int8::Residual<typenet::Chain![ // operators 1–3: 16 × 32 × 32
        int8::Conv2d<16, 16, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 1: 16 × 32 × 32
        int8::Conv2d<16, 16, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 2: 16 × 32 × 32
    ]>,
    int8::Sum< // operators 4–7: 32 × 16 × 16
        typenet::Chain![
            int8::Conv2d<16, 32, 3, 3, 2, 2, Same, typenet::Frozen>, // operator 4: 32 × 16 × 16
            int8::Conv2d<32, 32, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 5: 32 × 16 × 16
        ],
        int8::Conv2d<16, 32, 1, 1, 2, 2, Same, typenet::Frozen>, // operator 6: 32 × 16 × 16
    >,
    int8::Sum< // operators 8–11: 64 × 8 × 8
        typenet::Chain![
            int8::Conv2d<32, 64, 3, 3, 2, 2, Same, typenet::Frozen>, // operator 8: 64 × 8 × 8
            int8::Conv2d<64, 64, 3, 3, 1, 1, Same, typenet::Frozen>, // operator 9: 64 × 8 × 8
        ],
        int8::Conv2d<32, 64, 1, 1, 2, 2, Same, typenet::Frozen>, // operator 10: 64 × 8 × 8
    >,
    int8::GlobalAvgPool, // operator 12: 64
    int8::Affine<[i8; 64], 10, typenet::Frozen>, // operator 14: 10
    int8::Softmax<10>, // operator 15: 10
];

/// The weights and per-channel quantization of every layer, as the
/// weights file holds them (little-endian).
#[repr(C)]
struct Weights {
    op0_b: [i32; 16],
    op0_weight_scale: [f32; 16],
    op0_multiplier: [i32; 16],
    op0_shift: [i32; 16],
    op1_b: [i32; 16],
    op1_weight_scale: [f32; 16],
    op1_multiplier: [i32; 16],
    op1_shift: [i32; 16],
    op2_b: [i32; 16],
    op2_weight_scale: [f32; 16],
    op2_multiplier: [i32; 16],
    op2_shift: [i32; 16],
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
    op14_b: [i32; 10],
    op14_weight_scale: [f32; 10],
    op14_multiplier: [i32; 10],
    op14_shift: [i32; 10],
    op14_double_multiplier: [[i32; 3]; 10],
    op0_w: [[[[i8; 3]; 3]; 3]; 16],
    op1_w: [[[[i8; 3]; 3]; 16]; 16],
    op2_w: [[[[i8; 3]; 3]; 16]; 16],
    op4_w: [[[[i8; 3]; 3]; 16]; 32],
    op5_w: [[[[i8; 3]; 3]; 32]; 32],
    op6_w: [[[[i8; 1]; 1]; 16]; 32],
    op8_w: [[[[i8; 3]; 3]; 32]; 64],
    op9_w: [[[[i8; 3]; 3]; 64]; 64],
    op10_w: [[[[i8; 1]; 1]; 32]; 64],
    op14_w: [[i8; 64]; 10],
}

const _: () = assert!(cfg!(target_endian = "little"), "the weights file is little-endian");

// SAFETY: `Weights` is `repr(C)` over arrays of `i32`, `f32` and `i8` (the
// 4-byte ones first: no padding), of exactly the file's 83016 bytes (a
// transmute between types of two sizes does not compile); every bit
// pattern is a valid `i8`, `i32` and `f32`.
const WEIGHTS: Weights = unsafe { core::mem::transmute::<[u8; 83016], Weights>(*include_bytes!("ic_baked.bin")) };

/// The net with the weights of the file it was written from, a `static`:
/// no file to read, no heap.
pub static NET: NetFrozen = typenet::chain![
    int8::Conv2d::frozen(WEIGHTS.op0_w, WEIGHTS.op0_b, WEIGHTS.op0_weight_scale, [1.0, 0.03939355], [-128, -128], [-128, 127], WEIGHTS.op0_multiplier, WEIGHTS.op0_shift),
    int8::Residual::frozen(
        typenet::chain![
            int8::Conv2d::frozen(WEIGHTS.op1_w, WEIGHTS.op1_b, WEIGHTS.op1_weight_scale, [0.03939355, 0.076293156], [-128, -128], [-128, 127], WEIGHTS.op1_multiplier, WEIGHTS.op1_shift),
            int8::Conv2d::frozen(WEIGHTS.op2_w, WEIGHTS.op2_b, WEIGHTS.op2_weight_scale, [0.076293156, 0.10419496], [-128, 4], [-128, 127], WEIGHTS.op2_multiplier, WEIGHTS.op2_shift),
        ],
        int8::AddQuantized::frozen([-128, 4, -128], [1623821475, 1073741824, 1098017566], [-2, 0, -17], [-128, 127], [0.03939355, 0.10419496, 0.050945673]),
    ),
    int8::Sum::frozen(
        typenet::chain![
            int8::Conv2d::frozen(WEIGHTS.op4_w, WEIGHTS.op4_b, WEIGHTS.op4_weight_scale, [0.050945673, 0.04567283], [-128, -128], [-128, 127], WEIGHTS.op4_multiplier, WEIGHTS.op4_shift),
            int8::Conv2d::frozen(WEIGHTS.op5_w, WEIGHTS.op5_b, WEIGHTS.op5_weight_scale, [0.04567283, 0.11311884], [-128, 4], [-128, 127], WEIGHTS.op5_multiplier, WEIGHTS.op5_shift),
        ],
        int8::Conv2d::frozen(WEIGHTS.op6_w, WEIGHTS.op6_b, WEIGHTS.op6_weight_scale, [0.050945673, 0.044761427], [-128, -17], [-128, 127], WEIGHTS.op6_multiplier, WEIGHTS.op6_shift),
        int8::AddQuantized::frozen([4, -17, -128], [1073741824, 1699529983, 1140768826], [0, -2, -17], [-128, 127], [0.11311884, 0.044761427, 0.053236216]),
    ),
    int8::Sum::frozen(
        typenet::chain![
            int8::Conv2d::frozen(WEIGHTS.op8_w, WEIGHTS.op8_b, WEIGHTS.op8_weight_scale, [0.053236216, 0.02845018], [-128, -128], [-128, 127], WEIGHTS.op8_multiplier, WEIGHTS.op8_shift),
            int8::Conv2d::frozen(WEIGHTS.op9_w, WEIGHTS.op9_b, WEIGHTS.op9_weight_scale, [0.02845018, 0.21724364], [-128, -2], [-128, 127], WEIGHTS.op9_multiplier, WEIGHTS.op9_shift),
        ],
        int8::Conv2d::frozen(WEIGHTS.op10_w, WEIGHTS.op10_b, WEIGHTS.op10_weight_scale, [0.053236216, 0.083858304], [-128, 38], [-128, 127], WEIGHTS.op10_multiplier, WEIGHTS.op10_shift),
        int8::AddQuantized::frozen([-2, 38, -128], [1073741824, 1657902019, 1835721671], [0, -2, -18], [-128, 127], [0.21724364, 0.083858304, 0.12706915]),
    ),
    int8::GlobalAvgPool::frozen([-128, 127]),
    int8::Affine::frozen(WEIGHTS.op14_w, WEIGHTS.op14_b, WEIGHTS.op14_weight_scale, [0.12706915, 0.17185351], [-128, 0, 24], [-128, 127], WEIGHTS.op14_multiplier, WEIGHTS.op14_shift, WEIGHTS.op14_double_multiplier, [1]),
    int8::Softmax::frozen([1476210432, 24, -124], [1.0, 0.17185351]),
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
