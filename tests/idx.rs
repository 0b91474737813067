//! The IDX reader and data sets: the vendored MNIST files load with the
//! figures their README states, other IDX pairs load unchanged, and every
//! kind of damage gives its own error instead of a panic or short data.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};

use common::{idx_images, idx_labels, mnist_dir, scratch_dir};
use typenet::data::{
    DataErrorKind, Dataset, IdxImages, MnistFiles, Pixels, parse_images, parse_labels, read_images, read_labels,
};
use typenet::{Batch, Image, Labels, Row};

/// Records the largest single allocation of each thread, so that a test
/// can show that a file's claims were refused before anything their size
/// was allocated.
struct Largest;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.with(|l| l.set(l.get().max(layout.size())));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.with(|l| l.set(l.get().max(new_size)));
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Largest = Largest;

/// What `f` returns, and the largest allocation made while it ran.
fn largest_allocation_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(Cell::get))
}

const MIB: usize = 1 << 20;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

/// An IDX file whose header announces `dims` (with `magic`), followed by
/// `len` bytes of `byte(i)`.
fn announcing(magic: u32, dims: &[u32], len: usize, byte: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut b = magic.to_be_bytes().to_vec();
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend((0..len).map(byte));
    b
}

/// Bytes that deflate cannot shrink (splitmix64 of the position).
fn noise(i: usize) -> u8 {
    let mut z = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as u8
}

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
        (test_images.count(), test_images.rows(), test_images.cols()),
        (10_000, 28, 28)
    );
    assert_eq!(&test_labels[..10], &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert_eq!(
        histogram(&test_labels),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert!((mean_pixel(test_images.pixels()) - 33.79).abs() < 0.005);

    let train_images = read_images(&files.train.images).unwrap();
    let train_labels = read_labels(&files.train.labels).unwrap();
    assert_eq!(train_images.count(), 10_000);
    assert_eq!(&train_labels[..10], &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(
        histogram(&train_labels),
        [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    assert!((mean_pixel(train_images.pixels()) - 33.44).abs() < 0.005);
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
        DataErrorKind::CountMismatch {
            images: 3,
            labels: 2,
            ..
        }
    ));
    // the label file is blamed, and the message says where the images are
    assert_eq!(err.path.as_deref(), Some(l.as_path()));
    assert_eq!(
        err.to_string(),
        format!("{}: 2 labels for 3 images in {}", l.display(), i.display())
    );

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

    let (i, l) = write_pair("label-255", idx_images(2, 28, 28, |_| 0), idx_labels(&[0, 255]));
    let err = Dataset::<[f32; 784], 10>::load(&i, &l, Pixels::Unit).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("label 255 at position 1 is out of range for 10 classes (0..=9)"),
        "{err}"
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

/// Both headers are checked against the data set's type and each other
/// before either file's data is read: a small gzip file announcing two
/// billion one-pixel images is refused for its width without being
/// decompressed, and a label count for the images' count.
#[test]
fn headers_are_checked_before_any_data_is_read() {
    // 16 MiB of zeros, a 16 KiB file
    let hostile = |magic, dims: &[u32]| gzip(&announcing(magic, dims, 16 * MIB, |_| 0));
    let (i, l) = write_pair(
        "hostile-width",
        hostile(0x803, &[2_000_000_000, 1, 1]),
        idx_labels(&[0; 4]),
    );
    let (err, largest) =
        largest_allocation_during(|| Dataset::<[f32; 784], 10>::load(&i, &l, Pixels::Unit).unwrap_err());
    assert!(
        matches!(err.kind, DataErrorKind::WidthMismatch { rows: 1, cols: 1, .. }),
        "{err}"
    );
    assert_eq!(err.path.as_deref(), Some(i.as_path()));
    assert!(largest < MIB, "{largest} bytes allocated");

    let (i, l) = write_pair(
        "hostile-count",
        idx_images(3, 28, 28, |_| 0),
        hostile(0x801, &[2_000_000_000]),
    );
    let (err, largest) =
        largest_allocation_during(|| Dataset::<[f32; 784], 10>::load(&i, &l, Pixels::Unit).unwrap_err());
    assert!(
        matches!(
            err.kind,
            DataErrorKind::CountMismatch {
                images: 3,
                labels: 2_000_000_000,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.path.as_deref(), Some(l.as_path()));
    assert!(largest < MIB, "{largest} bytes allocated");
}

/// Without a data set's type, a header's claim is checked against what the
/// file can hold before anything is read or decompressed, and decompressed
/// data is kept only as it arrives.
#[test]
fn announced_sizes_are_checked_before_allocating() {
    let dir = scratch_dir("announced-sizes");
    let four_billion = |len| announcing(0x803, &[4_000_000_000, 28, 28], len, |_| 0);

    // raw: the file's length gives it away
    let raw = dir.join("raw-images-idx3-ubyte");
    std::fs::write(&raw, four_billion(4 * MIB)).unwrap();
    let (err, largest) = largest_allocation_during(|| read_images(&raw).unwrap_err());
    assert!(
        matches!(
            err.kind,
            DataErrorKind::TruncatedBody {
                expected: 3_136_000_000_000,
                found
            } if found == 4 * MIB as u64
        ),
        "{err}"
    );
    assert!(largest < MIB, "{largest} bytes allocated");

    // gzip: more than deflate can expand its size to
    let bytes = gzip(&four_billion(4 * MIB));
    let gz = dir.join("gz-images-idx3-ubyte.gz");
    std::fs::write(&gz, &bytes).unwrap();
    for result in [read_images(&gz), parse_images(&bytes)] {
        let err = result.unwrap_err();
        assert!(
            matches!(
                err.kind,
                DataErrorKind::TooLargeForGzip {
                    expected: 3_136_000_000_000,
                    compressed
                } if compressed == bytes.len() as u64
            ),
            "{err}"
        );
    }
    let (_, largest) = largest_allocation_during(|| read_images(&gz));
    assert!(largest < MIB, "{largest} bytes allocated");

    // gzip announcing 1 GiB (within what its size could expand to) but
    // holding 1 MiB: memory follows the data, not the claim
    let bytes = gzip(&announcing(0x803, &[1024, 1024, 1024], MIB, noise));
    let (err, largest) = largest_allocation_during(|| parse_images(&bytes).unwrap_err());
    assert!(
        matches!(
            err.kind,
            DataErrorKind::TruncatedBody {
                expected: 1_073_741_824,
                found
            } if found == MIB as u64
        ),
        "{err}"
    );
    assert!(largest < 4 * MIB, "{largest} bytes allocated");

    // and gzip holding far more than it announces: read one byte past the
    // claim, no further
    let bytes = gzip(&announcing(0x803, &[1, 1, 1], 16 * MIB, |_| 0));
    let (err, largest) = largest_allocation_during(|| parse_images(&bytes).unwrap_err());
    assert!(
        matches!(err.kind, DataErrorKind::TrailingBytes { expected: 1 }),
        "{err}"
    );
    assert!(largest < MIB, "{largest} bytes allocated");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A gzip file of several members (as `cat a.gz b.gz` makes) holds their
/// data one after another, wherever the split falls.
#[test]
fn multi_member_gzip_reads_as_one_stream() {
    let raw = idx_images(50, 28, 28, |i| (i % 253) as u8);
    let expected = parse_images(&raw).unwrap();
    for split in [0, 1, 5, 16, 17, 1000, raw.len() - 1, raw.len()] {
        let mut gz = gzip(&raw[..split]);
        gz.extend(gzip(&raw[split..]));
        assert_eq!(parse_images(&gz).unwrap(), expected, "split at {split}");
    }
    let labels: Vec<u8> = (0..50).map(|i| i % 10).collect();
    let raw_labels = idx_labels(&labels);
    let (mut images_gz, mut labels_gz) = (Vec::new(), Vec::new());
    for part in raw.chunks(1000) {
        images_gz.extend(gzip(part));
    }
    for part in raw_labels.chunks(7) {
        labels_gz.extend(gzip(part));
    }
    let (i, l) = write_pair("multi-member", images_gz, labels_gz);
    assert_eq!(read_images(&i).unwrap(), expected);
    assert_eq!(read_labels(&l).unwrap(), labels);
    let data = Dataset::<[f32; 784], 10>::load(&i, &l, Pixels::Raw).unwrap();
    assert_eq!(data.len(), 50);
    assert_eq!(data.labels().get(49), 9);
    assert_eq!(data.image(49).unwrap()[783], ((49 * 784 + 783) % 253) as f32);
}

/// Bytes after the last gzip member that do not start another one are an
/// error naming where they start, as trailing bytes of a raw file are.
#[test]
fn bytes_after_the_gzip_data_are_refused() {
    let raw = idx_images(5, 4, 4, |i| i as u8);
    let one = gzip(&raw);
    let mut two = gzip(&raw[..40]);
    two.extend(gzip(&raw[40..]));
    let tails: [&[u8]; 6] = [b"x", b"\0", &[0; 512], b"\x1f", b"\x1f\x8b", b"\x1f\x8b\x08\0"];
    for gz in [&one, &two] {
        for tail in tails {
            let mut bytes = gz.clone();
            bytes.extend_from_slice(tail);
            let err = parse_images(&bytes).expect_err("trailing bytes accepted");
            assert!(
                matches!(err.kind, DataErrorKind::GzipTrailingBytes { offset } if offset == gz.len() as u64),
                "tail {tail:?}: {err}"
            );
        }
    }
    let mut bytes = one.clone();
    bytes.extend_from_slice(b"garbage");
    let (i, l) = write_pair("gzip-trailing", bytes, idx_labels(&[0; 5]));
    let err = read_images(&i).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: malformed: the bytes from offset {} follow the gzip data but are not gzip",
            i.display(),
            one.len()
        )
    );
    let err = Dataset::<[f32; 16], 10>::load(&i, &l, Pixels::Raw).unwrap_err();
    assert!(matches!(err.kind, DataErrorKind::GzipTrailingBytes { .. }), "{err}");
    assert_eq!(err.path.as_deref(), Some(i.as_path()));
    // a damaged second member is a gzip error, not trailing bytes
    let mut bytes = two.clone();
    let last = bytes.len() - 5;
    bytes[last] ^= 0xff;
    assert!(matches!(parse_images(&bytes).unwrap_err().kind, DataErrorKind::Gzip(_)));
}

/// `IdxImages` always holds the pixels its dimensions announce, so a data
/// set built from one can rely on them.
#[test]
fn idx_images_hold_exactly_the_pixels_they_announce() {
    let images = IdxImages::new(2, 2, 3, (0..12).collect()).unwrap();
    assert_eq!((images.count(), images.rows(), images.cols()), (2, 2, 3));
    assert_eq!(images.image(1), Some(&[6, 7, 8, 9, 10, 11][..]));
    assert_eq!(images.image(2), None);
    assert_eq!(images.image(usize::MAX), None);

    let kind = |count, rows, cols, pixels| IdxImages::new(count, rows, cols, pixels).unwrap_err().kind;
    assert!(matches!(
        kind(2, 2, 3, vec![0; 11]),
        DataErrorKind::TruncatedBody {
            expected: 12,
            found: 11
        }
    ));
    assert!(matches!(
        kind(2, 2, 3, vec![0; 13]),
        DataErrorKind::TrailingBytes { expected: 12 }
    ));
    assert!(matches!(
        kind(u32::MAX, 28, 28, Vec::new()),
        DataErrorKind::TruncatedBody { found: 0, .. }
    ));
    assert!(matches!(
        kind(u32::MAX, u32::MAX, u32::MAX, Vec::new()),
        DataErrorKind::TooLarge { .. }
    ));
    // dimensions whose product is exactly u64::MAX, in a header too
    let most = [1_722_007_169, 42_009_217, 255];
    assert_eq!(most.iter().map(|&d| d as u64).product::<u64>(), u64::MAX);
    assert!(matches!(
        kind(most[0], most[1], most[2], Vec::new()),
        DataErrorKind::TooLarge { .. }
    ));
    let header = announcing(0x803, &most, 0, |_| 0);
    for bytes in [gzip(&header), header] {
        assert!(matches!(
            parse_images(&bytes).unwrap_err().kind,
            DataErrorKind::TooLarge { .. }
        ));
    }

    let data = Dataset::<[f32; 6], 3>::from_idx(&images, &[0, 2], Pixels::Raw).unwrap();
    assert_eq!(data.image(1), Some([6.0, 7.0, 8.0, 9.0, 10.0, 11.0]));
    let err = Dataset::<[f32; 6], 3>::from_idx(&images, &[0], Pixels::Raw).unwrap_err();
    assert_eq!(err.to_string(), "1 labels for 2 images");
    let err = Dataset::<[f32; 5], 3>::from_idx(&images, &[0, 2], Pixels::Raw).unwrap_err();
    assert!(matches!(
        err.kind,
        DataErrorKind::WidthMismatch { rows: 2, cols: 3, .. }
    ));
}

/// Image rows load the same pixels as dense rows, and IDX images of
/// another height, width or channel count are refused at load, naming
/// both shapes.
#[test]
fn image_rows_load_and_their_shape_is_checked() {
    let files = MnistFiles::find(mnist_dir()).unwrap();
    let (i, l) = (&files.test.images, &files.test.labels);
    let images = Dataset::<Image<f32, 1, 28, 28>, 10>::load(i, l, Pixels::Raw).unwrap();
    let raw = read_images(i).unwrap();
    assert_eq!(images.len(), 10_000);
    assert_eq!(images.labels().get(0), 7);
    for k in [0, 1, 9_999] {
        let image = images.image(k).unwrap();
        let bytes = raw.image(k).unwrap();
        for (r, c) in [(0, 0), (14, 9), (20, 27), (27, 27)] {
            assert_eq!(image.0[0][r][c], bytes[28 * r + c] as f32, "image {k} at ({r}, {c})");
        }
        assert!(image.as_slice().iter().zip(bytes).all(|(&v, &b)| v == b as f32));
    }

    let err = Dataset::<Image<f32, 1, 28, 27>, 10>::load(i, l, Pixels::Unit).unwrap_err();
    assert!(matches!(
        err.kind,
        DataErrorKind::WidthMismatch { rows: 28, cols: 28, ref expected } if expected == &[1, 28, 27]
    ));
    assert_eq!(err.path.as_deref(), Some(i.as_path()));
    assert!(
        err.to_string()
            .ends_with("images are 28×28 (1 channel) but the net takes 1×28×27 images (1 channel of 28 rows of 27)"),
        "{err}"
    );
    let err = Dataset::<Image<f32, 3, 28, 28>, 10>::load(i, l, Pixels::Unit).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("images are 28×28 (1 channel) but the net takes 3×28×28 images (3 channels of 28 rows of 28)"),
        "{err}"
    );
    // as many pixels, another shape
    let err = Dataset::<Image<f32, 1, 14, 56>, 10>::load(i, l, Pixels::Unit).unwrap_err();
    assert!(matches!(err.kind, DataErrorKind::WidthMismatch { .. }), "{err}");
}

/// `gather` is given indices by a sampler over the same data set; one out
/// of range is a bug, and the panic names it.
#[test]
#[should_panic(expected = "Dataset::gather: index 3 is out of range for a data set of 3 samples")]
fn gather_names_an_index_out_of_range() {
    let images = IdxImages::new(3, 2, 2, vec![0; 12]).unwrap();
    let data = Dataset::<[f32; 4], 2>::from_idx(&images, &[0, 1, 0], Pixels::Raw).unwrap();
    let (mut x, mut t) = (Batch::<[f32; 4]>::default(), Labels::<2>::default());
    data.gather(&[0, 3], &mut x, &mut t);
}
