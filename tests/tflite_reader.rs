//! The `.tflite` reader on the MLPerf Tiny reference models, and on
//! malformed files: every truncation, random byte flips, crafted offsets
//! and a file that points many offsets at one object. A malformed file is
//! an error, never a panic or a hang.

mod tinyml;

use rand::{RngExt, SeedableRng, rngs::StdRng};
use typenet::io::tflite::{self, Activation, BuiltinOperator as Op, BuiltinOptions, TensorType};
use typenet::quant::Padding;

fn ops(model: &tflite::Model<'_>) -> Vec<Op> {
    model.subgraphs[0].operators.iter().map(|o| o.builtin).collect()
}

#[test]
fn the_reference_models_have_the_operators_of_the_readme() {
    use Op as O;
    let ds_block = [O::DEPTHWISE_CONV_2D, O::CONV_2D];
    let mut kws = vec![O::CONV_2D];
    kws.extend(ds_block.iter().cycle().take(8));
    kws.extend([O::AVERAGE_POOL_2D, O::RESHAPE, O::FULLY_CONNECTED, O::SOFTMAX]);
    let mut vww = vec![O::CONV_2D];
    vww.extend(ds_block.iter().cycle().take(26));
    vww.extend([O::AVERAGE_POOL_2D, O::RESHAPE, O::FULLY_CONNECTED, O::SOFTMAX]);
    let ad = vec![O::FULLY_CONNECTED; 10];
    for (stem, file) in tinyml::INT8_MODELS.iter().chain(&tinyml::FLOAT_MODELS) {
        let bytes = tinyml::bytes(file);
        let model = tflite::read(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let graph = &model.subgraphs[0];
        let found = ops(&model);
        match *stem {
            "kws" => assert_eq!(found, kws, "{file}"),
            "vww" => assert_eq!(found, vww, "{file}"),
            "ad" => assert_eq!(found, ad, "{file}"),
            _ => {
                assert_eq!(found.len(), 16, "{file}");
                let count = |op| found.iter().filter(|&&o| o == op).count();
                assert_eq!((count(O::CONV_2D), count(O::ADD)), (9, 3), "{file}");
                assert_eq!(
                    found[12..],
                    [O::AVERAGE_POOL_2D, O::RESHAPE, O::FULLY_CONNECTED, O::SOFTMAX],
                    "{file}"
                );
            }
        }
        assert_eq!((graph.inputs.len(), graph.outputs.len()), (1, 1), "{file}");
        for op in &graph.operators {
            assert!(
                !matches!(op.options, BuiltinOptions::None | BuiltinOptions::Other(_)),
                "{file}: {op:?}"
            );
        }
    }
}

#[test]
fn kws_details_match_the_readme() {
    let bytes = tinyml::bytes("kws_ref_model.tflite");
    let model = tflite::read(&bytes).unwrap();
    let graph = &model.subgraphs[0];
    let input = &graph.tensors[graph.inputs[0]];
    assert_eq!(
        (input.shape.as_slice(), input.tensor_type),
        (&[1, 49, 10, 1][..], TensorType::Int8)
    );
    let q = input.quantization.as_ref().unwrap();
    assert!((q.scale[0] - 0.5847).abs() < 1e-4 && q.zero_point == [83], "{q:?}");
    let output = &graph.tensors[graph.outputs[0]];
    let q = output.quantization.as_ref().unwrap();
    assert_eq!(
        (q.scale.as_slice(), q.zero_point.as_slice()),
        (&[1.0 / 256.0][..], &[-128i64][..])
    );

    let first = &graph.operators[0];
    let BuiltinOptions::Conv2d(conv) = first.options else {
        panic!("{first:?}")
    };
    assert_eq!(
        (conv.padding, conv.stride_h, conv.stride_w, conv.activation),
        (Padding::Same, 2, 2, Activation::Relu)
    );
    assert_eq!((conv.dilation_h, conv.dilation_w), (1, 1));
    let weights = &graph.tensors[first.inputs[1].unwrap()];
    assert_eq!(weights.shape, [64, 10, 4, 1]);
    let wq = weights.quantization.as_ref().unwrap();
    assert_eq!((wq.scale.len(), wq.quantized_dimension), (64, 0), "per output channel");
    assert_eq!(model.tensor_i8(weights).unwrap().len(), 64 * 40);
    let bias = &graph.tensors[first.inputs[2].unwrap()];
    assert_eq!(
        (bias.tensor_type, model.tensor_i32(bias).unwrap().len()),
        (TensorType::Int32, 64)
    );
    assert!(model.tensor_i8(bias).is_err(), "the wrong type is an error");
    assert!(model.tensor_i8(input).is_err(), "a computed tensor has no data");

    let BuiltinOptions::DepthwiseConv2d(dw) = graph.operators[1].options else {
        panic!()
    };
    assert_eq!(
        (dw.padding, dw.stride_h, dw.depth_multiplier, dw.activation),
        (Padding::Same, 1, 1, Activation::Relu)
    );
    let dw_weights = &graph.tensors[graph.operators[1].inputs[1].unwrap()];
    assert_eq!(
        (
            dw_weights.shape.as_slice(),
            dw_weights.quantization.as_ref().unwrap().quantized_dimension
        ),
        (&[1, 3, 3, 64][..], 3)
    );
    let BuiltinOptions::Pool2d(pool) = graph.operators[9].options else {
        panic!()
    };
    assert_eq!(
        (pool.padding, pool.filter_height, pool.filter_width, pool.stride_h),
        (Padding::Valid, 25, 5, 25)
    );
    let BuiltinOptions::FullyConnected(fc) = graph.operators[11].options else {
        panic!()
    };
    assert_eq!(
        (fc.activation, fc.keep_num_dims, fc.weights_format),
        (Activation::None, false, tflite::WeightsFormat::Default)
    );
    let BuiltinOptions::Softmax(softmax) = graph.operators[12].options else {
        panic!()
    };
    assert_eq!(softmax.beta, 1.0);
    assert_eq!(
        model
            .operator_codes
            .iter()
            .map(|c| c.builtin.to_string())
            .collect::<Vec<_>>()
            .len(),
        model.operator_codes.len()
    );
}

#[test]
fn ic_residual_additions_and_float_weights() {
    let bytes = tinyml::bytes("pretrainedResnet_quant.tflite");
    let model = tflite::read(&bytes).unwrap();
    let adds: Vec<_> = model.subgraphs[0]
        .operators
        .iter()
        .filter(|o| o.builtin == Op::ADD)
        .collect();
    for add in adds {
        let BuiltinOptions::Add(options) = add.options else {
            panic!()
        };
        assert_eq!(options.activation, Activation::Relu);
        assert_eq!(add.inputs.len(), 2);
    }
    let bytes = tinyml::bytes("ad01_fp32.tflite");
    let model = tflite::read(&bytes).unwrap();
    let graph = &model.subgraphs[0];
    let fc = &graph.operators[0];
    let weights = &graph.tensors[fc.inputs[1].unwrap()];
    assert_eq!(
        (weights.shape.as_slice(), weights.tensor_type),
        (&[128, 640][..], TensorType::Float32)
    );
    assert!(model.tensor_f32(weights).unwrap().iter().all(|w| w.is_finite()));
}

/// Parses `bytes`, which must not panic; returns whether it was accepted.
fn survives(bytes: &[u8]) -> bool {
    match std::panic::catch_unwind(|| tflite::read(bytes).map(|m| m.subgraphs.len())) {
        Ok(result) => result.is_ok(),
        Err(_) => panic!("the reader panicked on a malformed file"),
    }
}

#[test]
fn every_truncation_is_an_error() {
    // Every length for the smallest model (43 kB); every 7th byte for another.
    for (file, step) in [("kws_ref_model_float32.tflite", 1), ("kws_ref_model.tflite", 7)] {
        let bytes = tinyml::bytes(file);
        for len in (0..bytes.len()).step_by(step) {
            assert!(!survives(&bytes[..len]), "{file} cut to {len} bytes was accepted");
        }
        assert!(survives(&bytes));
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let mut rng = StdRng::seed_from_u64(17);
    let original = tinyml::bytes("kws_ref_model.tflite");
    // The tables and vectors TFLite writes sit around the weights; aim half
    // of the flips at the last 6 kB and the first 1 kB, where the structure is.
    let mut accepted = 0;
    for round in 0..4000 {
        let mut bytes = original.clone();
        for _ in 0..rng.random_range(1..8) {
            let at = match round % 3 {
                0 => rng.random_range(0..bytes.len()),
                1 => rng.random_range(bytes.len() - 6000..bytes.len()),
                _ => rng.random_range(0..1024),
            };
            bytes[at] ^= 1 << rng.random_range(0..8);
        }
        accepted += usize::from(survives(&bytes));
    }
    // Flips inside weights leave a valid file: some are accepted, not all.
    assert!(accepted > 0 && accepted < 4000, "{accepted}");
}

#[test]
fn crafted_offsets_never_panic() {
    let mut rng = StdRng::seed_from_u64(18);
    let original = tinyml::bytes("ad01_int8.tflite");
    let len = original.len() as u32;
    let values = [
        0u32,
        1,
        3,
        4,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0xfffffffc,
        len,
        len - 1,
        len - 4,
        len / 2,
    ];
    let structure: Vec<usize> = (0..original.len() / 4)
        .map(|i| i * 4)
        .filter(|&i| i < 2048 || i > original.len() - 8192)
        .collect();
    for _ in 0..6000 {
        let mut bytes = original.clone();
        let at = structure[rng.random_range(0..structure.len())];
        let value = values[rng.random_range(0..values.len())];
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        survives(&bytes);
        // A 16-bit vtable entry made huge or odd.
        let at = structure[rng.random_range(0..structure.len())];
        bytes[at..at + 2].copy_from_slice(&[0xff, 0xff]);
        survives(&bytes);
    }
}

/// A forward flatbuffer writer for hand-made files: tables of 4-byte slots.
struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    fn new() -> Self {
        let mut bytes = vec![0u8; 8];
        bytes[4..8].copy_from_slice(b"TFL3");
        Self { bytes }
    }

    fn u32_at(&mut self, at: usize, v: u32) {
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// A table with `slots` 4-byte fields (ids 0..slots), present where
    /// `present[id]`; returns its position and the position of each slot.
    fn table(&mut self, present: &[bool]) -> (usize, Vec<usize>) {
        let vtable = self.bytes.len();
        let vtable_len = 4 + 2 * present.len();
        let table_len = 4 + 4 * present.len();
        self.bytes.extend((vtable_len as u16).to_le_bytes());
        self.bytes.extend((table_len as u16).to_le_bytes());
        for (i, p) in present.iter().enumerate() {
            self.bytes.extend((if *p { 4 + 4 * i as u16 } else { 0 }).to_le_bytes());
        }
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
        let table = self.bytes.len();
        self.bytes.extend(((table - vtable) as i32).to_le_bytes());
        self.bytes.extend(vec![0u8; 4 * present.len()]);
        (table, (0..present.len()).map(|i| table + 4 + 4 * i).collect())
    }

    /// Points the offset slot at `slot` to `target`.
    fn point(&mut self, slot: usize, target: usize) {
        self.u32_at(slot, (target - slot) as u32);
    }

    /// A vector of `len` u32 elements; returns its position and its elements' positions.
    fn vector(&mut self, len: usize) -> (usize, usize) {
        let at = self.bytes.len();
        self.bytes.extend((len as u32).to_le_bytes());
        self.bytes.extend(vec![0u8; 4 * len]);
        (at, at + 4)
    }
}

/// A model whose subgraph lists `tensors` times the same tensor, whose shape
/// has `dims` dimensions: a small file that decodes to tensors × dims values.
fn aliased(tensors: usize, dims: usize) -> Vec<u8> {
    let mut w = Writer::new();
    let (model, model_slots) = w.table(&[false, false, true, false, true]); // subgraphs, buffers
    w.u32_at(0, model as u32); // the root offset
    let (subgraphs, element) = w.vector(1);
    w.point(model_slots[2], subgraphs);
    let (subgraph, subgraph_slots) = w.table(&[true]); // tensors
    w.point(element, subgraph);
    let (buffers, buffer_element) = w.vector(1);
    w.point(model_slots[4], buffers);
    let (buffer, _) = w.table(&[]);
    w.point(buffer_element, buffer);
    let (list, first) = w.vector(tensors);
    w.point(subgraph_slots[0], list);
    let (tensor, tensor_slots) = w.table(&[true]); // shape only
    let (shape, _) = w.vector(dims);
    w.point(tensor_slots[0], shape);
    for i in 0..tensors {
        w.point(first + 4 * i, tensor);
    }
    w.bytes
}

#[test]
fn shared_objects_cannot_blow_up_a_parse() {
    // Small enough to decode: accepted.
    let small = aliased(4, 3);
    let model = tflite::read(&small).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.subgraphs[0].tensors.len(), 4);
    assert_eq!(model.subgraphs[0].tensors[3].shape, [0, 0, 0]);
    // 50,000 references to one tensor of 50,000 dimensions: a 400 kB file
    // that would decode to 2.5·10⁹ dimensions. Refused, quickly.
    let big = aliased(50_000, 50_000);
    let started = std::time::Instant::now();
    let error = tflite::read(&big).unwrap_err();
    assert!(error.message.contains("too many times"), "{error}");
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
}

#[test]
fn errors_name_what_is_wrong() {
    let bytes = tinyml::bytes("kws_ref_model.tflite");
    let model = tflite::read(&bytes).unwrap();
    assert_eq!(model.subgraphs[0].operators[0].builtin.to_string(), "CONV_2D");
    assert_eq!(Op(9999).to_string(), "builtin operator 9999");
    assert_eq!(Op(133).name(), None, "a gap in the schema's codes");

    let mut wrong = bytes.clone();
    wrong[4..8].copy_from_slice(b"XXXX");
    let e = tflite::read(&wrong).unwrap_err();
    assert!(e.to_string().contains("TFL3"), "{e}");
    assert!(tflite::read(&[]).unwrap_err().to_string().contains("too short"));

    // An operator's input index past the tensors: find operator 0's input
    // vector by its known contents and break its first entry.
    let graph = &model.subgraphs[0];
    let op = &graph.operators[0];
    let wanted: Vec<u8> = [
        3u32,
        op.inputs[0].unwrap() as u32,
        op.inputs[1].unwrap() as u32,
        op.inputs[2].unwrap() as u32,
    ]
    .iter()
    .flat_map(|v| v.to_le_bytes())
    .collect();
    let at = bytes
        .windows(16)
        .position(|w| w == wanted.as_slice())
        .expect("operator 0's inputs");
    let mut broken = bytes.clone();
    broken[at + 4..at + 8].copy_from_slice(&1000u32.to_le_bytes());
    let e = tflite::read(&broken).unwrap_err();
    assert_eq!(e.location, "subgraph 0, operator 0 (CONV_2D)", "{e}");
    assert!(e.message.contains("input 1000 is not a tensor index"), "{e}");
}

/// A model with the given operator codes (deprecated 8-bit code, 32-bit
/// code) and one subgraph of one int8 tensor [1] whose operators are
/// (opcode index, options type code, input index).
fn hand_made(codes: &[(i32, i32)], operators: &[(u32, u32, i32)]) -> Vec<u8> {
    let mut w = Writer::new();
    let (model, slots) = w.table(&[true, true, true, false, true]); // version, codes, subgraphs, buffers
    w.u32_at(0, model as u32);
    w.u32_at(slots[0], 3);
    let (list, first) = w.vector(codes.len());
    w.point(slots[1], list);
    for (i, &(deprecated, builtin)) in codes.iter().enumerate() {
        let (code, code_slots) = w.table(&[true, false, false, true]);
        w.u32_at(code_slots[0], deprecated as u32);
        w.u32_at(code_slots[3], builtin as u32);
        w.point(first + 4 * i, code);
    }
    let (buffers, buffer_element) = w.vector(1);
    w.point(slots[4], buffers);
    let (buffer, _) = w.table(&[]);
    w.point(buffer_element, buffer);
    let (subgraphs, subgraph_element) = w.vector(1);
    w.point(slots[2], subgraphs);
    let (subgraph, sg) = w.table(&[true, true, true, true]); // tensors, inputs, outputs, operators
    w.point(subgraph_element, subgraph);
    let (tensors, tensor_element) = w.vector(1);
    w.point(sg[0], tensors);
    let (tensor, ts) = w.table(&[true, true]); // shape, type
    w.point(tensor_element, tensor);
    let (shape, dims) = w.vector(1);
    w.u32_at(dims, 1);
    w.point(ts[0], shape);
    w.u32_at(ts[1], 9); // INT8
    for slot in [sg[1], sg[2]] {
        let (ios, element) = w.vector(1);
        w.u32_at(element, 0);
        w.point(slot, ios);
    }
    let (ops, op_element) = w.vector(operators.len());
    w.point(sg[3], ops);
    for (i, &(opcode, options_type, input)) in operators.iter().enumerate() {
        let with_table = options_type != 0;
        let (op, os) = w.table(&[true, true, true, with_table, with_table]);
        w.point(op_element + 4 * i, op);
        w.u32_at(os[0], opcode);
        for (slot, value) in [(os[1], input), (os[2], 0)] {
            let (ios, element) = w.vector(1);
            w.u32_at(element, value as u32);
            w.point(slot, ios);
        }
        if with_table {
            w.u32_at(os[3], options_type);
            let (options, _) = w.table(&[]);
            w.point(os[4], options);
        }
    }
    w.bytes
}

#[test]
fn operator_codes_take_the_larger_of_the_two_fields() {
    // An old file (8-bit code only), a new one (127 placeholder + 32-bit code).
    let bytes = hand_made(&[(3, 0), (127, 150), (17, 17)], &[]);
    let model = tflite::read(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<Op> = model.operator_codes.iter().map(|c| c.builtin).collect();
    assert_eq!(codes, [Op::CONV_2D, Op(150), Op::MAX_POOL_2D]);
    assert_eq!(model.operator_codes[0].version, 1, "the schema's default");
}

#[test]
fn operators_are_checked_against_their_codes_and_tensors() {
    // CONV_2D with its options table absent: the schema's defaults.
    let bytes = hand_made(&[(3, 3)], &[(0, 0, 0)]);
    let model = tflite::read(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let BuiltinOptions::Conv2d(conv) = model.subgraphs[0].operators[0].options else {
        panic!()
    };
    assert_eq!(
        (conv.padding, conv.stride_h, conv.dilation_h, conv.activation),
        (Padding::Same, 0, 1, Activation::None)
    );
    // An optional input left out (−1).
    let bytes = hand_made(&[(9, 9)], &[(0, 8, -1)]);
    assert_eq!(tflite::read(&bytes).unwrap().subgraphs[0].operators[0].inputs, [None]);

    // (opcode index, options type, input): where and what the error says.
    let cases = [
        (
            (0, 5, 0),
            "operator 0 (CONV_2D), builtin options",
            "Pool2DOptions where CONV_2D takes Conv2DOptions",
        ),
        (
            (1, 1, 0),
            "operator 0",
            "opcode index 1 is past the model's 1 operator codes",
        ),
        ((0, 1, 5), "operator 0 (CONV_2D)", "input 5 is not a tensor index"),
        ((0, 1, -2), "operator 0 (CONV_2D)", "input -2 is not a tensor index"),
    ];
    for (op, location, message) in cases {
        let e = tflite::read(&hand_made(&[(3, 3)], &[op])).unwrap_err();
        assert_eq!(e.location, format!("subgraph 0, {location}"), "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}
