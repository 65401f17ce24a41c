//! Decompression: the `Read` adapter that detects the codec, drives it member by member, and
//! enforces the limits.

#[cfg(feature = "bz2")]
mod bz2;
#[cfg(feature = "gzip")]
mod gzip;
#[cfg(feature = "gzip")]
mod inflate;
#[cfg_attr(
    not(all(
        feature = "gzip",
        feature = "bz2",
        feature = "xz",
        feature = "zstd",
        feature = "lz4"
    )),
    allow(
        dead_code,
        reason = "each helper of the input buffer serves only some codecs"
    )
)]
mod input;
#[cfg(feature = "lz4")]
mod lz4;
#[cfg(any(feature = "bz2", feature = "gzip", feature = "xz", feature = "zstd"))]
mod step;
#[cfg(feature = "xz")]
mod xz;
#[cfg(feature = "gzip")]
mod zlib;
#[cfg(feature = "zstd")]
pub(crate) mod zstd;

use std::fmt;
use std::io;
use std::io::Read;

use crate::Codec;
use crate::Error;

pub(crate) use self::input::Fault;
pub(crate) use self::input::Input;

/// Settings for decompression. The default is the safe setting: every limit on.
///
/// # Example
///
/// ```
/// let mut options = brine_compress::Options::default();
/// options.max_decompressed_len = 64 << 20;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The most decompressed bytes a stream may produce, over all its members; one more byte is
    /// [`Error::LimitExceeded`].
    /// Uncompressed input passes through unmetered.
    ///
    /// Default: 4 GiB (`4 << 30`).
    pub max_decompressed_len: u64,
    /// Lifts [`Options::max_decompressed_len`] entirely, so that a decompression bomb runs
    /// until memory or disk is gone. Only for input you trust.
    ///
    /// Default: `false`.
    pub dangerous_unlimited_decompressed_len: bool,
    /// The most memory a decoder may allocate for its window or dictionary: xz's memory limit
    /// and zstd's largest window (rounded down to a power of two).
    /// gzip, bz2 and lz4 need at most a few MiB by their formats.
    /// Python writes xz and zstd streams that need at most 65 MiB (xz preset 9) and 128 MiB
    /// (zstd level 22).
    ///
    /// Default: 256 MiB (`256 << 20`).
    pub max_decoder_memory: u64,
}

impl Options {
    /// The defaults: a 4 GiB output limit and a 256 MiB decoder-memory limit.
    ///
    /// # Example
    ///
    /// ```
    /// let options = brine_compress::Options::new();
    /// assert_eq!(options.max_decompressed_len, 4 << 30);
    /// ```
    pub const fn new() -> Options {
        Options {
            max_decompressed_len: 4 << 30,
            dangerous_unlimited_decompressed_len: false,
            max_decoder_memory: 256 << 20,
        }
    }

    pub(crate) fn limit(&self) -> Option<u64> {
        if self.dangerous_unlimited_decompressed_len {
            None
        } else {
            Some(self.max_decompressed_len)
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::new()
    }
}

/// A `Read` that yields the decompressed bytes of a stream, or the bytes as they are when they
/// are not compressed. Made by [`decompress_reader`].
///
/// All members of a multi-member stream are read, as Python reads them: concatenated gzip
/// members (with zero padding between them), bz2 streams, xz streams (with stream padding)
/// and zstd and lz4 frames (with skippable frames); zlib and `.lzma` streams one after
/// another, as joblib's readers take them.
/// It returns `Ok(0)` only after the codec's end marker and trailer have been checked; input
/// that ends early is an error of kind [`io::ErrorKind::UnexpectedEof`] carrying
/// [`Error::Truncated`], never a short clean end.
/// Errors carry an [`Error`] that [`Error::from_io`] recovers.
/// After an error every further read fails with [`Error::Poisoned`].
pub struct DecompressReader<R> {
    input: Input<R>,
    codec: Option<Codec>,
    decoder: Option<Box<dyn Decode<R> + Send>>,
    state: State,
    produced: u64,
    limit: Option<u64>,
    decoder_memory: u64,
}

/// Starts decompressing `reader`, detecting the codec from its first bytes.
///
/// Input that starts with none of the magic numbers of [`Codec::detect`] (a plain pickle)
/// passes through untouched.
/// The reader buffers its input, so `reader` need not be buffered.
///
/// # Errors
///
/// [`Error::Io`] when reading the first bytes fails, and [`Error::CodecDisabled`] when the
/// input is compressed with a codec whose cargo feature is off.
///
/// # Example
///
/// ```
/// use std::io::Read;
///
/// use brine_compress::{Codec, Level, Options};
///
/// let pickle = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01K\x02\x86\x94.";
/// let compressed = brine_compress::compress(pickle, Codec::Gzip, Level::Default)?;
///
/// let mut reader = brine_compress::decompress_reader(&compressed[..], &Options::default())?;
/// assert_eq!(reader.codec(), Some(Codec::Gzip));
/// let mut out = Vec::new();
/// reader.read_to_end(&mut out)?;
/// assert_eq!(out, pickle);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decompress_reader<R: Read>(
    reader: R,
    options: &Options,
) -> Result<DecompressReader<R>, Error> {
    let mut input = Input::new(reader);
    let codec = sniff(input.peek(Codec::DETECT_LEN)?);
    let decoder = match codec {
        Some(codec) => Some(new_decoder(codec, options)?),
        None => None,
    };
    Ok(DecompressReader {
        input,
        codec,
        decoder,
        state: State::Stream,
        produced: 0,
        limit: options.limit(),
        decoder_memory: options.max_decoder_memory,
    })
}

impl<R> DecompressReader<R> {
    /// The detected codec, or `None` when the input passes through uncompressed.
    ///
    /// # Example
    ///
    /// ```
    /// let reader = brine_compress::decompress_reader(&b"\x80\x05N."[..], &Default::default())?;
    /// assert_eq!(reader.codec(), None);
    /// # Ok::<(), brine_compress::Error>(())
    /// ```
    pub fn codec(&self) -> Option<Codec> {
        self.codec
    }

    /// Compressed bytes consumed so far (bytes passed through, for uncompressed input).
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let plain = b"\x80\x05N.";
    /// let mut reader = brine_compress::decompress_reader(&plain[..], &Default::default())?;
    /// reader.read_to_end(&mut Vec::new())?;
    /// assert_eq!(reader.compressed_offset(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compressed_offset(&self) -> u64 {
        self.input.offset()
    }

    /// Decompressed bytes produced so far.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// use brine_compress::{Codec, Level};
    ///
    /// let compressed = brine_compress::compress(&[7; 1000], Codec::Gzip, Level::Default)?;
    /// let mut reader = brine_compress::decompress_reader(&compressed[..], &Default::default())?;
    /// reader.read_to_end(&mut Vec::new())?;
    /// assert_eq!(reader.decompressed_len(), 1000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decompressed_len(&self) -> u64 {
        self.produced
    }

    /// The underlying reader. Bytes it already handed over may sit in this reader's buffer.
    ///
    /// # Example
    ///
    /// ```
    /// let reader = brine_compress::decompress_reader(&b"\x80\x05N."[..], &Default::default())?;
    /// assert_eq!(reader.get_ref().len(), 0);
    /// # Ok::<(), brine_compress::Error>(())
    /// ```
    pub fn get_ref(&self) -> &R {
        self.input.get_ref()
    }
}

impl<R: Read> Read for DecompressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.read_inner(buf) {
            Ok(n) => Ok(n),
            Err(err) => {
                if !matches!(self.state, State::Failed(_)) {
                    self.state = State::Failed(err.to_string());
                }
                Err(err.into())
            }
        }
    }
}

impl<R> fmt::Debug for DecompressReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecompressReader")
            .field("codec", &self.codec)
            .field("compressed_offset", &self.input.offset())
            .field("decompressed_len", &self.produced)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// Where the reader stands between calls.
enum State {
    /// Inside a stream (a member, a frame), or passing plain input through.
    Stream,
    /// A stream ended; the next read looks for another.
    Between,
    /// All input read and checked.
    Done,
    /// An error was returned; its message.
    Failed(String),
}

/// One codec's decoder, driven by [`DecompressReader`].
trait Decode<R> {
    /// Decodes into `out`, which is never empty, returning how many bytes were written.
    /// Returns 0 only when the current stream (member, frame) has ended and its trailer checked
    /// out.
    fn decode(&mut self, input: &mut Input<R>, out: &mut [u8]) -> Result<usize, Fault>;

    /// Prepares for another stream of the same codec, which starts at the input's position.
    fn reset(&mut self) -> Result<(), Fault>;
}

fn new_decoder<R: Read>(
    codec: Codec,
    options: &Options,
) -> Result<Box<dyn Decode<R> + Send>, Error> {
    // Each enabled codec returns here; `options` is unused when none is enabled.
    let _ = options;
    #[cfg(feature = "gzip")]
    if codec == Codec::Gzip {
        return Ok(Box::new(gzip::Decoder::new()));
    }
    #[cfg(feature = "bz2")]
    if codec == Codec::Bz2 {
        return Ok(Box::new(bz2::Decoder::new()));
    }
    #[cfg(feature = "gzip")]
    if codec == Codec::Zlib {
        return Ok(Box::new(zlib::Decoder::new()));
    }
    #[cfg(feature = "xz")]
    if matches!(codec, Codec::Xz | Codec::LzmaAlone) {
        let alone = codec == Codec::LzmaAlone;
        return Ok(Box::new(xz::Decoder::new(
            options.max_decoder_memory,
            alone,
        )?));
    }
    #[cfg(feature = "zstd")]
    if codec == Codec::Zstd {
        return Ok(Box::new(zstd::Decoder::new(options.max_decoder_memory)?));
    }
    #[cfg(feature = "lz4")]
    if codec == Codec::Lz4 {
        return Ok(Box::new(lz4::Decoder::new()));
    }
    Err(Error::CodecDisabled { codec })
}

/// The codec of a stream that starts with `head`, the first [`Codec::DETECT_LEN`] bytes or all
/// of a shorter input.
///
/// Besides [`Codec::detect`], an input shorter than that which is a proper prefix of a magic
/// number counts as a stream of that codec, so that it reports truncation instead of passing
/// through: no pickle is such a prefix, since a pickle ends with STOP (`.`), a byte no magic
/// number holds.
fn sniff(head: &[u8]) -> Option<Codec> {
    const MAGICS: [(Codec, &[u8]); 6] = [
        (Codec::Gzip, &[0x1f, 0x8b]),
        (Codec::Xz, &[0xfd, b'7', b'z', b'X', b'Z', 0x00]),
        (Codec::Zstd, &[0x28, 0xb5, 0x2f, 0xfd]),
        (Codec::Lz4, &[0x04, 0x22, 0x4d, 0x18]),
        (Codec::Bz2, b"BZh11AY&SY"),
        (Codec::Bz2, b"BZh1\x17rE8P\x90"),
    ];
    if let Some(codec) = Codec::detect(head) {
        return Some(codec);
    }
    if head.is_empty() || head.len() >= Codec::DETECT_LEN {
        return None;
    }
    // A cut zlib or .lzma header: no pickle is `78` alone, nor starts with `5d 00`.
    match head {
        [0x78] => return Some(Codec::Zlib),
        [0x5d] | [0x5d, 0x00, ..] => return Some(Codec::LzmaAlone),
        _ => {}
    }
    MAGICS.iter().find_map(|&(codec, magic)| {
        let matches = head.len() < magic.len()
            && head
                .iter()
                .zip(magic)
                .enumerate()
                .all(|(i, (&byte, &want))| {
                    // The bz2 block size digit may be any of 1 to 9.
                    byte == want || (codec == Codec::Bz2 && i == 3 && (b'1'..=b'9').contains(&byte))
                });
        matches.then_some(codec)
    })
}

/// The first bytes of a zstd or lz4 skippable frame, whose fourth byte is `0x50..=0x5f`.
const SKIPPABLE_MAGIC_TAIL: [u8; 3] = [0x2a, 0x4d, 0x18];

impl<R: Read> DecompressReader<R> {
    fn read_inner(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        loop {
            match &self.state {
                State::Failed(message) => {
                    return Err(Error::Poisoned {
                        message: message.clone(),
                    });
                }
                State::Done => return Ok(0),
                State::Between => {
                    self.state = if self.next_stream()? {
                        State::Stream
                    } else {
                        State::Done
                    };
                }
                State::Stream => {
                    let (Some(codec), Some(decoder)) = (self.codec, self.decoder.as_mut()) else {
                        return self.pass_through(buf);
                    };
                    // Room for one byte over the limit, so that crossing it is seen.
                    let room = match self.limit {
                        Some(limit) => {
                            let left = limit.saturating_sub(self.produced).saturating_add(1);
                            usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()))
                        }
                        None => buf.len(),
                    };
                    let n = match decoder.decode(&mut self.input, &mut buf[..room]) {
                        Ok(n) => n,
                        Err(fault) => return Err(self.error(codec, fault)),
                    };
                    if n == 0 {
                        self.state = State::Between;
                        continue;
                    }
                    self.produced += n as u64;
                    if let Some(limit) = self.limit.filter(|&limit| self.produced > limit) {
                        return Err(Error::LimitExceeded {
                            codec,
                            limit,
                            offset: self.input.offset(),
                        });
                    }
                    return Ok(n);
                }
            }
        }
    }

    fn pass_through(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let avail = self.input.fill()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.input.consume(n);
        Ok(n)
    }

    /// After a stream ended: skips the padding the codec allows, then `true` if another stream
    /// of the same codec follows, `false` at the end of the input.
    fn next_stream(&mut self) -> Result<bool, Error> {
        let (Some(codec), Some(decoder)) = (self.codec, self.decoder.as_mut()) else {
            return Ok(false);
        };
        let padding_start = self.input.offset();
        let zeros = match codec {
            // Python's `gzip.decompress` strips zero bytes after each member.
            Codec::Gzip => self.input.skip_zeros()?,
            // The .xz format allows stream padding in multiples of four zero bytes.
            Codec::Xz => self.input.skip_zeros()?,
            Codec::Bz2 | Codec::Zstd | Codec::Lz4 | Codec::Zlib | Codec::LzmaAlone => 0,
        };
        if codec == Codec::Xz && zeros % 4 != 0 {
            return Err(Error::Corrupt {
                codec,
                offset: padding_start,
                produced: self.produced,
                reason: format!("stream padding of {zeros} bytes is not a multiple of 4"),
            });
        }
        let head = self.input.peek(Codec::DETECT_LEN)?;
        if head.is_empty() {
            return Ok(false);
        }
        let magic: &[u8] = match codec {
            Codec::Gzip => &[0x1f, 0x8b],
            Codec::Bz2 => b"BZh",
            Codec::Xz => &[0xfd, b'7', b'z', b'X', b'Z', 0x00],
            Codec::Zstd => &[0x28, 0xb5, 0x2f, 0xfd],
            Codec::Lz4 => &[0x04, 0x22, 0x4d, 0x18],
            // joblib reads zlib streams one after another, as gzip members.
            Codec::Zlib => &[0x78],
            Codec::LzmaAlone => &[0x5d, 0x00],
        };
        let skippable = match head {
            [0x50..=0x5f, rest @ ..] => {
                matches!(codec, Codec::Zstd | Codec::Lz4)
                    && (rest.starts_with(&SKIPPABLE_MAGIC_TAIL)
                        || SKIPPABLE_MAGIC_TAIL.starts_with(rest))
            }
            _ => false,
        };
        // A stream cut inside its magic still counts as a stream, so that it reports truncation.
        let starts = head.starts_with(magic) || magic.starts_with(head) || skippable;
        if !starts {
            return Err(Error::TrailingData {
                codec,
                offset: self.input.offset(),
            });
        }
        match decoder.reset() {
            Ok(()) => Ok(true),
            Err(fault) => Err(self.error(codec, fault)),
        }
    }

    fn error(&self, codec: Codec, fault: Fault) -> Error {
        let offset = self.input.offset();
        let produced = self.produced;
        match fault {
            // The input is at its end, so everything read is everything there is.
            Fault::Truncated => Error::Truncated {
                codec,
                offset: self.input.seen(),
                produced,
            },
            Fault::Corrupt(reason) => Error::Corrupt {
                codec,
                offset,
                produced,
                reason,
            },
            Fault::Memory(reason) => Error::MemoryLimit {
                codec,
                limit: self.decoder_memory,
                offset,
                reason,
            },
            Fault::Io(err) => Error::Io(err),
        }
    }
}
