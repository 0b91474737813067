//! The IDX format of MNIST, Fashion-MNIST and KMNIST: a big-endian header
//! (magic, then one u32 per dimension) followed by the unsigned bytes.
//! Files may be raw or gzip-compressed; which one is told by their first
//! bytes, not their name.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use super::error::{DataError, DataErrorKind};

/// Magic number of an IDX file of unsigned bytes in 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes in 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The contents of an IDX image file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count · rows · cols` pixel bytes, image after image, row-major.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Pixels per image (rows × cols).
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.pixels_per_image();
        &self.pixels[i * n..(i + 1) * n]
    }
}

/// Reads an IDX image file (magic 0x00000803), raw or gzip-compressed.
pub fn read_images(path: impl AsRef<Path>) -> Result<IdxImages, DataError> {
    let path = path.as_ref();
    parse_images(&read_file(path)?).map_err(|e| with_path(e, path))
}

/// Reads an IDX label file (magic 0x00000801), raw or gzip-compressed.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    let path = path.as_ref();
    parse_labels(&read_file(path)?).map_err(|e| with_path(e, path))
}

/// Parses the bytes of an IDX image file, raw or gzip-compressed.
pub fn parse_images(bytes: &[u8]) -> Result<IdxImages, DataError> {
    let (dims, pixels) = parse(bytes, IMAGES_MAGIC, 3)?;
    Ok(IdxImages {
        count: dims[0] as usize,
        rows: dims[1] as usize,
        cols: dims[2] as usize,
        pixels,
    })
}

/// Parses the bytes of an IDX label file, raw or gzip-compressed.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    Ok(parse(bytes, LABELS_MAGIC, 1)?.1)
}

fn read_file(path: &Path) -> Result<Vec<u8>, DataError> {
    fs::read(path).map_err(|e| {
        let kind = if e.kind() == io::ErrorKind::NotFound {
            DataErrorKind::Missing
        } else {
            DataErrorKind::Io(e)
        };
        DataError::new(Some(path), kind)
    })
}

fn with_path(mut e: DataError, path: &Path) -> DataError {
    e.path = Some(path.to_path_buf());
    e
}

fn error(kind: DataErrorKind) -> DataError {
    DataError::new(None, kind)
}

/// The dimensions and data of an IDX file of unsigned bytes with `ndims`
/// dimensions.
fn parse(bytes: &[u8], magic: u32, ndims: usize) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        parse_gzip(bytes, magic, ndims)
    } else {
        parse_raw(bytes, magic, ndims)
    }
}

/// Checks the magic number and dimensions of a header that may be cut short,
/// returning the dimensions and the number of data bytes they announce.
fn header(head: &[u8], magic: u32, ndims: usize) -> Result<(Vec<u32>, u64), DataError> {
    let needed = 4 + 4 * ndims;
    let word = |i: usize| u32::from_be_bytes([head[4 * i], head[4 * i + 1], head[4 * i + 2], head[4 * i + 3]]);
    if head.len() >= 4 && word(0) != magic {
        return Err(error(DataErrorKind::WrongMagic {
            expected: magic,
            found: word(0),
        }));
    }
    if head.len() < needed {
        return Err(error(DataErrorKind::TruncatedHeader {
            needed,
            found: head.len(),
        }));
    }
    let dims: Vec<u32> = (1..=ndims).map(word).collect();
    let bytes = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    match bytes {
        Some(n) if usize::try_from(n).is_ok() => Ok((dims, n)),
        _ => Err(error(DataErrorKind::TooLarge { dims })),
    }
}

fn check_length(expected: u64, found: u64) -> Result<(), DataError> {
    if found < expected {
        Err(error(DataErrorKind::TruncatedBody { expected, found }))
    } else if found > expected {
        Err(error(DataErrorKind::TrailingBytes { expected }))
    } else {
        Ok(())
    }
}

fn parse_raw(bytes: &[u8], magic: u32, ndims: usize) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let head_len = (4 + 4 * ndims).min(bytes.len());
    let (dims, expected) = header(&bytes[..head_len], magic, ndims)?;
    // the header is checked against the bytes actually present before any
    // allocation, so a hostile count cannot exhaust memory
    let body = &bytes[head_len..];
    check_length(expected, body.len() as u64)?;
    Ok((dims, body.to_vec()))
}

#[cfg(feature = "gzip")]
fn parse_gzip(bytes: &[u8], magic: u32, ndims: usize) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let gzip = |e: io::Error| error(DataErrorKind::Gzip(e));
    let mut stream = flate2::read::GzDecoder::new(bytes);
    let mut head = vec![0u8; 4 + 4 * ndims];
    let got = read_up_to(&mut stream, &mut head).map_err(gzip)?;
    let (dims, expected) = header(&head[..got], magic, ndims)?;
    // Read at most one byte more than announced. The buffer grows with the
    // data actually decompressed, not with the header's claim.
    let mut body = Vec::with_capacity(expected.min(1 << 20) as usize);
    stream.take(expected + 1).read_to_end(&mut body).map_err(gzip)?;
    check_length(expected, body.len() as u64)?;
    Ok((dims, body))
}

#[cfg(not(feature = "gzip"))]
fn parse_gzip(_: &[u8], _: u32, _: usize) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    Err(error(DataErrorKind::Gzip(io::Error::new(
        io::ErrorKind::Unsupported,
        "gzip-compressed, but typenet was built without its `gzip` feature",
    ))))
}

/// Fills as much of `buf` as the stream holds; returns how much that was.
#[cfg(feature = "gzip")]
fn read_up_to(stream: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
