//! The IDX reader and data sets: the vendored MNIST files load with the
//! figures their README states, other IDX pairs load unchanged, and every
//! kind of damage gives its own error instead of a panic or short data.

mod common;

use std::io::Read;

use common::{idx_images, idx_labels, mnist_dir, scratch_dir};
use typenet::data::{DataErrorKind, Dataset, MnistFiles, Pixels, parse_images, parse_labels, read_images, read_labels};

fn gunzip(path: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn histogram(labels: &[u8]) -> [usize; 10] {
    let mut h = [0; 10];
    for &l in labels {
        h[l as usize] += 1;
    }
    h
}

fn mean_pixel(pixels: &[u8]) -> f64 {
    pixels.iter().map(|&p| p as f64).sum::<f64>() / pixels.len() as f64
}

#[test]
fn vendored_mnist_matches_its_readme() {
    let files = MnistFiles::find(mnist_dir()).unwrap();
    let test_images = read_images(&files.test.images).unwrap();
    let test_labels = read_labels(&files.test.labels).unwrap();
    assert_eq!(
        (test_images.count, test_images.rows, test_images.cols),
        (10_000, 28, 28)
    );
    assert_eq!(&test_labels[..10], &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert_eq!(
        histogram(&test_labels),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert!((mean_pixel(&test_images.pixels) - 33.79).abs() < 0.005);

    let train_images = read_images(&files.train.images).unwrap();
    let train_labels = read_labels(&files.train.labels).unwrap();
    assert_eq!(train_images.count, 10_000);
    assert_eq!(&train_labels[..10], &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(
        histogram(&train_labels),
        [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    assert!((mean_pixel(&train_images.pixels) - 33.44).abs() < 0.005);
}

#[test]
fn datasets_normalise_or_keep_raw_pixels() {
    let files = MnistFiles::find(mnist_dir()).unwrap();
    let unit = Dataset::<[f32; 784], 10>::load(&files.test.images, &files.test.labels, Pixels::Unit).unwrap();
    let raw = Dataset::<[f64; 784], 10>::load(&files.test.images, &files.test.labels, Pixels::Raw).unwrap();
    assert_eq!(unit.len(), 10_000);
    assert_eq!(unit.labels().get(0), 7);
    let (unit, raw) = (unit.to_batch(), raw.to_batch());
    let (lo, hi) = unit
        .as_slice()
        .iter()
        .fold((1.0f32, 0.0f32), |(l, h), &v| (l.min(v), h.max(v)));
    assert_eq!((lo, hi), (0.0, 1.0));
    for (u, r) in unit.as_slice().iter().zip(raw.as_slice()).step_by(97) {
        assert!((*u as f64 * 255.0 - r).abs() < 1e-4);
    }
    let labels = Dataset::<[f32; 784], 10>::load(&files.test.images, &files.test.labels, Pixels::Unit)
        .unwrap()
        .labels()
        .slice(0..3);
    let one_hot = labels.one_hot::<f32>();
    assert_eq!(one_hot[0][7], 1.0);
    assert_eq!(one_hot[0].iter().sum::<f32>(), 1.0);
}

#[test]
fn raw_and_gzipped_files_read_the_same() {
    let files = MnistFiles::find(mnist_dir()).unwrap();
    let raw = gunzip(&files.test.labels);
    assert_eq!(parse_labels(&raw).unwrap(), read_labels(&files.test.labels).unwrap());
    let raw = gunzip(&files.test.images);
    assert_eq!(parse_images(&raw).unwrap(), read_images(&files.test.images).unwrap());
}

/// Any count and any image size load unchanged, under the usual file names
/// (as a full MNIST or Fashion-MNIST download has them).
#[test]
fn other_idx_pairs_load_unchanged() {
    let dir = scratch_dir("other-idx");
    let (count, rows, cols) = (1234, 14, 12);
    let images = idx_images(count, rows, cols, |i| (i % 251) as u8);
    let labels: Vec<u8> = (0..count).map(|i| (i % 7) as u8).collect();
    for prefix in ["train", "t10k"] {
        std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), &images).unwrap();
        std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), idx_labels(&labels)).unwrap();
    }
    let files = MnistFiles::find(&dir).unwrap();
    assert!(files.train.images.ends_with("train-images-idx3-ubyte"));
    let data = Dataset::<[f32; 168], 7>::load(&files.train.images, &files.train.labels, Pixels::Raw).unwrap();
    assert_eq!(data.len(), 1234);
    assert_eq!(data.image(1233).unwrap()[167], ((1233 * 168 + 167) % 251) as f32);
    assert_eq!(data.image(1234), None);
    assert_eq!(data.image(1 << 60), None);
    assert_eq!(data.labels().get(1233), 1233 % 7);
    std::fs::remove_dir_all(dir).unwrap();
}

fn kind_of_images(bytes: &[u8]) -> DataErrorKind {
    parse_images(bytes).expect_err("damaged file accepted").kind
}

/// Cutting a valid file anywhere gives a truncation error, never a panic
/// and never a shorter data set.
#[test]
fn truncated_files_are_reported_at_every_offset() {
    let raw = idx_images(20, 28, 28, |i| (i % 256) as u8);
    for cut in (0..raw.len()).step_by(7).chain(0..20) {
        match kind_of_images(&raw[..cut]) {
            DataErrorKind::TruncatedHeader { needed: 16, found } => assert_eq!(found, cut),
            DataErrorKind::TruncatedBody { expected, found } => {
                assert_eq!((expected, found), (20 * 784, cut as u64 - 16));
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    let labels = idx_labels(&[1, 2, 3, 4, 5]);
    for cut in 0..labels.len() {
        assert!(parse_labels(&labels[..cut]).is_err(), "cut at {cut}");
    }
}

/// The same for gzip streams cut short: a gzip error or a truncation error.
#[test]
fn truncated_gzip_streams_are_reported() {
    let gz = std::fs::read(MnistFiles::find(mnist_dir()).unwrap().test.labels).unwrap();
    for cut in (0..gz.len()).step_by(61) {
        match parse_labels(&gz[..cut]).expect_err("a cut stream was accepted").kind {
            DataErrorKind::Gzip(_) | DataErrorKind::TruncatedHeader { .. } | DataErrorKind::TruncatedBody { .. } => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn wrong_magic_is_reported() {
    let mut raw = idx_images(2, 2, 2, |_| 0);
    raw[3] = 0x01;
    assert!(matches!(
        kind_of_images(&raw),
        DataErrorKind::WrongMagic {
            expected: 0x803,
            found: 0x801
        }
    ));
    // labels given where images are expected
    let err = parse_images(&idx_labels(&[1, 2])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "magic number 0x00000801 is not 0x00000803 (an IDX image file)"
    );
}

#[test]
fn trailing_bytes_and_absurd_headers_are_reported() {
    let mut raw = idx_images(2, 3, 3, |_| 9);
    raw.push(0);
    assert!(matches!(
        kind_of_images(&raw),
        DataErrorKind::TrailingBytes { expected: 18 }
    ));
    // four billion images announced, none present: refused before allocating
    let hostile = idx_images(0, 28, 28, |_| 0);
    let mut hostile = hostile.clone();
    hostile[4..8].copy_from_slice(&4_000_000_000u32.to_be_bytes());
    assert!(matches!(
        kind_of_images(&hostile),
        DataErrorKind::TruncatedBody {
            expected: 3_136_000_000_000,
            found: 0
        }
    ));
}

fn write_pair(name: &str, images: Vec<u8>, labels: Vec<u8>) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = scratch_dir(name);
    let (i, l) = (dir.join("images-idx3-ubyte"), dir.join("labels-idx1-ubyte"));
    std::fs::write(&i, images).unwrap();
    std::fs::write(&l, labels).unwrap();
    (i, l)
}

#[test]
fn counts_labels_and_widths_are_checked_against_each_other() {
    let (i, l) = write_pair("count", idx_images(3, 28, 28, |_| 0), idx_labels(&[1, 2]));
    let err = Dataset::<[f32; 784], 10>::load(&i, &l, Pixels::Unit).unwrap_err();
    assert!(matches!(
        err.kind,
        DataErrorKind::CountMismatch { images: 3, labels: 2 }
    ));

    let (i, l) = write_pair("label", idx_images(3, 28, 28, |_| 0), idx_labels(&[1, 10, 2]));
    let err = Dataset::<[f32; 784], 10>::load(&i, &l, Pixels::Unit).unwrap_err();
    assert!(matches!(
        err.kind,
        DataErrorKind::LabelOutOfRange {
            index: 1,
            label: 10,
            classes: 10
        }
    ));
    assert_eq!(err.path.as_deref(), Some(l.as_path()));
    assert!(
        err.to_string()
            .ends_with("label 10 at position 1 is out of range for 10 classes (0..=9)")
    );

    let (i, l) = write_pair("width", idx_images(3, 28, 28, |_| 0), idx_labels(&[1, 2, 3]));
    let err = Dataset::<[f32; 785], 10>::load(&i, &l, Pixels::Unit).unwrap_err();
    assert!(matches!(
        err.kind,
        DataErrorKind::WidthMismatch {
            rows: 28,
            cols: 28,
            ref expected
        } if expected == &[785]
    ));
    assert!(
        err.to_string()
            .ends_with("images are 28×28 = 784 pixels but the net takes 785 inputs")
    );
}

#[test]
fn missing_files_are_named() {
    let dir = scratch_dir("missing");
    let err = read_images(dir.join("nothing-here")).unwrap_err();
    assert!(matches!(err.kind, DataErrorKind::Missing));
    assert!(err.to_string().contains("nothing-here: file not found"));
    let err = MnistFiles::find(&dir).unwrap_err();
    assert!(matches!(err.kind, DataErrorKind::Missing));
}
