//! The `.tflite` importer on the MLPerf Tiny models: the sources it writes
//! for each (typed, and baked with a weights file) are the committed files
//! of `tests/imported/` (regenerate them with `TYPENET_BLESS=1`), those
//! files compile into this test, their `Net` types are the very types
//! written by hand in `tests/tinyml/nets.rs`, their `load`, `row` and
//! `scores` give LiteRT's outputs bit for bit, and the baked `static NET`
//! holds the loaded net's tensors and gives its outputs. Malformed and unsupported
//! files are errors naming what is wrong.

mod tinyml;

#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/kws.rs"]
mod kws;
#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/kws_baked.rs"]
mod kws_baked;
#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/vww.rs"]
mod vww;
#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/vww_baked.rs"]
mod vww_baked;
#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/ic.rs"]
mod ic;
#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/ic_baked.rs"]
mod ic_baked;
#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/ad.rs"]
mod ad;
#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/ad_baked.rs"]
mod ad_baked;
#[rustfmt::skip]
#[allow(dead_code)] // a model's whole API, used in part here
#[path = "imported/ad_float.rs"]
mod ad_float;

use rand::{RngExt, SeedableRng, rngs::StdRng};
use typenet::io::tflite::{self, Activation, BuiltinOperator as Op, BuiltinOptions, WeightsFormat, rust_source};
use typenet::{Affine, Relu};

/// The int8 models and the files their baked source is committed as.
const MODELS: [(&str, &str); 4] = [
    ("kws", "kws_ref_model.tflite"),
    ("vww", "vww_96_int8.tflite"),
    ("ic", "pretrainedResnet_quant.tflite"),
    ("ad", "ad01_int8.tflite"),
];

#[test]
fn the_written_source_is_the_committed_file() {
    let bless = std::env::var_os("TYPENET_BLESS").is_some();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/imported");
    let mut differing = Vec::new();
    for (stem, file) in MODELS {
        let bytes = tinyml::bytes(file);
        let typed = rust_source(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let baked =
            tflite::baked_rust_source(&bytes, &format!("{stem}_baked.bin")).unwrap_or_else(|e| panic!("{file}: {e}"));
        let path = dir.join(format!("{stem}.rs"));
        let baked_path = dir.join(format!("{stem}_baked.rs"));
        let weights = dir.join(format!("{stem}_baked.bin"));
        if bless {
            std::fs::write(&path, &typed).unwrap();
            std::fs::write(&baked_path, &baked.source).unwrap();
            std::fs::write(&weights, &baked.weights).unwrap();
            continue;
        }
        for (path, source) in [(path, &typed), (baked_path, &baked.source)] {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(source) {
                differing.push(path.display().to_string());
            }
        }
        if std::fs::read(&weights).ok().as_deref() != Some(&baked.weights[..]) {
            differing.push(weights.display().to_string());
        }
    }
    // the float model's typed source only: its weights file would be 1 MB
    let float = dir.join("ad_float.rs");
    let typed = rust_source(&tinyml::bytes("ad01_fp32.tflite")).unwrap();
    if bless {
        std::fs::write(&float, &typed).unwrap();
    } else if std::fs::read_to_string(&float).ok().as_deref() != Some(&typed) {
        differing.push(float.display().to_string());
    }
    assert!(
        differing.is_empty(),
        "the importer writes other source for {differing:?}: rerun with TYPENET_BLESS=1 and look at the diff"
    );
}

/// Compiles only if `A` and `B` are one type.
trait Same<T> {}
impl<T> Same<T> for T {}
fn same<A: Same<B>, B>() {}

#[test]
fn the_imported_nets_are_the_hand_written_types() {
    same::<kws::Net, tinyml::nets::Kws>();
    same::<vww::Net, tinyml::nets::Vww>();
    same::<ic::Net, tinyml::nets::Ic>();
    same::<ad::Net, tinyml::nets::Ad>();
    same::<ad_float::Net, tinyml::nets::FloatAd>();
    same::<kws_baked::Net, tinyml::nets::Kws>();
    same::<vww_baked::Net, tinyml::nets::Vww>();
    same::<ic_baked::Net, tinyml::nets::Ic>();
    same::<ad_baked::Net, tinyml::nets::Ad>();
}

/// Runs `scores` on a fixture's inputs (and samples) as TFLite lays them
/// out, against LiteRT's outputs; returns how many rows ran.
fn check<I, O: AsRef<[i8]>>(stem: &str, row: impl Fn(&[i8]) -> Option<I>, scores: impl Fn(&I) -> O) -> usize {
    let fixture = tinyml::fixture(&format!("{stem}_int8"));
    let mut rows = 0;
    for (input, output) in [("input", "output"), ("sample_input", "sample_output")] {
        let (Some(x), Some(want)) = (fixture.get(input), fixture.get(output)) else {
            continue;
        };
        for i in 0..x.shape[0] {
            let x = row(x.row_i8(i)).expect("one input");
            assert_eq!(scores(&x).as_ref(), want.row_i8(i), "{stem} {input} {i}");
            rows += 1;
        }
    }
    rows
}

/// `f` on a thread of 256 MiB of stack: a baked net's `scores` keeps its
/// rows there (a chain's room for one sample, every intermediate row).
fn on_a_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn_scoped(s, f)
            .unwrap()
            .join()
            .unwrap()
    })
}

/// Every tensor of a net, as bytes, by name.
fn tensors(net: &impl typenet::Tensors) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    net.tensors(&mut |t| {
        let mut bytes = Vec::new();
        t.value.extend_le_bytes(&mut bytes);
        out.push((format!("{}.{}", t.layer, t.name), bytes));
    });
    out
}

#[test]
fn keyword_spotting_loads_and_is_bit_exact() {
    let net = kws::load(&tinyml::bytes("kws_ref_model.tflite")).unwrap();
    assert_eq!(check("kws", kws::row, |x| kws::scores(&net, x)), 33);
    assert_eq!(tensors(&kws_baked::NET), tensors(&net));
    assert_eq!(on_a_large_stack(|| check("kws", kws_baked::row, kws_baked::scores)), 33);
    let x = kws::row(&[0; kws::INPUT]).unwrap();
    let p = kws::probabilities(&net, &x);
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 0.05, "{p:?}");
    assert_eq!(kws::classify(&net, &x), typenet::argmax(&kws::scores(&net, &x)));
    assert_eq!(kws_baked::probabilities(&x), p);
}

#[test]
fn visual_wake_words_loads_and_is_bit_exact() {
    let net = vww::load(&tinyml::bytes("vww_96_int8.tflite")).unwrap();
    assert_eq!(check("vww", vww::row, |x| vww::scores(&net, x)), 32);
    assert_eq!(tensors(&vww_baked::NET), tensors(&net));
    assert_eq!(on_a_large_stack(|| check("vww", vww_baked::row, vww_baked::scores)), 32);
}

#[test]
fn image_classification_loads_and_is_bit_exact() {
    let net = ic::load(&tinyml::bytes("pretrainedResnet_quant.tflite")).unwrap();
    assert_eq!(check("ic", ic::row, |x| ic::scores(&net, x)), 33);
    assert_eq!(tensors(&ic_baked::NET), tensors(&net));
    assert_eq!(on_a_large_stack(|| check("ic", ic_baked::row, ic_baked::scores)), 33);
}

#[test]
fn anomaly_detection_loads_and_is_bit_exact() {
    let net = ad::load(&tinyml::bytes("ad01_int8.tflite")).unwrap();
    assert_eq!(check("ad", ad::row, |x| ad::scores(&net, x)), 32 + 196);
    assert_eq!(tensors(&ad_baked::NET), tensors(&net));
    assert_eq!(
        on_a_large_stack(|| check("ad", ad_baked::row, ad_baked::scores)),
        32 + 196
    );
}

#[test]
fn the_float_anomaly_detector_loads_as_load_tflite_fills_it() {
    let bytes = tinyml::bytes("ad01_fp32.tflite");
    let net = ad_float::load(&bytes).unwrap();
    let mut by_hand = typenet::chain![
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
        Relu,
        Affine::zeros(),
    ];
    typenet::io::from_tflite_bytes::<[f32; 640], tinyml::nets::FloatAd>(&mut by_hand, &bytes).unwrap();
    let x: Vec<f32> = (0..ad_float::INPUT).map(|i| (i % 17) as f32 / 8.0 - 1.0).collect();
    let x = ad_float::row(&x).unwrap();
    let mut y = typenet::Batch::zeros(1);
    typenet::Layer::infer(&by_hand, &typenet::Batch::from_rows(vec![x]), &mut y);
    assert_eq!(ad_float::scores(&net, &x).map(f32::to_bits), y[0].map(f32::to_bits));
    // baked, its weights file is every W and b as loaded, in order
    let baked = tflite::baked_rust_source(&bytes, "ad_float.bin").unwrap();
    let loaded: Vec<u8> = tensors(&net).into_iter().flat_map(|(_, b)| b).collect();
    assert_eq!(baked.weights, loaded);
    assert!(
        baked
            .source
            .contains("pub type NetFrozen = typenet::Chain![\n    typenet::Affine<[f32; 640], 128, typenet::Frozen>,")
    );
}

/// The importer's answer on `model`, which must not panic.
fn import(model: &tflite::Model<'_>) -> Result<String, String> {
    match std::panic::catch_unwind(|| tflite::rust_source_of(model)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => panic!("the importer panicked"),
    }
}

fn import_bytes(bytes: &[u8]) -> Result<String, String> {
    match std::panic::catch_unwind(|| rust_source(bytes)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => panic!("the importer panicked on {} bytes", bytes.len()),
    }
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = tinyml::bytes("kws_ref_model.tflite");
    for len in (0..bytes.len()).step_by(7) {
        assert!(import_bytes(&bytes[..len]).is_err(), "cut to {len} bytes");
    }
    assert!(import_bytes(&bytes).is_ok());
}

#[test]
fn byte_flips_are_errors_or_nets_never_panics() {
    let mut rng = StdRng::seed_from_u64(23);
    let original = tinyml::bytes("pretrainedResnet_quant.tflite");
    let (mut accepted, rounds) = (0, 1500);
    for round in 0..rounds {
        let mut bytes = original.clone();
        for _ in 0..rng.random_range(1..6) {
            // the graph's tables are at the ends, the weights between
            let at = match round % 2 {
                0 => rng.random_range(0..1024),
                _ => rng.random_range(bytes.len() - 8000..bytes.len()),
            };
            bytes[at] ^= 1 << rng.random_range(0..8);
        }
        accepted += usize::from(import_bytes(&bytes).is_ok());
    }
    assert!(accepted > 0 && accepted < rounds, "{accepted} of {rounds}");
}

#[test]
fn rewired_graphs_are_errors_or_nets_never_panics() {
    // operators pointed at random tensors (some past the end) and given
    // random types: what a crafted file can say once the reader accepts it
    let bytes = tinyml::bytes("pretrainedResnet_quant.tflite");
    let original = tflite::read(&bytes).unwrap();
    let mut rng = StdRng::seed_from_u64(24);
    let n = original.subgraphs[0].tensors.len();
    let ops = original.subgraphs[0].operators.len();
    let codes = [
        Op::ADD,
        Op::CONV_2D,
        Op::RESHAPE,
        Op::SOFTMAX,
        Op::AVERAGE_POOL_2D,
        Op::MUL,
    ];
    let mut accepted = 0;
    for _ in 0..3000 {
        let mut model = original.clone();
        let graph = &mut model.subgraphs[0];
        for _ in 0..rng.random_range(1..4) {
            let op = &mut graph.operators[rng.random_range(0..ops)];
            match rng.random_range(0..3) {
                0 => op.inputs[0] = Some(rng.random_range(0..n + 2)),
                1 => op.outputs[0] = rng.random_range(0..n + 2),
                _ => op.builtin = codes[rng.random_range(0..codes.len())],
            }
        }
        accepted += usize::from(import(&model).is_ok());
    }
    assert!(accepted < 3000, "{accepted}");
}

#[test]
fn a_cycle_is_an_error() {
    let bytes = tinyml::bytes("kws_ref_model.tflite");
    let original = tflite::read(&bytes).unwrap();
    // operator 2 writes the tensor it reads
    let mut model = original.clone();
    let graph = &mut model.subgraphs[0];
    graph.operators[2].outputs[0] = graph.operators[2].inputs[0].unwrap();
    let error = import(&model).unwrap_err();
    assert_eq!(error, "operator 2 (CONV_2D): is reached twice: the graph has a cycle");
    // two reshapes of each other's output
    let mut model = original.clone();
    let graph = &mut model.subgraphs[0];
    let (from, to) = (graph.operators[10].inputs[0].unwrap(), graph.operators[10].outputs[0]);
    graph.operators[9].builtin = Op::RESHAPE;
    graph.operators[9].inputs[0] = Some(to);
    graph.operators[9].outputs[0] = from;
    let error = import(&model).unwrap_err();
    assert!(error.contains("is reshaped from itself: a cycle"), "{error}");
}

#[test]
fn an_unknown_or_unsupported_operator_is_named() {
    let bytes = tinyml::bytes("kws_ref_model.tflite");
    let original = tflite::read(&bytes).unwrap();
    for (code, name) in [(Op(999), "builtin operator 999"), (Op::MUL, "MUL")] {
        let mut model = original.clone();
        model.subgraphs[0].operators[3].builtin = code;
        let error = import(&model).unwrap_err();
        assert!(
            error.starts_with(&format!(
                "operator 3 ({name}): {name} is not supported; typenet imports CONV_2D"
            )),
            "{error}"
        );
    }
    let error = import_bytes(&tinyml::bytes("vww_96_float.tflite")).unwrap_err();
    assert!(
        error.starts_with("operator 0 (CONV_2D): float CONV_2D is not supported"),
        "{error}"
    );
}

#[test]
fn an_unsupported_option_names_the_operator_and_the_option() {
    let bytes = tinyml::bytes("kws_ref_model.tflite");
    let original = tflite::read(&bytes).unwrap();
    let with = |k: usize, change: &dyn Fn(&mut BuiltinOptions)| {
        let mut model = original.clone();
        change(&mut model.subgraphs[0].operators[k].options);
        import(&model).unwrap_err()
    };
    let dilated = with(0, &|o| {
        if let BuiltinOptions::Conv2d(c) = o {
            (c.dilation_h, c.dilation_w) = (2, 2);
        }
    });
    assert_eq!(dilated, "operator 0 (CONV_2D): dilation 2 is not supported");
    let tanh = with(1, &|o| {
        if let BuiltinOptions::DepthwiseConv2d(c) = o {
            c.activation = Activation::Tanh;
        }
    });
    assert_eq!(
        tanh,
        "operator 1 (DEPTHWISE_CONV_2D): fused activation Tanh is not supported (typenet fuses clamps only)"
    );
    let shuffled = with(11, &|o| {
        if let BuiltinOptions::FullyConnected(c) = o {
            c.weights_format = WeightsFormat::Shuffled4x16Int8;
        }
    });
    assert_eq!(
        shuffled,
        "operator 11 (FULLY_CONNECTED): weights format SHUFFLED4x16INT8 is not supported"
    );
}

#[test]
fn branches_must_rejoin_in_the_order_the_file_runs_them() {
    let bytes = tinyml::bytes("pretrainedResnet_quant.tflite");
    let original = tflite::read(&bytes).unwrap();
    // the shortcut convolution run between the two of the other branch
    let mut model = original.clone();
    model.subgraphs[0].operators.swap(5, 6);
    let error = import(&model).unwrap_err();
    assert!(error.contains("interleave two branches"), "{error}");
    // a block whose addition is another operator never rejoins
    let mut model = original.clone();
    model.subgraphs[0].operators[3].builtin = Op::CONV_2D;
    assert!(import(&model).is_err());
}
