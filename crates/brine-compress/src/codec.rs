//! Names of things: the codecs, their magic bytes and levels, and `CODEC[:LEVEL]` strings.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use crate::Error;

/// A compression format that brine reads and writes, each the one Python's module writes.
///
/// Every variant exists whether or not its cargo feature is enabled, so that detection can name
/// what it found; [`Codec::is_enabled`] tells whether this build can decode or encode it.
///
/// | codec  | Python                             | magic bytes                  | levels        | default |
/// |--------|------------------------------------|------------------------------|---------------|---------|
/// | `gzip` | `gzip.compress`                    | `1f 8b`                      | 0..=9         | 9       |
/// | `bz2`  | `bz2.compress`                     | `BZh1`..`BZh9` + block magic | 1..=9         | 9       |
/// | `xz`   | `lzma.compress` (FORMAT_XZ, CRC64) | `fd 37 7a 58 5a 00`          | 0..=9         | 6       |
/// | `zstd` | `zstandard.compress`               | `28 b5 2f fd`                | -131072..=22  | 3       |
/// | `lz4`  | `lz4.frame.compress`               | `04 22 4d 18`                | 0..=0         | 0       |
/// | `zlib` | `zlib.compress`                    | `78` + header check          | 0..=9         | 6       |
/// | `lzma` | `lzma.compress` (FORMAT_ALONE)     | `5d` + dictionary size       | 0..=9         | 6       |
///
/// zlib and lzma (the legacy `.lzma` format) are the formats joblib's `zlib` and `lzma`
/// compressors write; zlib needs the `gzip` feature (one deflate implementation) and lzma
/// the `xz` feature (one liblzma).
///
/// The default levels are the ones Python's modules use.
/// For zstd, levels 20..=22 are zstd's "ultra" levels, negative levels are its fast levels, and
/// 0 means zstd's default, 3.
/// For lz4 there is one level, LZ4's fast mode (Python's `lz4.frame` levels 0 to 2):
/// `lz4_flex` does not implement the high-compression levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// gzip (RFC 1952): deflate with a CRC32 trailer.
    Gzip,
    /// bzip2.
    Bz2,
    /// The .xz container (LZMA2 with a CRC64 check).
    Xz,
    /// Zstandard frames.
    Zstd,
    /// The LZ4 frame format.
    Lz4,
    /// zlib (RFC 1950): deflate with an Adler-32 trailer.
    Zlib,
    /// The legacy `.lzma` format (LZMA_ALONE): a 13-byte header and an LZMA1 stream.
    LzmaAlone,
}

/// How hard to compress: a named point of the codec's range, or an exact level.
///
/// `Fastest` and `Best` resolve per codec: gzip 1 and 9, bz2 1 and 9, xz 0 and 9, zstd 1 and 19
/// (the highest level below zstd's ultra levels), lz4 0 and 0, zlib 1 and 9, lzma 0 and 9.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Level {
    /// The level Python's module uses by default (see [`Codec::default_level`]).
    #[default]
    Default,
    /// The fastest level of the codec's usual range.
    Fastest,
    /// The best compression of the codec's usual range.
    Best,
    /// An exact level, checked against [`Codec::level_range`].
    Precise(i32),
}

/// A codec and a level: what a `--compress CODEC[:LEVEL]` flag holds.
///
/// It parses from strings such as `gzip`, `zstd:19` or `xz:9` and prints back the same way.
/// Parsing checks the level against the codec's range and that the codec is enabled in this
/// build.
///
/// # Example
///
/// ```
/// use brine_compress::{Codec, Compression, Level};
///
/// let spec: Compression = "zstd:19".parse()?;
/// assert_eq!(spec, Compression::new(Codec::Zstd, Level::Precise(19)));
/// assert_eq!(spec.to_string(), "zstd:19");
///
/// let err = "zstd:99".parse::<Compression>().unwrap_err();
/// assert_eq!(err.to_string(), "level 99 is out of range for zstd: expected -131072..=22");
/// # Ok::<(), brine_compress::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Compression {
    /// The codec.
    pub codec: Codec,
    /// The level. Default: [`Level::Default`].
    pub level: Level,
}

impl Codec {
    /// All codecs, enabled or not, in the order of this documentation.
    pub const ALL: [Codec; 7] = [
        Codec::Gzip,
        Codec::Bz2,
        Codec::Xz,
        Codec::Zstd,
        Codec::Lz4,
        Codec::Zlib,
        Codec::LzmaAlone,
    ];

    /// How many leading bytes [`Codec::detect`] looks at; fewer never detect bz2, and check
    /// less of an lzma header.
    pub const DETECT_LEN: usize = 13;

    /// Recognises a compressed stream by its leading magic bytes.
    ///
    /// Returns `None` for anything else, including every pickle: a pickle of protocol 2 or later
    /// starts with PROTO (`0x80`), and no magic below starts with a byte that can begin a
    /// pickle of protocol 0 or 1 and still continue as a pickle.
    /// bz2 is recognised only with its first block or end-of-stream magic after `BZh1`..`BZh9`,
    /// so it needs [`Codec::DETECT_LEN`] bytes.
    /// Streams that open with a skippable frame (zstd, lz4) are not recognised.
    /// zlib is recognised by its first byte `78` (deflate with a 32 KiB window, which every
    /// zlib writer uses) and its header check; lzma by the properties byte `5d` every
    /// encoder writes, a dictionary size of the form 2^n or 2^n + 2^(n-1) and, when 13
    /// bytes are there, an uncompressed size that is unknown or below 2^38.
    /// No pickle starts with `78`, and none with `5d 00` (EMPTY_LIST, then no opcode).
    ///
    /// # Example
    ///
    /// ```
    /// use brine_compress::Codec;
    ///
    /// assert_eq!(Codec::detect(b"\x1f\x8b\x08\x00"), Some(Codec::Gzip));
    /// assert_eq!(Codec::detect(b"\x28\xb5\x2f\xfd\x00"), Some(Codec::Zstd));
    /// assert_eq!(Codec::detect(b"\x80\x04\x95"), None);
    /// ```
    pub fn detect(data: &[u8]) -> Option<Codec> {
        const BZ2_BLOCK_MAGIC: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
        const BZ2_END_MAGIC: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
        if data.starts_with(&[0x1f, 0x8b]) {
            return Some(Codec::Gzip);
        }
        if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            return Some(Codec::Xz);
        }
        if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            return Some(Codec::Zstd);
        }
        if data.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
            return Some(Codec::Lz4);
        }
        if let [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..] = data {
            if rest.starts_with(&BZ2_BLOCK_MAGIC) || rest.starts_with(&BZ2_END_MAGIC) {
                return Some(Codec::Bz2);
            }
        }
        if let [0x78, flags, ..] = *data {
            // FDICT (a preset dictionary) is never set by Python's or joblib's writers.
            if (0x7800 | u16::from(flags)) % 31 == 0 && flags & 0x20 == 0 {
                return Some(Codec::Zlib);
            }
        }
        if let [0x5d, d0, d1, d2, d3, ref size @ ..] = *data {
            let dict = u32::from_le_bytes([d0, d1, d2, d3]);
            let low = dict & dict.wrapping_neg();
            let dict_ok = dict >= 4096 && (dict == low || dict == low * 3);
            let size_ok = match size {
                [s0, s1, s2, s3, s4, s5, s6, s7, ..] => {
                    let size = u64::from_le_bytes([*s0, *s1, *s2, *s3, *s4, *s5, *s6, *s7]);
                    size == u64::MAX || size < 1 << 38
                }
                _ => true,
            };
            if dict_ok && size_ok {
                return Some(Codec::LzmaAlone);
            }
        }
        None
    }

    /// The codec's name as used in `CODEC[:LEVEL]` strings, messages and cargo features.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(brine_compress::Codec::Bz2.name(), "bz2");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Bz2 => "bz2",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
            Codec::Lz4 => "lz4",
            Codec::Zlib => "zlib",
            Codec::LzmaAlone => "lzma",
        }
    }

    /// The usual file extension, without the dot: `gz`, `bz2`, `xz`, `zst`, `lz4`, and
    /// joblib's `z` and `lzma`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(brine_compress::Codec::Zstd.extension(), "zst");
    /// ```
    pub const fn extension(self) -> &'static str {
        match self {
            Codec::Gzip => "gz",
            Codec::Bz2 => "bz2",
            Codec::Xz => "xz",
            Codec::Zstd => "zst",
            Codec::Lz4 => "lz4",
            Codec::Zlib => "z",
            Codec::LzmaAlone => "lzma",
        }
    }

    /// Whether this build includes the codec (its cargo feature is on).
    ///
    /// # Example
    ///
    /// ```
    /// # #[cfg(feature = "gzip")]
    /// assert!(brine_compress::Codec::Gzip.is_enabled());
    /// ```
    pub const fn is_enabled(self) -> bool {
        match self {
            Codec::Gzip => cfg!(feature = "gzip"),
            Codec::Bz2 => cfg!(feature = "bz2"),
            Codec::Xz => cfg!(feature = "xz"),
            Codec::Zstd => cfg!(feature = "zstd"),
            Codec::Lz4 => cfg!(feature = "lz4"),
            Codec::Zlib => cfg!(feature = "gzip"),
            Codec::LzmaAlone => cfg!(feature = "xz"),
        }
    }

    /// The levels the codec accepts (see the table on [`Codec`]).
    ///
    /// # Example
    ///
    /// ```
    /// use brine_compress::Codec;
    ///
    /// assert_eq!(Codec::Gzip.level_range(), 0..=9);
    /// assert_eq!(Codec::Bz2.level_range(), 1..=9);
    /// ```
    pub const fn level_range(self) -> RangeInclusive<i32> {
        match self {
            Codec::Gzip | Codec::Xz | Codec::Zlib | Codec::LzmaAlone => 0..=9,
            Codec::Bz2 => 1..=9,
            Codec::Zstd => -(1 << 17)..=22,
            Codec::Lz4 => 0..=0,
        }
    }

    /// The level [`Level::Default`] stands for: the default of Python's module.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(brine_compress::Codec::Xz.default_level(), 6);
    /// ```
    pub const fn default_level(self) -> i32 {
        match self {
            Codec::Gzip | Codec::Bz2 => 9,
            Codec::Xz | Codec::Zlib | Codec::LzmaAlone => 6,
            Codec::Zstd => 3,
            Codec::Lz4 => 0,
        }
    }

    /// Turns a [`Level`] into the codec's exact level, checking its range.
    ///
    /// # Errors
    ///
    /// [`Error::LevelOutOfRange`] when a [`Level::Precise`] level is outside
    /// [`Codec::level_range`].
    ///
    /// # Example
    ///
    /// ```
    /// use brine_compress::{Codec, Level};
    ///
    /// assert_eq!(Codec::Zstd.resolve_level(Level::Best)?, 19);
    /// assert!(Codec::Bz2.resolve_level(Level::Precise(0)).is_err());
    /// # Ok::<(), brine_compress::Error>(())
    /// ```
    pub fn resolve_level(self, level: Level) -> Result<i32, Error> {
        let range = self.level_range();
        Ok(match level {
            Level::Default => self.default_level(),
            Level::Fastest => match self {
                Codec::Xz | Codec::Lz4 | Codec::LzmaAlone => 0,
                Codec::Gzip | Codec::Bz2 | Codec::Zstd | Codec::Zlib => 1,
            },
            Level::Best => match self {
                Codec::Gzip | Codec::Bz2 | Codec::Xz | Codec::Zlib | Codec::LzmaAlone => 9,
                Codec::Zstd => 19,
                Codec::Lz4 => 0,
            },
            Level::Precise(level) if range.contains(&level) => level,
            Level::Precise(level) => {
                return Err(Error::LevelOutOfRange {
                    codec: self,
                    level,
                    min: *range.start(),
                    max: *range.end(),
                });
            }
        })
    }

    /// Fails with [`Error::CodecDisabled`] when the codec's feature is off.
    pub(crate) fn check_enabled(self) -> Result<(), Error> {
        if self.is_enabled() {
            Ok(())
        } else {
            Err(Error::CodecDisabled { codec: self })
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = Error;

    /// Parses a codec name, ASCII case-insensitively: `gzip` (or `gz`), `bz2` (or `bzip2`),
    /// `xz`, `zstd` (or `zst`), `lz4`, `zlib` (or `z`) and `lzma`.
    fn from_str(name: &str) -> Result<Codec, Error> {
        let lower = name.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "gzip" | "gz" => Codec::Gzip,
            "bz2" | "bzip2" => Codec::Bz2,
            "xz" => Codec::Xz,
            "zstd" | "zst" => Codec::Zstd,
            "lz4" => Codec::Lz4,
            "zlib" | "z" => Codec::Zlib,
            "lzma" => Codec::LzmaAlone,
            _ => {
                return Err(Error::UnknownCodec {
                    name: name.to_owned(),
                });
            }
        })
    }
}

impl Compression {
    /// A codec at a level.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_compress::{Codec, Compression, Level};
    ///
    /// let spec = Compression::new(Codec::Gzip, Level::Best);
    /// assert_eq!(spec.to_string(), "gzip:9");
    /// ```
    pub const fn new(codec: Codec, level: Level) -> Compression {
        Compression { codec, level }
    }
}

impl From<Codec> for Compression {
    fn from(codec: Codec) -> Compression {
        Compression::new(codec, Level::Default)
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.codec.resolve_level(self.level) {
            Ok(_) if self.level == Level::Default => write!(f, "{}", self.codec),
            Ok(level) => write!(f, "{}:{level}", self.codec),
            // An out-of-range level still prints as given.
            Err(_) => match self.level {
                Level::Precise(level) => write!(f, "{}:{level}", self.codec),
                _ => write!(f, "{}", self.codec),
            },
        }
    }
}

impl FromStr for Compression {
    type Err = Error;

    /// Parses `CODEC[:LEVEL]`, for example `gzip`, `zstd:19` or `zstd:-5`.
    fn from_str(text: &str) -> Result<Compression, Error> {
        let (name, level_text) = match text.split_once(':') {
            Some((name, level)) => (name, Some(level)),
            None => (text, None),
        };
        let codec: Codec = name.parse()?;
        let level = match level_text {
            None => Level::Default,
            Some(level_text) => {
                let range = codec.level_range();
                let level = level_text
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| Error::InvalidLevel {
                        codec,
                        text: level_text.to_owned(),
                        min: *range.start(),
                        max: *range.end(),
                    })?;
                Level::Precise(level)
            }
        };
        codec.resolve_level(level)?;
        codec.check_enabled()?;
        Ok(Compression { codec, level })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(
        feature = "gzip",
        feature = "bz2",
        feature = "xz",
        feature = "zstd",
        feature = "lz4"
    ))]
    fn check(text: &str, expect: &str) {
        let got = match text.parse::<Compression>() {
            Ok(spec) => format!("ok {spec}"),
            Err(err) => format!("err {err}"),
        };
        assert_eq!(got, expect, "parsing {text:?}");
    }

    #[test]
    #[cfg(all(
        feature = "gzip",
        feature = "bz2",
        feature = "xz",
        feature = "zstd",
        feature = "lz4"
    ))]
    fn parse_compression() {
        check("gzip", "ok gzip");
        check("GZ:1", "ok gzip:1");
        check("bzip2:9", "ok bz2:9");
        check("xz:0", "ok xz:0");
        check("zstd:-5", "ok zstd:-5");
        check("zst:22", "ok zstd:22");
        check("lz4", "ok lz4");
        check("lz4:0", "ok lz4:0");
        check(
            "lz4:9",
            "err level 9 is out of range for lz4: expected 0..=0",
        );
        check(
            "bz2:0",
            "err level 0 is out of range for bz2: expected 1..=9",
        );
        check(
            "gzip:10",
            "err level 10 is out of range for gzip: expected 0..=9",
        );
        check(
            "gzip:",
            "err invalid level `` for gzip: expected an integer in 0..=9",
        );
        check(
            "gzip:fast",
            "err invalid level `fast` for gzip: expected an integer in 0..=9",
        );
        check(
            "brotli:3",
            "err unknown codec `brotli`: expected one of gzip, bz2, xz, zstd, lz4, zlib, lzma",
        );
        check(
            "",
            "err unknown codec ``: expected one of gzip, bz2, xz, zstd, lz4, zlib, lzma",
        );
    }

    #[test]
    fn detect_magic() {
        assert_eq!(Codec::detect(b""), None);
        assert_eq!(Codec::detect(b"\x1f"), None);
        assert_eq!(Codec::detect(b"\x1f\x8b"), Some(Codec::Gzip));
        assert_eq!(Codec::detect(b"BZh91AY&SY"), Some(Codec::Bz2));
        assert_eq!(Codec::detect(b"BZh9\x17rE8P\x90"), Some(Codec::Bz2));
        assert_eq!(Codec::detect(b"BZh91AY&S"), None);
        assert_eq!(Codec::detect(b"BZh01AY&SY"), None);
        assert_eq!(Codec::detect(b"\xfd7zXZ\x00"), Some(Codec::Xz));
        assert_eq!(Codec::detect(b"\x04\x22\x4d\x18"), Some(Codec::Lz4));
        // A protocol 0 pickle opening with MARK, the first byte of the zstd magic.
        assert_eq!(Codec::detect(b"(lp0\n."), None);
        assert_eq!(Codec::detect(b"\x80\x05\x95"), None);
        // zlib.compress(b"") at levels 1, 6 and 9.
        assert_eq!(Codec::detect(b"\x78\x01"), Some(Codec::Zlib));
        assert_eq!(Codec::detect(b"\x78\x9c"), Some(Codec::Zlib));
        assert_eq!(Codec::detect(b"\x78\xda"), Some(Codec::Zlib));
        assert_eq!(Codec::detect(b"\x78\x9d"), None);
        // lzma.compress(b"", format=lzma.FORMAT_ALONE): an 8 MiB dictionary, size unknown.
        let alone = b"\x5d\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff";
        assert_eq!(Codec::detect(alone), Some(Codec::LzmaAlone));
        // pickle.dumps([], 1) and pickle.dumps([], 0)[1:]: EMPTY_LIST then BINPUT, STOP.
        assert_eq!(Codec::detect(b"]q\x00."), None);
        assert_eq!(Codec::detect(b"]."), None);
    }

    #[test]
    fn levels_resolve_inside_their_ranges() {
        for codec in Codec::ALL {
            for level in [Level::Default, Level::Fastest, Level::Best] {
                let resolved = codec.resolve_level(level).unwrap();
                assert!(codec.level_range().contains(&resolved), "{codec} {level:?}");
            }
        }
    }
}
