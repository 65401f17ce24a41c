//! The one error type of the crate, with the codec and stream position each failure happened at.

use std::io;

use crate::Codec;

/// Everything that can go wrong while parsing a codec name, compressing or decompressing.
///
/// Decompression errors carry the codec and two positions:
/// `offset` counts the compressed bytes consumed when the failure was detected
/// (exact for the framing that brine parses itself: gzip headers and trailers, the lz4 frame;
/// inside a codec's body it is the end of the last input chunk handed to the codec),
/// and `produced` counts the decompressed bytes handed out before it.
///
/// Inside [`DecompressReader`](crate::DecompressReader) an `Error` travels as the payload of an
/// [`io::Error`]; [`Error::from_io`] gets it back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A codec name that is none of the known ones.
    #[error("unknown codec `{name}`: expected one of gzip, bz2, xz, zstd, lz4, zlib, lzma")]
    UnknownCodec {
        /// The name as given.
        name: String,
    },
    /// A `CODEC:LEVEL` string whose level is not an integer.
    #[error("invalid level `{text}` for {codec}: expected an integer in {min}..={max}")]
    InvalidLevel {
        /// The codec the level was given for.
        codec: Codec,
        /// The level as given.
        text: String,
        /// The lowest level the codec accepts.
        min: i32,
        /// The highest level the codec accepts.
        max: i32,
    },
    /// A level outside the codec's range (see [`Codec::level_range`]).
    #[error("level {level} is out of range for {codec}: expected {min}..={max}")]
    LevelOutOfRange {
        /// The codec the level was given for.
        codec: Codec,
        /// The level as given.
        level: i32,
        /// The lowest level the codec accepts.
        min: i32,
        /// The highest level the codec accepts.
        max: i32,
    },
    /// The codec is known but this build left out its cargo feature.
    #[error("codec {codec} is not enabled: build brine-compress with its `{codec}` feature")]
    CodecDisabled {
        /// The codec asked for.
        codec: Codec,
    },
    /// The stream decompresses to more bytes than
    /// [`Options::max_decompressed_len`](crate::Options::max_decompressed_len) allows.
    #[error(
        "{codec} stream decompresses to more than the limit of {limit} bytes \
         (at compressed offset {offset}); raise `Options::max_decompressed_len` for trusted input"
    )]
    LimitExceeded {
        /// The codec of the stream.
        codec: Codec,
        /// The limit in force, in decompressed bytes.
        limit: u64,
        /// Compressed bytes consumed when the limit was crossed.
        offset: u64,
    },
    /// The stream asks for a larger decoder window or dictionary than
    /// [`Options::max_decoder_memory`](crate::Options::max_decoder_memory) allows.
    #[error(
        "{codec} stream needs more decoder memory than the limit of {limit} bytes \
         (at compressed offset {offset}): {reason}"
    )]
    MemoryLimit {
        /// The codec of the stream.
        codec: Codec,
        /// The limit in force, in bytes.
        limit: u64,
        /// Compressed bytes consumed when the codec refused.
        offset: u64,
        /// The codec's own words.
        reason: String,
    },
    /// The input ended before the codec's end-of-stream marker (and trailer, where it has one).
    #[error(
        "truncated {codec} stream: input ended at compressed offset {offset}, \
         after {produced} decompressed bytes, before the end of the stream"
    )]
    Truncated {
        /// The codec of the stream.
        codec: Codec,
        /// The compressed length actually present.
        offset: u64,
        /// Decompressed bytes handed out before the input ran out.
        produced: u64,
    },
    /// The codec rejected its input: a bad header, bad data or a failed checksum.
    #[error(
        "corrupt {codec} stream at compressed offset {offset}, \
         after {produced} decompressed bytes: {reason}"
    )]
    Corrupt {
        /// The codec of the stream.
        codec: Codec,
        /// Compressed bytes consumed when the failure was detected.
        offset: u64,
        /// Decompressed bytes handed out before it.
        produced: u64,
        /// What was wrong, in the codec's words.
        reason: String,
    },
    /// After a complete stream, bytes follow that neither start another stream of the same codec
    /// nor are padding the codec allows.
    #[error(
        "trailing data after the {codec} stream at compressed offset {offset}: \
         it does not start another {codec} stream"
    )]
    TrailingData {
        /// The codec of the stream.
        codec: Codec,
        /// Offset of the first trailing byte.
        offset: u64,
    },
    /// A [`DecompressReader`](crate::DecompressReader) was read again after it failed.
    #[error("decompression failed earlier and cannot go on: {message}")]
    Poisoned {
        /// The message of the first error.
        message: String,
    },
    /// The underlying reader or writer failed, or a compressor reported an error.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

impl Error {
    /// Recovers a brine `Error` from an [`io::Error`] returned by
    /// [`DecompressReader`](crate::DecompressReader) or [`CompressWriter`](crate::CompressWriter),
    /// wrapping any other I/O error as [`Error::Io`].
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// use brine_compress::{Error, Options};
    ///
    /// let truncated = [0x1f, 0x8b, 0x08];
    /// let mut reader = brine_compress::decompress_reader(&truncated[..], &Options::default())?;
    /// let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
    /// assert!(matches!(Error::from_io(err), Error::Truncated { .. }));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_io(err: io::Error) -> Error {
        if !err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Error::Io(err);
        }
        let kind = err.kind();
        match err.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(brine)) => *brine,
            // Not reached: the payload was checked to be an `Error` above.
            Some(Err(other)) => Error::Io(io::Error::new(kind, other)),
            None => Error::Io(io::Error::from(kind)),
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match &err {
            Error::Io(inner) => return io::Error::new(inner.kind(), err),
            Error::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            Error::UnknownCodec { .. }
            | Error::InvalidLevel { .. }
            | Error::LevelOutOfRange { .. } => io::ErrorKind::InvalidInput,
            Error::CodecDisabled { .. } => io::ErrorKind::Unsupported,
            Error::Poisoned { .. } => io::ErrorKind::Other,
            Error::LimitExceeded { .. }
            | Error::MemoryLimit { .. }
            | Error::Corrupt { .. }
            | Error::TrailingData { .. } => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, err)
    }
}
