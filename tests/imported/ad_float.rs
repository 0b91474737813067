// A typenet net of the TensorFlow Lite model of 10 operators, written by
// typenet::io::tflite::rust_source: the net's type (the compiler checks the
// graph as it checks a hand-written one) and typed entry points. Write it
// again from the model rather than editing it.

/// The net, layer by layer, with the operators of the file each computes.
pub type Net = typenet::Chain![
    typenet::Affine<[f32; 640], 128>, // operator 0: 128
    typenet::Relu, // operator 0: 128
    typenet::Affine<[f32; 128], 128>, // operator 1: 128
    typenet::Relu, // operator 1: 128
    typenet::Affine<[f32; 128], 128>, // operator 2: 128
    typenet::Relu, // operator 2: 128
    typenet::Affine<[f32; 128], 128>, // operator 3: 128
    typenet::Relu, // operator 3: 128
    typenet::Affine<[f32; 128], 8>, // operator 4: 8
    typenet::Relu, // operator 4: 8
    typenet::Affine<[f32; 8], 128>, // operator 5: 128
    typenet::Relu, // operator 5: 128
    typenet::Affine<[f32; 128], 128>, // operator 6: 128
    typenet::Relu, // operator 6: 128
    typenet::Affine<[f32; 128], 128>, // operator 7: 128
    typenet::Relu, // operator 7: 128
    typenet::Affine<[f32; 128], 128>, // operator 8: 128
    typenet::Relu, // operator 8: 128
    typenet::Affine<[f32; 128], 640>, // operator 9: 640
];

/// The rows the net reads: one input.
pub type Input = [f32; 640];

/// The rows the net writes: one output.
pub type Output = [f32; 640];

/// Values per input (TFLite's input tensor is [1, 640]).
pub const INPUT: usize = 640;

/// Values per output.
pub const OUTPUT: usize = 640;

/// One input from the model's input tensor; `None` unless `values` holds
/// [`INPUT`] values.
pub fn row(values: &[f32]) -> Option<Input> {
    values.try_into().ok()
}

/// The net with the weights and quantization of `bytes`, a `.tflite` file
/// of this graph.
pub fn load(bytes: &[u8]) -> Result<Net, typenet::io::ModelError> {
    let mut net: Net = typenet::chain![
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
        typenet::Relu,
        typenet::Affine::zeros(),
    ];
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
