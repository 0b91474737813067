//! The IDX reader and the model loader take any bytes: arbitrary ones and
//! mutations of valid files give `Ok` or a typed error, never a panic, and
//! a header's claims are checked against the bytes present before anything
//! the size of those claims is allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn idx_reader_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_images(&bytes);
        let _ = parse_labels(&bytes);
        let _ = parse_images(&gzip(&bytes));
    }

    #[test]
    fn idx_reader_takes_any_mutation_of_a_valid_file(edits in edits(), gz in any::<bool>()) {
        let (images, labels) = (idx_images(6, 5, 4), idx_labels(6));
        let (images, labels) = if gz { (gzip(&images), gzip(&labels)) } else { (images, labels) };
        if let Ok(parsed) = parse_images(&mutate(images, &edits)) {
            // whatever parses is complete: exactly the announced pixels
            prop_assert_eq!(parsed.pixels.len(), parsed.count * parsed.rows * parsed.cols);
        }
        if let Ok(parsed) = parse_labels(&mutate(labels, &edits)) {
            prop_assert!(parsed.len() <= 1 << 20);
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
                DataErrorKind::TruncatedBody { .. } | DataErrorKind::TrailingBytes { .. } | DataErrorKind::TooLarge { .. }
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
                target.visit_params(0, &mut |p| finite &= p.value.iter().all(|v| v.is_finite()));
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
