//! The wire format of version 1: magic, algorithm ids, and the header's encoder and parser.
//!
//! docs/envelope.md is the specification; this module follows it field by field.

use std::fmt;
use std::io;
use std::io::Read;
use std::str::FromStr;

use crate::error::{Error, Section};

/// The eight bytes every envelope starts with: `89 42 52 53 49 47 0d 0a` (`"\x89BRSIG\r\n"`).
///
/// The first byte is not ASCII, and no pickle starts with it (protocols 0 and 1 use ASCII
/// opcodes, later ones start with `PROTO`, `0x80`), so an envelope is never mistaken for a pickle
/// or for text. The CR LF pair shows up damage by newline conversion.
///
/// # Example
///
/// ```
/// let key = brine_sign::Key::new("k1", &[7; 32])?;
/// let envelope = brine_sign::sign(&key, &Default::default(), b"payload")?;
/// assert!(envelope.starts_with(&brine_sign::MAGIC));
/// # Ok::<(), brine_sign::Error>(())
/// ```
pub const MAGIC: [u8; 8] = *b"\x89BRSIG\r\n";

/// The format version this crate writes and reads.
pub(crate) const VERSION: u8 = 0x01;
/// Flag bit: an 8-byte issued-at time follows the key id (and context).
pub(crate) const FLAG_ISSUED_AT: u8 = 0x01;
/// Flag bit: a 2-byte length and a context follow the key id.
pub(crate) const FLAG_CONTEXT: u8 = 0x02;
/// The longest context the 2-byte length can carry.
pub(crate) const MAX_CONTEXT_LEN: usize = u16::MAX as usize;
/// The longest key id the 1-byte length can carry.
pub(crate) const MAX_KEY_ID_LEN: usize = u8::MAX as usize;

/// The MAC algorithm of an envelope, recorded in its header and covered by its tag.
///
/// Algorithms are ordered by strength, so `HmacSha256 < HmacSha512`; that order is what
/// [`VerifyOptions::min_algorithm`](crate::VerifyOptions::min_algorithm) compares with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256 (RFC 2104, FIPS 180-4): id `0x01`, 32-byte tag, named `hmac-sha256`.
    #[default]
    HmacSha256,
    /// HMAC with SHA-512: id `0x02`, 64-byte tag, named `hmac-sha512`.
    HmacSha512,
}

impl Algorithm {
    /// The byte that names this algorithm in an envelope header.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(brine_sign::Algorithm::HmacSha512.id(), 0x02);
    /// ```
    pub const fn id(self) -> u8 {
        match self {
            Algorithm::HmacSha256 => 0x01,
            Algorithm::HmacSha512 => 0x02,
        }
    }

    /// The algorithm a header byte names, or `None` for an unknown byte.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_sign::Algorithm;
    /// assert_eq!(Algorithm::from_id(0x01), Some(Algorithm::HmacSha256));
    /// assert_eq!(Algorithm::from_id(0x00), None);
    /// ```
    pub const fn from_id(id: u8) -> Option<Algorithm> {
        match id {
            0x01 => Some(Algorithm::HmacSha256),
            0x02 => Some(Algorithm::HmacSha512),
            _ => None,
        }
    }

    /// The length in bytes of this algorithm's tag (the full, untruncated HMAC output).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(brine_sign::Algorithm::HmacSha256.tag_len(), 32);
    /// ```
    pub const fn tag_len(self) -> usize {
        match self {
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha512 => 64,
        }
    }

    /// The algorithm's name in key files and on the command line: `hmac-sha256`, `hmac-sha512`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(brine_sign::Algorithm::HmacSha256.name(), "hmac-sha256");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha512 => "hmac-sha512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses [`Algorithm::name`], ignoring ASCII case.
    fn from_str(name: &str) -> Result<Algorithm, Error> {
        [Algorithm::HmacSha256, Algorithm::HmacSha512]
            .into_iter()
            .find(|alg| alg.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownAlgorithmName {
                name: name.to_owned(),
            })
    }
}

/// What an envelope's header says: algorithm, key id, context, issued-at time, payload length.
///
/// A `Header` is only handed out by verification ([`Verified::header`](crate::Verified::header),
/// [`VerifiedReader::header`](crate::VerifiedReader::header), [`verify_stream`](crate::verify_stream)),
/// so every field in it has been authenticated by the tag.
///
/// # Example
///
/// ```
/// use brine_sign::{Algorithm, Clock, Key, SignOptions, VerifyOptions};
///
/// let key = Key::new("k1", &[7; 32])?;
/// let opts = SignOptions::default().with_context("cache").with_clock(Clock::from_unix(1_000));
/// let envelope = brine_sign::sign(&key, &opts, b"payload")?;
/// let verify_opts = VerifyOptions::default().with_context("cache").with_clock(Clock::from_unix(1_000));
/// let verified = brine_sign::verify(&key.into(), &verify_opts, &envelope)?;
/// let header = verified.header();
/// assert_eq!(header.algorithm(), Algorithm::HmacSha256);
/// assert_eq!(header.key_id(), b"k1");
/// assert_eq!(header.context(), Some(&b"cache"[..]));
/// assert_eq!(header.issued_at(), Some(1_000));
/// assert_eq!(header.payload_len(), 7);
/// # Ok::<(), brine_sign::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub(crate) algorithm: Algorithm,
    pub(crate) key_id: Vec<u8>,
    pub(crate) context: Option<Vec<u8>>,
    pub(crate) issued_at: Option<u64>,
    pub(crate) payload_len: u64,
}

impl Header {
    /// The MAC algorithm. See the example on [`Header`].
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The id of the key that signed the envelope. See the example on [`Header`].
    pub fn key_id(&self) -> &[u8] {
        &self.key_id
    }

    /// The context (purpose) the envelope is bound to, if any. See the example on [`Header`].
    pub fn context(&self) -> Option<&[u8]> {
        self.context.as_deref()
    }

    /// When the envelope was signed, in whole seconds since 1970-01-01T00:00:00Z, if recorded. See the example on [`Header`].
    pub fn issued_at(&self) -> Option<u64> {
        self.issued_at
    }

    /// The payload's length in bytes. See the example on [`Header`].
    pub fn payload_len(&self) -> u64 {
        self.payload_len
    }

    /// The header's bytes, from the magic to the payload length inclusive.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.key_id.len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(self.algorithm.id());
        let mut flags = 0;
        if self.issued_at.is_some() {
            flags |= FLAG_ISSUED_AT;
        }
        if self.context.is_some() {
            flags |= FLAG_CONTEXT;
        }
        out.push(flags);
        // Invariant: `Key::new` keeps key ids within 1..=255 bytes.
        out.push(self.key_id.len() as u8);
        out.extend_from_slice(&self.key_id);
        if let Some(context) = &self.context {
            // Invariant: `SignOptions` contexts are checked to be 1..=65535 bytes before encoding.
            out.extend_from_slice(&(context.len() as u16).to_be_bytes());
            out.extend_from_slice(context);
        }
        if let Some(issued_at) = self.issued_at {
            out.extend_from_slice(&issued_at.to_be_bytes());
        }
        out.extend_from_slice(&self.payload_len.to_be_bytes());
        out
    }
}

/// Reads a header from `reader`, appending every byte it consumes to `raw`.
///
/// It reads exactly the header and nothing after it. The raw bytes are what the MAC covers.
pub(crate) fn read_header<R: Read>(reader: &mut R, raw: &mut Vec<u8>) -> Result<Header, Error> {
    let mut magic = [0; MAGIC.len()];
    let n_read = read_up_to(reader, &mut magic)?;
    raw.extend_from_slice(&magic[..n_read]);
    if n_read == 0 || magic[..n_read] != MAGIC[..n_read] {
        return Err(Error::NotAnEnvelope);
    }
    if n_read < MAGIC.len() {
        return Err(Error::Truncated {
            section: Section::Header,
        });
    }

    let [version] = take::<1, _>(reader, raw)?;
    if version != VERSION {
        return Err(Error::UnknownVersion { version });
    }
    let [alg_id] = take::<1, _>(reader, raw)?;
    let algorithm = Algorithm::from_id(alg_id).ok_or(Error::UnknownAlgorithm { id: alg_id })?;
    let [flags] = take::<1, _>(reader, raw)?;
    if flags & !(FLAG_ISSUED_AT | FLAG_CONTEXT) != 0 {
        return Err(Error::MalformedHeader {
            reason: "reserved flag bits are set",
        });
    }
    let [key_id_len] = take::<1, _>(reader, raw)?;
    if key_id_len == 0 {
        return Err(Error::MalformedHeader {
            reason: "the key id is empty",
        });
    }
    let key_id = take_vec(reader, raw, usize::from(key_id_len))?;
    let context = if flags & FLAG_CONTEXT != 0 {
        let context_len = u16::from_be_bytes(take(reader, raw)?);
        if context_len == 0 {
            return Err(Error::MalformedHeader {
                reason: "the context flag is set but the context is empty",
            });
        }
        Some(take_vec(reader, raw, usize::from(context_len))?)
    } else {
        None
    };
    let issued_at = if flags & FLAG_ISSUED_AT != 0 {
        Some(u64::from_be_bytes(take(reader, raw)?))
    } else {
        None
    };
    let payload_len = u64::from_be_bytes(take(reader, raw)?);
    Ok(Header {
        algorithm,
        key_id,
        context,
        issued_at,
        payload_len,
    })
}

/// Fills as much of `buf` as the reader has, stopping early only at end of input.
pub(crate) fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> Result<usize, Error> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(Error::Io(err)),
        }
    }
    Ok(filled)
}

fn take<const N: usize, R: Read>(reader: &mut R, raw: &mut Vec<u8>) -> Result<[u8; N], Error> {
    let mut buf = [0; N];
    if read_up_to(reader, &mut buf)? < N {
        return Err(Error::Truncated {
            section: Section::Header,
        });
    }
    raw.extend_from_slice(&buf);
    Ok(buf)
}

fn take_vec<R: Read>(reader: &mut R, raw: &mut Vec<u8>, len: usize) -> Result<Vec<u8>, Error> {
    // `len` is at most 65535 (a 1- or 2-byte length), so the buffer is small whatever the input.
    let mut buf = vec![0; len];
    if read_up_to(reader, &mut buf)? < len {
        return Err(Error::Truncated {
            section: Section::Header,
        });
    }
    raw.extend_from_slice(&buf);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Header, Error> {
        read_header(&mut &bytes[..], &mut Vec::new())
    }

    #[test]
    fn encode_then_parse() {
        let header = Header {
            algorithm: Algorithm::HmacSha512,
            key_id: b"k1".to_vec(),
            context: Some(b"ctx".to_vec()),
            issued_at: Some(0x0102_0304_0506_0708),
            payload_len: 5,
        };
        let bytes = header.encode();
        let expected: &[u8] = &[
            0x89, b'B', b'R', b'S', b'I', b'G', b'\r', b'\n', // magic
            0x01,  // version
            0x02,  // algorithm: hmac-sha512
            0x03,  // flags: issued-at | context
            0x02, b'k', b'1', // key id
            0x00, 0x03, b'c', b't', b'x', // context
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // issued-at
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, // payload length
        ];
        assert_eq!(bytes, expected);
        let mut raw = Vec::new();
        assert_eq!(read_header(&mut &bytes[..], &mut raw).unwrap(), header);
        assert_eq!(raw, bytes);
    }

    #[test]
    fn header_errors() {
        assert!(matches!(parse(b""), Err(Error::NotAnEnvelope)));
        assert!(matches!(parse(b"\x80\x04"), Err(Error::NotAnEnvelope)));
        assert!(matches!(
            parse(b"\x89BRS"),
            Err(Error::Truncated {
                section: Section::Header
            })
        ));
        assert!(matches!(
            parse(b"\x89BRSIG\r\n\x02"),
            Err(Error::UnknownVersion { version: 2 })
        ));
        assert!(matches!(
            parse(b"\x89BRSIG\r\n\x01\x03"),
            Err(Error::UnknownAlgorithm { id: 3 })
        ));
        assert!(matches!(
            parse(b"\x89BRSIG\r\n\x01\x01\x04"),
            Err(Error::MalformedHeader { .. })
        ));
        assert!(matches!(
            parse(b"\x89BRSIG\r\n\x01\x01\x00\x00"),
            Err(Error::MalformedHeader { .. })
        ));
        assert!(matches!(
            parse(b"\x89BRSIG\r\n\x01\x01\x02\x01k\x00\x00"),
            Err(Error::MalformedHeader { .. })
        ));
        assert!(matches!(
            parse(b"\x89BRSIG\r\n\x01\x01\x00\x01k\x00\x00"),
            Err(Error::Truncated {
                section: Section::Header
            })
        ));
    }

    #[test]
    fn algorithm_names() {
        assert_eq!(
            "HMAC-SHA512".parse::<Algorithm>().unwrap(),
            Algorithm::HmacSha512
        );
        assert!(matches!(
            "md5".parse::<Algorithm>(),
            Err(Error::UnknownAlgorithmName { .. })
        ));
        assert!(Algorithm::HmacSha256 < Algorithm::HmacSha512);
    }
}
