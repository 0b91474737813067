// A typenet net of the TensorFlow Lite model of 13 operators, written by
// typenet::io::tflite::rust_source: the net's type (the compiler checks the
// graph as it checks a hand-written one) and typed entry points. Write it
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
