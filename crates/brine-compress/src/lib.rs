//! Compressed pickles, as Python writes them: `gzip.compress(pickle.dumps(obj))` and its
//! siblings for bz2, lzma (xz and the legacy `.lzma` format), zlib, zstandard and lz4.frame
//! (joblib's compressors among them).
//!
//! This crate turns a compressed byte stream into the pickle bytes inside it and back:
//!
//! - [`Codec::detect`] recognises gzip, bz2, xz, zstd, lz4, zlib and `.lzma` streams by their
//!   magic bytes;
//!   anything else, such as a plain pickle starting with PROTO (`0x80`), passes through.
//! - [`decompress_reader`] and [`compress_writer`] are streaming `Read` and `Write` adapters
//!   that work in constant memory on streams of any length; [`decompress`] and [`compress`]
//!   do the same for byte slices.
//! - Decompression has a limit on its output, 4 GiB by default ([`Options`]), and on decoder
//!   memory, so a decompression bomb or an oversized window is an error naming the limit.
//! - A stream that ends before the codec's end marker, or fails a checksum, is an error that
//!   names the codec and the position; a prefix is never passed off as the whole.
//! - Multi-member input reads as Python reads it: concatenated gzip members, bz2 and xz
//!   streams, zstd and lz4 frames.
//!
//! It knows nothing about pickles themselves: it neither parses nor checks the bytes it
//! decompresses, and decompressing is never unpickling.
//! It does not do raw deflate, lz4's block or legacy formats, zstd dictionaries, or the
//! archive formats (zip, tar) that hold pickles (brine-container reads those); it does not
//! guess a codec from a file name.
//!
//! # Example
//!
//! ```
//! use brine_compress::{Codec, Level, Options};
//!
//! let pickle = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01K\x02\x86\x94.";
//! let compressed = brine_compress::compress(pickle, Codec::Xz, Level::Default)?;
//! assert_eq!(Codec::detect(&compressed), Some(Codec::Xz));
//!
//! // Compressed or not, `decompress` gives back the pickle.
//! assert_eq!(brine_compress::decompress(&compressed, &Options::default())?, pickle);
//! assert_eq!(brine_compress::decompress(pickle, &Options::default())?, pickle);
//! # Ok::<(), brine_compress::Error>(())
//! ```
//!
//! # Cargo features
//!
//! Each codec is a feature, and all are on by default.
//! A codec whose feature is off is still detected and named, and using it is
//! [`Error::CodecDisabled`].
//!
//! - `gzip`: gzip and zlib through `flate2` with its pure-Rust backend (miniz_oxide).
//! - `bz2`: bzip2 through `bzip2` with its pure-Rust backend (libbz2-rs-sys).
//! - `xz`: the .xz container and the legacy `.lzma` format through `liblzma`, which builds
//!   the C liblzma it bundles.
//! - `zstd`: Zstandard through `zstd`, which builds the C libzstd it bundles.
//! - `lz4`: the LZ4 frame format; blocks through the pure-Rust `lz4_flex`, the frame parsed
//!   here.
//!
//! # Python compatibility
//!
//! Every codec reads what the Python module writes by default and writes what it reads; the
//! default levels are Python's ([`Codec::default_level`]).
//! One difference is deliberate: after a complete bz2 or xz stream, Python's
//! `bz2.decompress` and `lzma.decompress` silently drop trailing bytes that do not decode,
//! even a corrupt second stream; brine reports them as [`Error::TrailingData`] or
//! [`Error::Corrupt`].
//! zstd frames written by [`compress_writer`] do not record their content size (the stream's
//! length is unknown when the header is written), so Python's
//! `zstandard.ZstdDecompressor().decompress` refuses them; `stream_reader` or
//! `decompressobj` read them, and [`compress`] records the size.

#![forbid(unsafe_code)]

mod codec;
mod error;
mod read;
mod write;

use std::io::Read;

#[doc(inline)]
pub use crate::codec::Codec;
#[doc(inline)]
pub use crate::codec::Compression;
#[doc(inline)]
pub use crate::codec::Level;
#[doc(inline)]
pub use crate::error::Error;
#[doc(inline)]
pub use crate::read::DecompressReader;
#[doc(inline)]
pub use crate::read::Options;
#[doc(inline)]
pub use crate::read::decompress_reader;
#[doc(inline)]
pub use crate::write::CompressWriter;
#[doc(inline)]
pub use crate::write::compress_writer;

/// Compresses `data` into a new buffer with `codec` at `level`.
///
/// The zstd and lz4 frame headers record the content size, as Python's one-shot `compress`
/// functions do.
///
/// # Errors
///
/// [`Error::LevelOutOfRange`] for a level outside [`Codec::level_range`] and
/// [`Error::CodecDisabled`] when the codec's cargo feature is off.
///
/// # Example
///
/// ```
/// use brine_compress::{Codec, Level};
///
/// let compressed = brine_compress::compress(&[0; 10_000], Codec::Gzip, Level::Best)?;
/// assert!(compressed.len() < 100);
/// assert_eq!(Codec::detect(&compressed), Some(Codec::Gzip));
/// # Ok::<(), brine_compress::Error>(())
/// ```
pub fn compress(data: &[u8], codec: Codec, level: Level) -> Result<Vec<u8>, Error> {
    use std::io::Write;

    let mut writer = CompressWriter::new(Vec::new(), codec, level, Some(data.len() as u64))?;
    writer.write_all(data).map_err(Error::from_io)?;
    writer.finish()
}

/// Decompresses `data` whatever its codec, or returns a copy of it when it is not compressed.
///
/// # Errors
///
/// [`Error::Truncated`] and [`Error::Corrupt`] for damaged input, [`Error::LimitExceeded`]
/// and [`Error::MemoryLimit`] when a limit of `options` is crossed,
/// [`Error::TrailingData`] for bytes after the last stream, and [`Error::CodecDisabled`] when
/// the codec's cargo feature is off.
///
/// # Example
///
/// ```
/// use brine_compress::{Codec, Error, Level, Options};
///
/// let bomb = brine_compress::compress(&vec![0; 1 << 20], Codec::Zstd, Level::Default)?;
/// let mut options = Options::default();
/// options.max_decompressed_len = 1000;
/// let err = brine_compress::decompress(&bomb, &options).unwrap_err();
/// assert!(matches!(err, Error::LimitExceeded { limit: 1000, .. }));
/// # Ok::<(), Error>(())
/// ```
pub fn decompress(data: &[u8], options: &Options) -> Result<Vec<u8>, Error> {
    #[cfg(feature = "zstd")]
    if Codec::detect(data) == Some(Codec::Zstd) {
        if let Some(out) = read::zstd::decompress_whole(data, options.limit()) {
            return Ok(out);
        }
    }
    let mut reader = decompress_reader(data, options)?;
    let mut out = Vec::new();
    reader.read_to_end(&mut out).map_err(Error::from_io)?;
    Ok(out)
}

/// The crate README, whose examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
