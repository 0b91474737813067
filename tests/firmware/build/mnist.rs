//! The first MNIST test digits, read from the gzip-compressed IDX files in
//! data/mnist. The crate's own reader needs `std`, and a build dependency
//! on typenet with `std` would change the host reference's float math (its
//! `exp` would come from the host's C library instead of `libm`, as on the
//! device), so the few lines of IDX parsing are repeated here.

use std::io::Read;
use std::path::Path;

/// `count` images and their labels from the start of the test set.
pub fn test_digits(dir: &Path, count: usize) -> (Vec<[[u8; 28]; 28]>, Vec<u8>) {
    let images = read(&dir.join("t10k-images-idx3-ubyte.gz"), 0x0803, 3, count * 784);
    let labels = read(&dir.join("t10k-labels-idx1-ubyte.gz"), 0x0801, 1, count);
    let images = images
        .chunks_exact(784)
        .map(|image| core::array::from_fn(|r| core::array::from_fn(|c| image[r * 28 + c])))
        .collect();
    (images, labels)
}

/// The first `len` data bytes of an IDX file after checking its magic
/// number and that it holds at least that many.
fn read(path: &Path, magic: u32, dims: usize, len: usize) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .take((4 + 4 * dims + len) as u64)
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let word = |i: usize| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    assert!(
        bytes.len() == 4 + 4 * dims + len,
        "{}: shorter than {len} bytes of data",
        path.display()
    );
    assert!(
        word(0) == magic,
        "{}: magic {:#x}, expected {magic:#x}",
        path.display(),
        word(0)
    );
    if dims == 3 {
        assert!(
            word(2) == 28 && word(3) == 28,
            "{}: images are not 28×28",
            path.display()
        );
    }
    bytes.split_off(4 + 4 * dims)
}
