//! The fixtures of `tests/fixtures/tinyml/` agree with the models they were
//! made from: every record has the shape of the tensor it names, and the
//! vendored files are the ones the README's sha256 sums name.

mod tinyml;

use typenet::io::tflite;

#[test]
fn every_record_has_its_tensors_shape() {
    for (kind, models) in [("int8", tinyml::INT8_MODELS), ("float", tinyml::FLOAT_MODELS)] {
        for (stem, file) in models {
            let bytes = tinyml::bytes(file);
            let model = tflite::read(&bytes).unwrap();
            let graph = &model.subgraphs[0];
            let fixture = tinyml::fixture(&format!("{stem}_{kind}"));
            let input = &graph.tensors[graph.inputs[0]].shape;
            let output = &graph.tensors[graph.outputs[0]].shape;
            let traces = fixture.keys().filter(|k| k.starts_with("trace/")).count();
            assert!(
                traces >= graph.operators.len(),
                "{stem}_{kind}: {traces} traced tensors"
            );
            for (name, array) in &fixture {
                match name.as_str() {
                    "input" | "sample_input" => assert_eq!(array.shape[1..], input[1..], "{stem}_{kind} {name}"),
                    "output" | "sample_output" => assert_eq!(array.shape[1..], output[1..], "{stem}_{kind} {name}"),
                    "input_scale" | "input_zero_point" => assert_eq!(array.shape, [1]),
                    trace => {
                        let t: usize = trace.rsplit('/').next().unwrap().parse().unwrap();
                        assert_eq!(array.shape, graph.tensors[t].shape, "{stem}_{kind} {name}");
                    }
                }
            }
            let random = if kind == "int8" {
                &fixture["input"]
            } else {
                &fixture["output"]
            };
            assert_eq!(random.shape[0], 32, "{stem}_{kind}");
        }
    }
}

#[test]
fn the_fixture_reader_refuses_malformed_files() {
    let good = tinyml::bytes("kws_int8.fixture");
    assert!(tinyml::parse(&good).is_ok());
    for len in [0, 3, 4, 11, 12, 100, good.len() - 1] {
        assert!(tinyml::parse(&good[..len]).is_err(), "cut to {len}");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(tinyml::parse(&longer).is_err());
    let mut huge = good.clone();
    // The first record's first dimension, made enormous.
    let name_len = u16::from_le_bytes([good[12], good[13]]) as usize;
    let dims = 14 + name_len + 2;
    huge[dims..dims + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(tinyml::parse(&huge).is_err());
}

#[test]
fn the_models_are_the_ones_the_readme_names() {
    // Their sizes and first bytes, cheaply; the README lists their sha256.
    let readme = String::from_utf8(tinyml::bytes("README.md")).unwrap();
    for (_, file) in tinyml::INT8_MODELS.iter().chain(&tinyml::FLOAT_MODELS) {
        assert!(readme.contains(&format!("`{file}`")), "{file} is not in the README");
        let bytes = tinyml::bytes(file);
        assert_eq!(&bytes[4..8], b"TFL3", "{file}");
    }
}
