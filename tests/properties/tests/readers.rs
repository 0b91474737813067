//! The IDX reader and the model loader take any bytes: arbitrary ones and
//! mutations of valid files give `Ok` or a typed error, never a panic, and
//! a header's claims are checked against the bytes present before anything
//! the size of those claims is allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};

use proptest::prelude::*;
use typenet::data::{DataErrorKind, parse_images, parse_labels};
use typenet::io::{from_bytes, to_bytes};
use typenet::prelude::*;

/// Records the largest single allocation of this thread.
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

fn largest_allocation_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(Cell::get))
}

fn idx_images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0x803, count, rows, cols] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend((0..(count * rows * cols) as usize).map(|i| (i * 37 % 256) as u8));
    b
}

fn idx_labels(count: u32) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0x801, count] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend((0..count).map(|i| (i % 10) as u8));
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

/// A mutation of a valid file: flipped bytes, a cut, inserted or removed
/// bytes, or an overwritten header word.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, kind, value) in edits {
        if bytes.is_empty() {
            bytes.push(value);
            continue;
        }
        let at = at % bytes.len();
        match kind % 5 {
            0 => bytes[at] ^= value | 1,
            1 => bytes.truncate(at),
            2 => bytes.insert(at, value),
            3 => {
                bytes.remove(at);
            }
            _ => {
                let word = (at % 4) * 4;
                if bytes.len() >= word + 4 {
                    bytes[word..word + 4].copy_from_slice(&u32::from(value).wrapping_mul(0x0101_0101).to_be_bytes());
                }
            }
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6)
}

/// What a correct reader makes of the bytes of a raw IDX file: the data
/// after the header if the magic is right and exactly the announced bytes
/// follow, else nothing. Written from the format's description, not from
/// the reader.
fn reference(bytes: &[u8], magic: u32, ndims: usize) -> Option<(Vec<u32>, Vec<u8>)> {
    let word = |i: usize| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    let head = 4 + 4 * ndims;
    if bytes.len() < head || word(0) != magic {
        return None;
    }
    let dims: Vec<u32> = (1..=ndims).map(word).collect();
    let announced: u128 = dims.iter().map(|&d| d as u128).product();
    (announced == (bytes.len() - head) as u128).then(|| (dims, bytes[head..].to_vec()))
}

/// The decompressed bytes of all gzip members of `bytes`, if they are
/// valid gzip with nothing after the last member.
fn gunzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).ok()?;
    Some(out)
}

/// How a test input is made from a valid raw file: mutated and left raw,
/// mutated then compressed (damage the IDX layer, reached through gzip),
/// or compressed then mutated (damage the gzip layer).
#[derive(Clone, Copy, Debug)]
enum Damage {
    Raw,
    MutatedThenGzipped,
    GzippedThenMutated,
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        Just(Damage::Raw),
        Just(Damage::MutatedThenGzipped),
        Just(Damage::GzippedThenMutated)
    ]
}

/// The input for `damage`, and the raw IDX bytes a correct reader must see
/// in it (`None` if it is not valid gzip).
fn make_input(raw: Vec<u8>, edits: &[(usize, u8, u8)], damage: Damage) -> (Vec<u8>, Option<Vec<u8>>) {
    match damage {
        Damage::Raw => {
            let bytes = mutate(raw, edits);
            (bytes.clone(), Some(bytes))
        }
        Damage::MutatedThenGzipped => {
            let bytes = mutate(raw, edits);
            (gzip(&bytes), Some(bytes))
        }
        Damage::GzippedThenMutated => {
            let input = mutate(gzip(&raw), edits);
            let inside = gunzip(&input);
            (input, inside)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any bytes, and any bytes after a valid magic number, give `Ok` or an
    /// error, never a panic.
    #[test]
    fn idx_reader_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), magic in any::<bool>()) {
        let with_magic = |magic: u32| [&magic.to_be_bytes()[..], &bytes].concat();
        let inputs = if magic { [with_magic(0x803), with_magic(0x801)] } else { [bytes.clone(), bytes.clone()] };
        for input in &inputs {
            let _ = parse_images(input);
            let _ = parse_labels(input);
            let _ = parse_images(&gzip(input));
            let _ = parse_labels(&gzip(input));
        }
    }

    /// Mutations of a valid image file and label file, raw or gzipped, are
    /// read exactly as the format says: what parses is what the reference
    /// reader finds in the (decompressed) bytes, and whatever it finds
    /// parses.
    #[test]
    fn idx_reader_takes_any_mutation_of_a_valid_file(edits in edits(), damage in damage()) {
        let (input, inside) = make_input(idx_images(6, 5, 4), &edits, damage);
        let expected = inside.as_deref().and_then(|raw| reference(raw, 0x803, 3));
        let parsed = parse_images(&input).ok();
        prop_assert_eq!(
            parsed.as_ref().map(|p| (p.count(), p.rows(), p.cols(), p.pixels())),
            expected.as_ref().map(|(d, data)| (d[0] as usize, d[1] as usize, d[2] as usize, &data[..]))
        );
        if let Some(parsed) = parsed {
            // whatever parses is complete: exactly the announced pixels
            prop_assert_eq!(parsed.pixels().len(), parsed.count() * parsed.rows() * parsed.cols());
        }

        let (input, inside) = make_input(idx_labels(6), &edits, damage);
        let expected = inside.as_deref().and_then(|raw| reference(raw, 0x801, 1)).map(|(_, data)| data);
        prop_assert_eq!(parse_labels(&input).ok(), expected);
    }

    /// A valid file gzipped in two members split anywhere reads as one
    /// stream; bytes after the last member that cannot start another are
    /// refused, naming where they start.
    #[test]
    fn gzip_members_split_anywhere_and_trailing_bytes_refused(
        split in any::<prop::sample::Index>(),
        tail in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let raw = idx_images(6, 5, 4);
        let split = split.index(raw.len() + 1);
        let mut gz = gzip(&raw[..split]);
        gz.extend(gzip(&raw[split..]));
        let parsed = parse_images(&gz).unwrap();
        prop_assert_eq!(parsed.pixels(), &raw[16..]);
        let members = gz.len() as u64;
        gz.extend_from_slice(&tail);
        let result = parse_images(&gz);
        if tail.is_empty() {
            prop_assert!(result.is_ok());
        } else if tail[0] != 0x1f {
            let err = result.expect_err("trailing bytes accepted");
            let names_offset = matches!(err.kind, DataErrorKind::GzipTrailingBytes { offset } if offset == members);
            prop_assert!(names_offset, "{}", err);
        } else {
            prop_assert!(result.is_err());
        }
    }

    /// Headers announcing up to 4 billion images of up to 65535² pixels
    /// are refused against the bytes actually present, raw or gzipped,
    /// without an allocation anywhere near the announced size.
    #[test]
    fn hostile_idx_headers_allocate_nothing_large(
        count in 0u32..=u32::MAX,
        rows in 0u32..=65_535,
        cols in 0u32..=65_535,
        tail in prop::collection::vec(any::<u8>(), 0..64),
        gz in any::<bool>(),
    ) {
        let mut bytes = Vec::new();
        for v in [0x803, count, rows, cols] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        bytes.extend_from_slice(&tail);
        let announced = count as u64 * rows as u64 * cols as u64;
        let input = if gz { gzip(&bytes) } else { bytes };
        let (result, largest) = largest_allocation_during(|| parse_images(&input));
        if announced != tail.len() as u64 {
            let err = result.expect_err("a header that disagrees with the data was accepted");
            let is_size_error = matches!(
                err.kind,
                DataErrorKind::TruncatedBody { .. }
                    | DataErrorKind::TrailingBytes { .. }
                    | DataErrorKind::TooLarge { .. }
                    | DataErrorKind::TooLargeForGzip { .. }
            );
            prop_assert!(is_size_error, "{}", err);
        }
        prop_assert!(largest < (2 << 20), "allocated {} bytes for a {}-byte input", largest, input.len());
    }
}

type Net = Chain![Affine<[f32; 3], 4>, Relu, Affine<[f32; 4], 2>, SoftmaxWithLoss<2>];

fn net(scale: f32) -> Net {
    Affine::from_fn(|i, j| scale * (i as f32 - j as f32), |j| j as f32)
        .then(Relu)
        .then(Affine::from_fn(|i, j| scale * (i + j) as f32, |_| 0.5))
        .then(SoftmaxWithLoss)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn model_loader_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut target = net(1.0);
        if from_bytes(&mut target, &bytes).is_err() {
            prop_assert_eq!(target, net(1.0));
        }
    }

    /// Mutated files load or are refused; a refused one leaves the net as
    /// it was, and an accepted one holds finite weights.
    #[test]
    fn model_loader_takes_any_mutation_of_a_valid_file(edits in edits()) {
        let bytes = mutate(to_bytes(&net(0.5)).unwrap(), &edits);
        let mut target = net(1.0);
        match from_bytes(&mut target, &bytes) {
            Err(_) => prop_assert_eq!(target, net(1.0)),
            Ok(()) => {
                let mut finite = true;
                target.visit_params(&mut |p| finite &= p.value.iter().all(|v| v.is_finite()));
                prop_assert!(finite);
            }
        }
    }

    #[test]
    fn hostile_model_headers_allocate_nothing_large(len in any::<u64>(), tail in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = len.to_le_bytes().to_vec();
        bytes.extend_from_slice(&tail);
        let mut target = net(1.0);
        let (result, largest) = largest_allocation_during(|| from_bytes(&mut target, &bytes));
        prop_assert!(result.is_err());
        prop_assert!(largest < (1 << 20), "allocated {} bytes", largest);
    }
}
