//! Compression: the `Write` adapter over each codec's encoder, with an explicit `finish`.

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::io::Write;

use crate::Codec;
use crate::Error;
use crate::Level;

/// A `Write` that compresses into an inner writer. Made by [`compress_writer`].
///
/// Call [`CompressWriter::finish`] at the end: it writes the codec's end marker and trailer,
/// flushes, and hands back the inner writer.
/// Dropping the writer without `finish` writes nothing more: the inner writer is left with a
/// stream that lacks its end marker, which every reader (brine's and Python's) reports as
/// truncated instead of taking the prefix for the whole.
/// Dropping never panics.
///
/// Streams are written as Python writes them by default: gzip with no file name and a zero
/// modification time; xz with a CRC64 check; zstd with a content checksum; lz4 frames of
/// linked 64 KiB blocks with a content checksum.
pub struct CompressWriter<W: Write> {
    codec: Codec,
    /// `None` once finished.
    encoder: Option<Encoder<W>>,
}

/// Starts compressing into `writer` with `codec` at `level`.
///
/// The writer buffers only what the codec needs (one block, a window), so a stream of any
/// length compresses in constant memory; wrap `writer` in a `BufWriter` if it is slow to take
/// small writes.
///
/// # Errors
///
/// [`Error::LevelOutOfRange`] for a level outside [`Codec::level_range`],
/// [`Error::CodecDisabled`] when the codec's cargo feature is off, and [`Error::Io`] when the
/// codec cannot set itself up.
///
/// # Example
///
/// ```
/// use std::io::Write;
///
/// use brine_compress::{Codec, Level};
///
/// let mut writer = brine_compress::compress_writer(Vec::new(), Codec::Zstd, Level::Precise(19))?;
/// writer.write_all(b"\x80\x05N.")?;
/// let compressed: Vec<u8> = writer.finish()?;
/// assert_eq!(Codec::detect(&compressed), Some(Codec::Zstd));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compress_writer<W: Write>(
    writer: W,
    codec: Codec,
    level: Level,
) -> Result<CompressWriter<W>, Error> {
    CompressWriter::new(writer, codec, level, None)
}

impl<W: Write> CompressWriter<W> {
    /// `content_len`, when known, goes into the zstd and lz4 frame headers, as Python's
    /// one-shot `compress` functions put it there.
    pub(crate) fn new(
        writer: W,
        codec: Codec,
        level: Level,
        content_len: Option<u64>,
    ) -> Result<CompressWriter<W>, Error> {
        let level = codec.resolve_level(level)?;
        codec.check_enabled()?;
        let encoder = Encoder::new(Gate::new(writer), codec, level, content_len)?;
        Ok(CompressWriter {
            codec,
            encoder: Some(encoder),
        })
    }

    /// The codec being written.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_compress::{Codec, Level};
    ///
    /// let writer = brine_compress::compress_writer(Vec::new(), Codec::Gzip, Level::Fastest)?;
    /// assert_eq!(writer.codec(), Codec::Gzip);
    /// # Ok::<(), brine_compress::Error>(())
    /// ```
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Writes the end of the stream, flushes, and returns the inner writer.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the inner writer or the codec fails.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// use brine_compress::{Codec, Level};
    ///
    /// let mut writer = brine_compress::compress_writer(Vec::new(), Codec::Bz2, Level::Default)?;
    /// writer.write_all(b"\x80\x05N.")?;
    /// let compressed = writer.finish()?;
    /// assert_eq!(brine_compress::decompress(&compressed, &Default::default())?, b"\x80\x05N.");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(mut self) -> Result<W, Error> {
        let Some(encoder) = self.encoder.take() else {
            // `finish` takes `self`, and only `finish` and `drop` take the encoder.
            return Err(Error::Io(io::Error::other(
                "compress writer already finished",
            )));
        };
        let mut gate = encoder.finish().map_err(Error::from_io)?;
        gate.inner.flush()?;
        Ok(gate.inner)
    }

    /// The inner writer.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_compress::{Codec, Level};
    ///
    /// let writer = brine_compress::compress_writer(Vec::new(), Codec::Xz, Level::Default)?;
    /// assert!(writer.get_ref().len() <= 12);
    /// # Ok::<(), brine_compress::Error>(())
    /// ```
    pub fn get_ref(&self) -> &W {
        match &self.encoder {
            Some(encoder) => &encoder.gate().inner,
            // Only `finish` and `drop` take the encoder, and both consume the writer.
            None => unreachable!("compress writer used after finish"),
        }
    }
}

impl<W: Write> Write for CompressWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.encoder_mut()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder_mut()?.flush()
    }
}

impl<W: Write> CompressWriter<W> {
    fn encoder_mut(&mut self) -> io::Result<&mut Encoder<W>> {
        self.encoder
            .as_mut()
            .ok_or_else(|| io::Error::other("compress writer used after finish"))
    }
}

impl<W: Write> Drop for CompressWriter<W> {
    fn drop(&mut self) {
        if let Some(mut encoder) = self.encoder.take() {
            // The codecs' own `Drop` would write the end marker; closing the gate turns those
            // writes into ignored errors, so an unfinished stream stays visibly unfinished.
            encoder.gate_mut().closed = true;
        }
    }
}

impl<W: Write> fmt::Debug for CompressWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompressWriter")
            .field("codec", &self.codec)
            .field("finished", &self.encoder.is_none())
            .finish_non_exhaustive()
    }
}

/// The inner writer, which stops passing writes on once the `CompressWriter` is dropped.
struct Gate<W> {
    inner: W,
    closed: bool,
}

impl<W> Gate<W> {
    fn new(inner: W) -> Gate<W> {
        Gate {
            inner,
            closed: false,
        }
    }
}

impl<W: Write> Write for Gate<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Err(io::Error::other("compress writer dropped before finish"));
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Err(io::Error::other("compress writer dropped before finish"));
        }
        self.inner.flush()
    }
}

/// One codec's encoder.
enum Encoder<W: Write> {
    #[cfg(feature = "gzip")]
    Gzip(flate2::write::GzEncoder<Gate<W>>),
    #[cfg(feature = "bz2")]
    Bz2(bzip2::write::BzEncoder<Gate<W>>),
    #[cfg(feature = "xz")]
    Xz(liblzma::write::XzEncoder<Gate<W>>),
    #[cfg(feature = "gzip")]
    Zlib(flate2::write::ZlibEncoder<Gate<W>>),
    #[cfg(feature = "xz")]
    LzmaAlone(liblzma::write::XzEncoder<Gate<W>>),
    #[cfg(feature = "zstd")]
    Zstd(zstd::stream::write::Encoder<'static, Gate<W>>),
    #[cfg(feature = "lz4")]
    Lz4(lz4_flex::frame::FrameEncoder<Gate<W>>),
    /// Keeps the enum inhabited-looking to the compiler when every codec feature is off.
    #[allow(
        dead_code,
        reason = "never constructed; it makes the matches compile without codecs"
    )]
    Never(Infallible, Gate<W>),
}

/// Calls the same method on whichever encoder is inside.
macro_rules! each_encoder {
    ($encoder:expr, $bound:ident => $body:expr) => {
        match $encoder {
            #[cfg(feature = "gzip")]
            Encoder::Gzip($bound) => $body,
            #[cfg(feature = "bz2")]
            Encoder::Bz2($bound) => $body,
            #[cfg(feature = "xz")]
            Encoder::Xz($bound) => $body,
            #[cfg(feature = "gzip")]
            Encoder::Zlib($bound) => $body,
            #[cfg(feature = "xz")]
            Encoder::LzmaAlone($bound) => $body,
            #[cfg(feature = "zstd")]
            Encoder::Zstd($bound) => $body,
            #[cfg(feature = "lz4")]
            Encoder::Lz4($bound) => $body,
            Encoder::Never(never, _) => match *never {},
        }
    };
}

impl<W: Write> Encoder<W> {
    fn new(
        gate: Gate<W>,
        codec: Codec,
        level: i32,
        content_len: Option<u64>,
    ) -> Result<Encoder<W>, Error> {
        // Each enabled codec returns here; the arguments are unused when none is enabled.
        let _ = (&level, &content_len);
        #[cfg(feature = "gzip")]
        if codec == Codec::Gzip {
            // The level was checked against 0..=9.
            let level = flate2::Compression::new(level.unsigned_abs());
            return Ok(Encoder::Gzip(flate2::GzBuilder::new().write(gate, level)));
        }
        #[cfg(feature = "bz2")]
        if codec == Codec::Bz2 {
            // The level was checked against 1..=9.
            let level = bzip2::Compression::new(level.unsigned_abs());
            return Ok(Encoder::Bz2(bzip2::write::BzEncoder::new(gate, level)));
        }
        #[cfg(feature = "xz")]
        if codec == Codec::Xz {
            // The level was checked against 0..=9.
            let stream = liblzma::stream::Stream::new_easy_encoder(
                level.unsigned_abs(),
                liblzma::stream::Check::Crc64,
            )
            .map_err(|err| io::Error::other(format!("xz encoder setup failed: {err}")))?;
            return Ok(Encoder::Xz(liblzma::write::XzEncoder::new_stream(
                gate, stream,
            )));
        }
        #[cfg(feature = "gzip")]
        if codec == Codec::Zlib {
            // The level was checked against 0..=9.
            let level = flate2::Compression::new(level.unsigned_abs());
            return Ok(Encoder::Zlib(flate2::write::ZlibEncoder::new(gate, level)));
        }
        #[cfg(feature = "xz")]
        if codec == Codec::LzmaAlone {
            // The level was checked against 0..=9; Python's FORMAT_ALONE writes the
            // uncompressed size as unknown and ends with the end-of-payload marker, as this does.
            let stream = liblzma::stream::LzmaOptions::new_preset(level.unsigned_abs())
                .and_then(|options| liblzma::stream::Stream::new_lzma_encoder(&options))
                .map_err(|err| io::Error::other(format!("lzma encoder setup failed: {err}")))?;
            return Ok(Encoder::LzmaAlone(liblzma::write::XzEncoder::new_stream(
                gate, stream,
            )));
        }
        #[cfg(feature = "zstd")]
        if codec == Codec::Zstd {
            let mut encoder = zstd::stream::write::Encoder::new(gate, level)?;
            encoder.include_checksum(true)?;
            encoder.set_pledged_src_size(content_len)?;
            return Ok(Encoder::Zstd(encoder));
        }
        #[cfg(feature = "lz4")]
        if codec == Codec::Lz4 {
            use lz4_flex::frame::BlockMode;
            use lz4_flex::frame::BlockSize;
            use lz4_flex::frame::FrameInfo;
            let info = FrameInfo::new()
                .block_size(BlockSize::Max64KB)
                .block_mode(BlockMode::Linked)
                .content_checksum(true)
                .content_size(content_len);
            return Ok(Encoder::Lz4(
                lz4_flex::frame::FrameEncoder::with_frame_info(info, gate),
            ));
        }
        drop(gate);
        Err(Error::CodecDisabled { codec })
    }

    fn gate(&self) -> &Gate<W> {
        each_encoder!(self, encoder => encoder.get_ref())
    }

    fn gate_mut(&mut self) -> &mut Gate<W> {
        each_encoder!(self, encoder => encoder.get_mut())
    }

    #[cfg_attr(
        not(any(
            feature = "gzip",
            feature = "bz2",
            feature = "xz",
            feature = "zstd",
            feature = "lz4"
        )),
        allow(unused_variables, reason = "only the codecs use the buffer")
    )]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        each_encoder!(self, encoder => encoder.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            // The .lzma encoder cannot sync-flush mid-stream: what it has written so far is
            // flushed, and the rest waits for `finish`.
            #[cfg(feature = "xz")]
            Encoder::LzmaAlone(encoder) => encoder.get_mut().flush(),
            _ => each_encoder!(self, encoder => encoder.flush()),
        }
    }

    fn finish(self) -> io::Result<Gate<W>> {
        match self {
            #[cfg(feature = "gzip")]
            Encoder::Gzip(encoder) => encoder.finish(),
            #[cfg(feature = "bz2")]
            Encoder::Bz2(encoder) => encoder.finish(),
            #[cfg(feature = "xz")]
            Encoder::Xz(encoder) => encoder.finish(),
            #[cfg(feature = "gzip")]
            Encoder::Zlib(encoder) => encoder.finish(),
            #[cfg(feature = "xz")]
            Encoder::LzmaAlone(encoder) => encoder.finish(),
            #[cfg(feature = "zstd")]
            Encoder::Zstd(encoder) => encoder.finish(),
            #[cfg(feature = "lz4")]
            Encoder::Lz4(encoder) => encoder.finish().map_err(io::Error::from),
            Encoder::Never(never, _) => match never {},
        }
    }
}
