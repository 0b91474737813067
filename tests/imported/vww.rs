// A typenet net of the TensorFlow Lite model of 31 operators, written by
// typenet::io::tflite::rust_source: the net's type (the compiler checks the
// graph as it checks a hand-written one) and typed entry points. Write it
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

/// The net with the weights and quantization of `bytes`, a `.tflite` file
/// of this graph.
pub fn load(bytes: &[u8]) -> Result<Net, typenet::io::ModelError> {
    let mut net = Net::default();
    typenet::io::from_tflite_bytes(&mut net, bytes)?;
    Ok(net)
}

/// The net's output for one input.
pub fn scores(net: &Net, x: &Input) -> Output {
    let mut y = typenet::Batch::zeros(1);
    <Net as typenet::Layer<Input>>::infer(net, &typenet::Batch::from_rows(vec![*x]), &mut y);
    y[0]
}

/// The index of the highest output for one input.
pub fn classify(net: &Net, x: &Input) -> usize {
    typenet::argmax(&scores(net, x))
}

/// The softmax's probabilities for one input (its codes at TFLite's fixed
/// output quantization, scale 1/256 and zero point −128).
pub fn probabilities(net: &Net, x: &Input) -> [f32; OUTPUT] {
    scores(net, x).map(|q| typenet::quant::dequantize(q, typenet::int8::SOFTMAX_OUTPUT))
}
