//! The IDX format of MNIST, Fashion-MNIST and KMNIST: a big-endian header
//! (magic, then one u32 per dimension) followed by the unsigned bytes.
//! Files may be raw or gzip-compressed; which one is told by their first
//! bytes, not their name. A gzip file may hold several members one after
//! another (as `cat a.gz b.gz` makes); anything else after the last member
//! is an error.
//!
//! A file is read in two steps: its header first, checked on its own (and,
//! by [`Dataset::load`](super::Dataset::load), against the data set's type
//! and the other file), then its data. Nothing the size of the header's
//! claim is allocated before the data is known to be there: a raw file's
//! length is compared with the claim before the data is read, a gzip
//! file's claim must be within what its compressed size can expand to, and
//! decompressed data is kept only as it arrives, up to the claim.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::error::{DataError, DataErrorKind};
use crate::io::regular::{self, OpenError};

/// Magic number of an IDX file of unsigned bytes in 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes in 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The most a deflate stream expands: 1032 bytes out per byte in (one
/// 258-byte match per two bits; the zlib FAQ's "1032:1"). A gzip file of
/// `n` bytes cannot hold more than `1032 · n` bytes of data.
#[cfg(feature = "gzip")]
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The contents of an IDX image file: `count` images of `rows × cols`
/// pixels, always exactly `count · rows · cols` of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    count: usize,
    rows: usize,
    cols: usize,
    pixels: Vec<u8>,
}

impl IdxImages {
    /// Images from their dimensions (as an IDX header has them) and their
    /// pixels, image after image, row-major. An error if there are not
    /// exactly `count · rows · cols` pixels, with the kinds a file with that
    /// header and data would give.
    ///
    /// ```
    /// use typenet::data::IdxImages;
    ///
    /// let two = IdxImages::new(2, 1, 3, vec![1, 2, 3, 4, 5, 6]).unwrap();
    /// assert_eq!(two.image(1), Some(&[4, 5, 6][..]));
    /// assert!(IdxImages::new(3, 1, 3, vec![1, 2, 3, 4, 5, 6]).is_err());
    /// ```
    pub fn new(count: u32, rows: u32, cols: u32, pixels: Vec<u8>) -> Result<Self, DataError> {
        let dims = [count, rows, cols];
        check_length(data_len(&dims)?, pixels.len() as u64)?;
        Ok(IdxImages::from_parts(&dims, pixels))
    }

    /// From dimensions already checked against the pixels.
    fn from_parts(dims: &[u32], pixels: Vec<u8>) -> Self {
        IdxImages {
            count: dims[0] as usize,
            rows: dims[1] as usize,
            cols: dims[2] as usize,
            pixels,
        }
    }

    /// Number of images.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Rows per image.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns per image.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Pixels per image (rows × cols).
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// All `count · rows · cols` pixel bytes, image after image, row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixel bytes, without a copy.
    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }

    /// The pixels of image `i`, or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let n = self.pixels_per_image();
        (i < self.count).then(|| &self.pixels[i * n..(i + 1) * n])
    }
}

/// Reads an IDX image file (magic 0x00000803), raw or gzip-compressed.
/// Only a regular file is read: anything else (a FIFO, a device) is
/// refused with [`DataErrorKind::NotAFile`], without waiting.
pub fn read_images(path: impl AsRef<Path>) -> Result<IdxImages, DataError> {
    let path = path.as_ref();
    let file = open_file(path, IMAGES_MAGIC, 3)?;
    let dims = file.dims().to_vec();
    let pixels = file.read_data().map_err(|e| with_path(e, path))?;
    Ok(IdxImages::from_parts(&dims, pixels))
}

/// Reads an IDX label file (magic 0x00000801), raw or gzip-compressed;
/// only a regular file, as [`read_images`].
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    let path = path.as_ref();
    open_file(path, LABELS_MAGIC, 1)?
        .read_data()
        .map_err(|e| with_path(e, path))
}

/// Parses the bytes of an IDX image file, raw or gzip-compressed.
pub fn parse_images(bytes: &[u8]) -> Result<IdxImages, DataError> {
    let file = open(bytes, Some(bytes.len() as u64), IMAGES_MAGIC, 3)?;
    let dims = file.dims().to_vec();
    Ok(IdxImages::from_parts(&dims, file.read_data()?))
}

/// Parses the bytes of an IDX label file, raw or gzip-compressed.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    open(bytes, Some(bytes.len() as u64), LABELS_MAGIC, 1)?.read_data()
}

pub(crate) fn with_path(mut e: DataError, path: &Path) -> DataError {
    e.path = Some(path.to_path_buf());
    e
}

fn error(kind: DataErrorKind) -> DataError {
    DataError::new(None, kind)
}

/// An IDX file whose header has been read and checked, and whose data has
/// not been read yet.
pub(crate) struct Opened<R: BufRead> {
    dims: Vec<u32>,
    /// Data bytes the header announces.
    len: u64,
    /// The size of what follows the header in a raw file, or of the whole
    /// of a gzip file, when known (a regular file or bytes in memory).
    size: Option<u64>,
    data: Data<R>,
}

/// The stream of an opened file's data bytes.
enum Data<R: BufRead> {
    /// Right after the header of a raw file.
    Raw(R),
    /// Right after the header in the decompressed stream.
    #[cfg(feature = "gzip")]
    Gzip(Box<gzip::Members<io::Chain<io::Cursor<Vec<u8>>, R>>>),
}

impl<R: BufRead> Opened<R> {
    /// The header's dimensions (count first).
    pub(crate) fn dims(&self) -> &[u32] {
        &self.dims
    }

    /// Reads the data: exactly the bytes the header announces, or an error.
    ///
    /// The header's claim is first checked against the file's size: a raw
    /// file must hold exactly the announced bytes, a gzip file must be
    /// large enough to expand to them. Then at most one byte more than
    /// announced is read; the buffer grows with the data that actually
    /// arrives (a raw file's, known to be there, is read into one).
    pub(crate) fn read_data(self) -> Result<Vec<u8>, DataError> {
        // `len` is at most `isize::MAX`, so this cannot overflow
        let limit = self.len + 1;
        let data = match self.data {
            Data::Raw(mut stream) => {
                if let Some(found) = self.size {
                    check_length(self.len, found)?;
                }
                read_at_most(&mut stream, limit, self.size.map_or(0, |_| limit)).map_err(io_error)?
            }
            #[cfg(feature = "gzip")]
            Data::Gzip(mut stream) => {
                if let Some(compressed) = self.size {
                    let most = compressed.saturating_mul(MAX_DEFLATE_RATIO);
                    if self.len > most {
                        return Err(error(DataErrorKind::TooLargeForGzip {
                            expected: self.len,
                            compressed,
                        }));
                    }
                }
                read_at_most(&mut stream, limit, 0).map_err(gzip::data_error)?
            }
        };
        check_length(self.len, data.len() as u64)?;
        Ok(data)
    }
}

/// Opens the IDX file at `path` and reads its header; errors name the file.
/// Only a regular file is read: a FIFO (which would wait for a writer), a
/// socket, a terminal or another device is refused, and opening never
/// waits.
pub(crate) fn open_file(path: &Path, magic: u32, ndims: usize) -> Result<Opened<BufReader<File>>, DataError> {
    let at = |kind| DataError::new(Some(path), kind);
    let (file, metadata) = regular::open(path).map_err(|e| match e {
        OpenError::NotAFile(found) => at(DataErrorKind::NotAFile { found }),
        OpenError::Io(e) if e.kind() == io::ErrorKind::NotFound => at(DataErrorKind::Missing),
        OpenError::Io(e) => at(DataErrorKind::Io(e)),
    })?;
    open(BufReader::new(file), Some(metadata.len()), magic, ndims).map_err(|e| with_path(e, path))
}

/// Reads and checks the header of an IDX file of unsigned bytes with
/// `ndims` dimensions from `input`, which holds `size` bytes if known.
fn open<R: BufRead>(mut input: R, size: Option<u64>, magic: u32, ndims: usize) -> Result<Opened<R>, DataError> {
    let mut head = vec![0u8; 4 + 4 * ndims];
    let got = read_up_to(&mut input, &mut head).map_err(io_error)?;
    head.truncate(got);
    if head.starts_with(&GZIP_MAGIC) {
        return open_gzip(head, input, size, magic, ndims);
    }
    let (dims, len) = header(&head, magic, ndims)?;
    Ok(Opened {
        dims,
        len,
        size: size.map(|size| size.saturating_sub(got as u64)),
        data: Data::Raw(input),
    })
}

#[cfg(feature = "gzip")]
fn open_gzip<R: BufRead>(
    start: Vec<u8>,
    input: R,
    size: Option<u64>,
    magic: u32,
    ndims: usize,
) -> Result<Opened<R>, DataError> {
    let mut stream = gzip::Members::new(io::Cursor::new(start).chain(input));
    let mut head = vec![0u8; 4 + 4 * ndims];
    let got = read_up_to(&mut stream, &mut head).map_err(gzip::data_error)?;
    let (dims, len) = header(&head[..got], magic, ndims)?;
    Ok(Opened {
        dims,
        len,
        size,
        data: Data::Gzip(Box::new(stream)),
    })
}

#[cfg(not(feature = "gzip"))]
fn open_gzip<R: BufRead>(_: Vec<u8>, _: R, _: Option<u64>, _: u32, _: usize) -> Result<Opened<R>, DataError> {
    Err(error(DataErrorKind::Gzip(io::Error::new(
        io::ErrorKind::Unsupported,
        "gzip-compressed, but typenet was built without its `gzip` feature",
    ))))
}

/// The number of data bytes `dims` announce, if they could be held in
/// memory at all (the product of all dimensions, and of all but the first,
/// one item's size, at most `isize::MAX`, the most a `Vec` can hold).
fn data_len(dims: &[u32]) -> Result<u64, DataError> {
    let product = |dims: &[u32]| {
        dims.iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
            .filter(|&n| isize::try_from(n).is_ok())
    };
    match (product(dims), product(&dims[1..])) {
        (Some(n), Some(_)) => Ok(n),
        _ => Err(error(DataErrorKind::TooLarge { dims: dims.to_vec() })),
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
    let len = data_len(&dims)?;
    Ok((dims, len))
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

/// Fills as much of `buf` as the stream holds; returns how much that was.
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

/// Reads until the end of the stream or `limit` bytes, whichever comes
/// first. The buffer starts at `reserve` bytes (at most `limit`) and then
/// grows with the data actually read, doubling, never past `limit`; an
/// allocation that fails is an `OutOfMemory` error, not an abort.
fn read_at_most(stream: &mut impl Read, limit: u64, reserve: u64) -> io::Result<Vec<u8>> {
    const FIRST: u64 = 64 << 10;
    fn grow(buf: &mut Vec<u8>, by: u64) -> io::Result<()> {
        let out_of_memory = || io::Error::from(io::ErrorKind::OutOfMemory);
        let by = usize::try_from(by).map_err(|_| out_of_memory())?;
        buf.try_reserve_exact(by).map_err(|_| out_of_memory())?;
        buf.resize(buf.len() + by, 0);
        Ok(())
    }
    let mut buf = Vec::new();
    grow(&mut buf, reserve.min(limit))?;
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            let room = limit - filled as u64;
            if room == 0 {
                break;
            }
            grow(&mut buf, room.min((filled as u64).max(FIRST)))?;
        }
        match stream.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

fn io_error(e: io::Error) -> DataError {
    error(DataErrorKind::Io(e))
}

#[cfg(feature = "gzip")]
mod gzip {
    //! Gzip streams of one or more members.

    use std::fmt;
    use std::io::{self, BufRead, Read};

    use super::{DataError, DataErrorKind, error, io_error};

    /// The decompressed data of the gzip members of a stream, one after
    /// another (RFC 1952 allows any number); bytes after the last member
    /// that do not start another one are an error, not ignored.
    pub(super) struct Members<R: BufRead> {
        /// The member being read; `None` after the last.
        member: Option<flate2::bufread::GzDecoder<Counted<R>>>,
        /// Where the current member starts in the compressed stream.
        start: u64,
        /// How many members have ended.
        ended: usize,
    }

    impl<R: BufRead> Members<R> {
        pub(super) fn new(input: R) -> Self {
            Members {
                member: Some(flate2::bufread::GzDecoder::new(Counted { inner: input, count: 0 })),
                start: 0,
                ended: 0,
            }
        }
    }

    impl<R: BufRead> Read for Members<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if buf.is_empty() {
                return Ok(0);
            }
            loop {
                let Some(member) = &mut self.member else {
                    return Ok(0);
                };
                match member.read(buf) {
                    Ok(0) => {
                        // the member's trailer has been read and checked
                        let Some(member) = self.member.take() else {
                            return Ok(0);
                        };
                        let mut rest = member.into_inner();
                        self.ended += 1;
                        if rest.fill_buf()?.is_empty() {
                            return Ok(0);
                        }
                        self.start = rest.count;
                        self.member = Some(flate2::bufread::GzDecoder::new(rest));
                    }
                    Ok(n) => return Ok(n),
                    // no gzip header where a next member would start: the
                    // file's own failures and interruptions aside, that is
                    // data after the gzip stream
                    Err(e) if self.ended > 0 && member.header().is_none() && !is_read_failure(&e) => {
                        self.member = None;
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            NotAMember { offset: self.start },
                        ));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// The error of a decompressed stream as a data error: the file's, the
    /// compressed data's, or bytes after the last member.
    pub(super) fn data_error(e: io::Error) -> DataError {
        if !e
            .get_ref()
            .is_some_and(|i| i.is::<ReadFailed>() || i.is::<NotAMember>())
        {
            return error(DataErrorKind::Gzip(e));
        }
        let kind = e.kind();
        let Some(inner) = e.into_inner() else {
            return error(DataErrorKind::Gzip(kind.into()));
        };
        match inner.downcast::<ReadFailed>() {
            Ok(failed) => io_error(failed.0),
            Err(inner) => match inner.downcast::<NotAMember>() {
                Ok(not) => error(DataErrorKind::GzipTrailingBytes { offset: not.offset }),
                Err(other) => error(DataErrorKind::Gzip(io::Error::new(kind, other))),
            },
        }
    }

    /// A failure of the file underneath a gzip stream, told apart from a
    /// flaw in the compressed data.
    #[derive(Debug)]
    struct ReadFailed(io::Error);

    impl fmt::Display for ReadFailed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fmt(f)
        }
    }

    impl std::error::Error for ReadFailed {}

    /// Bytes after a gzip member that do not start another one.
    #[derive(Debug)]
    struct NotAMember {
        offset: u64,
    }

    impl fmt::Display for NotAMember {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "the bytes from offset {} are not a gzip member", self.offset)
        }
    }

    impl std::error::Error for NotAMember {}

    fn is_read_failure(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::Interrupted || e.get_ref().is_some_and(|i| i.is::<ReadFailed>())
    }

    /// A reader that counts the bytes taken from it and marks its own
    /// errors as [`ReadFailed`].
    struct Counted<R> {
        inner: R,
        count: u64,
    }

    impl<R: BufRead> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf).map_err(mark)?;
            self.count += n as u64;
            Ok(n)
        }
    }

    impl<R: BufRead> BufRead for Counted<R> {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            self.inner.fill_buf().map_err(mark)
        }

        fn consume(&mut self, amount: usize) {
            self.inner.consume(amount);
            self.count += amount as u64;
        }
    }

    fn mark(e: io::Error) -> io::Error {
        match e.kind() {
            io::ErrorKind::Interrupted => e,
            kind => io::Error::new(kind, ReadFailed(e)),
        }
    }
}
