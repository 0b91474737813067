//! scratch
mod tinyml;
use typenet::int8;
use typenet::prelude::*;

type Ad = typenet::Chain![
    int8::Affine<[i8; 640], 128>, int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>,
    int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 8>, int8::Affine<[i8; 8], 128>,
    int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>,
    int8::Affine<[i8; 128], 640>
];

#[test]
fn ad() {
    let mut net = Ad::default();
    typenet::io::load_tflite(&mut net, tinyml::dir().join("ad01_int8.tflite")).unwrap();
    let f = tinyml::fixture("ad_int8");
    let x = Batch::<[i8; 640]>::from_flat(f["input"].i8()).unwrap();
    let mut y = Batch::zeros(0);
    net.infer(&x, &mut y);
    assert_eq!(y.as_slice(), f["output"].i8());
    println!("{}", net.summary());
}
