//! Verification: an envelope in memory, or one read from a stream and held back until its tag
//! has been checked.
//!
//! The checks run in the order docs/envelope.md gives: the header's structure, then the
//! verifier's policy (algorithm, key id, size), then the tag, then the authenticated claims
//! (context, time). A payload leaves this module only inside [`Verified`] or
//! [`VerifiedReader`], which nothing outside it can construct.

use std::fmt;
use std::io;
use std::io::{Read, Write};
use std::time::Duration;

use crate::clock::Clock;
use crate::error::{Error, Section};
use crate::format::{Algorithm, Header, read_header, read_up_to};
use crate::key::{Key, Keyring};
use crate::mac::Mac;
use crate::spool::{Spool, SpoolReader};

/// What a verifier accepts: the expected context, the maximum age, the clock, the weakest
/// algorithm and the largest payload.
///
/// The default accepts only envelopes without a context, of any age (but not issued more than
/// five minutes in the future), with payloads up to 1 GiB.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use brine_sign::{Algorithm, VerifyOptions};
///
/// let mut opts = VerifyOptions::default().with_context("model-weights");
/// opts.max_age = Some(Duration::from_secs(24 * 3600));
/// opts.min_algorithm = Algorithm::HmacSha512;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// The context the envelope must be bound to. `None` (or empty) accepts only envelopes
    /// bound to no context; a context is never ignored.
    ///
    /// Default: `None`.
    pub context: Option<Vec<u8>>,
    /// The oldest envelope accepted: its issued-at time plus this must not be before the clock.
    /// When set, an envelope without an issued-at time is refused.
    ///
    /// Default: `None` (any age).
    pub max_age: Option<Duration>,
    /// How far in the future an issued-at time may be, to allow for clock skew between signer
    /// and verifier. Applies whenever an envelope records an issued-at time.
    ///
    /// Default: 5 minutes.
    pub max_future_skew: Duration,
    /// Where "now" comes from.
    ///
    /// Default: [`Clock::System`].
    pub clock: Clock,
    /// The weakest algorithm accepted.
    ///
    /// Default: [`Algorithm::HmacSha256`].
    pub min_algorithm: Algorithm,
    /// The longest payload accepted, in bytes. A longer one is refused from its header, before
    /// any of it is read.
    ///
    /// Default: 1 GiB.
    pub max_payload_len: u64,
    /// How many payload bytes [`verify_reader`] and [`verify_stream`] hold in memory before
    /// they spool to an anonymous temporary file.
    ///
    /// Default: 16 MiB.
    pub spool_memory_limit: usize,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            context: None,
            max_age: None,
            max_future_skew: Duration::from_secs(300),
            clock: Clock::System,
            min_algorithm: Algorithm::HmacSha256,
            max_payload_len: 1 << 30,
            spool_memory_limit: 16 << 20,
        }
    }
}

impl VerifyOptions {
    /// These options with [`VerifyOptions::context`] set.
    ///
    /// # Example
    ///
    /// ```
    /// let opts = brine_sign::VerifyOptions::default().with_context("backup");
    /// assert_eq!(opts.context.as_deref(), Some(&b"backup"[..]));
    /// ```
    #[must_use]
    pub fn with_context(mut self, context: impl Into<Vec<u8>>) -> VerifyOptions {
        self.context = Some(context.into());
        self
    }

    /// These options with [`VerifyOptions::clock`] set.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_sign::{Clock, VerifyOptions};
    /// let opts = VerifyOptions::default().with_clock(Clock::from_unix(0));
    /// assert_eq!(opts.clock, Clock::from_unix(0));
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> VerifyOptions {
        self.clock = clock;
        self
    }
}

/// A payload whose envelope passed every check, borrowed from the envelope.
///
/// Only [`verify`] makes one, so a function that takes a `Verified` (an unpickler, say) can
/// only ever be handed authenticated bytes.
///
/// # Example
///
/// ```
/// let key = brine_sign::Key::new("k1", &[7; 32])?;
/// let envelope = brine_sign::sign(&key, &Default::default(), b"payload")?;
/// let verified = brine_sign::verify(&key.into(), &Default::default(), &envelope)?;
/// assert_eq!(verified.payload(), b"payload");
/// assert_eq!(verified.header().key_id(), b"k1");
/// # Ok::<(), brine_sign::Error>(())
/// ```
#[derive(Clone)]
pub struct Verified<'a> {
    header: Header,
    payload: &'a [u8],
}

impl<'a> Verified<'a> {
    /// The payload. See the example on [`Verified`].
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The envelope's authenticated header. See the example on [`Verified`].
    pub fn header(&self) -> &Header {
        &self.header
    }
}

impl fmt::Debug for Verified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("header", &self.header)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// A payload whose envelope passed every check, read back from where it was spooled.
///
/// Only [`verify_reader`] makes one, and it does so only after the tag has been checked, so
/// reading from a `VerifiedReader` yields authenticated bytes and nothing else.
///
/// # Example
///
/// ```
/// use std::io::Read;
///
/// let ring = brine_sign::Keyring::new(brine_sign::Key::new("k1", &[7; 32])?);
/// let envelope = brine_sign::sign(ring.signing_key(), &Default::default(), b"payload")?;
/// let mut verified = brine_sign::verify_reader(&ring, &Default::default(), &envelope[..])?;
/// assert_eq!(verified.header().payload_len(), 7);
/// let mut payload = String::new();
/// verified.read_to_string(&mut payload)?;
/// assert_eq!(payload, "payload");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct VerifiedReader {
    header: Header,
    spool: SpoolReader,
}

impl VerifiedReader {
    /// The envelope's authenticated header. See the example on [`VerifiedReader`].
    pub fn header(&self) -> &Header {
        &self.header
    }
}

impl Read for VerifiedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.spool.read(buf)
    }
}

impl fmt::Debug for VerifiedReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedReader")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// Verifies an envelope held in memory and returns its payload, borrowed.
///
/// `envelope` must be exactly one envelope: bytes after the tag are refused.
///
/// # Errors
///
/// [`Error::NotAnEnvelope`], [`Error::UnknownVersion`], [`Error::UnknownAlgorithm`] and
/// [`Error::MalformedHeader`] for a header that is not a version 1 header;
/// [`Error::Downgrade`], [`Error::UnknownKeyId`], [`Error::AlgorithmMismatch`] and
/// [`Error::Oversize`] when the header is refused by the keyring or the options;
/// [`Error::Truncated`] and [`Error::TrailingBytes`] when the length does not add up;
/// [`Error::BadTag`] for the wrong key or altered bytes; and, only for an authentic envelope,
/// [`Error::ContextMismatch`], [`Error::MissingIssuedAt`], [`Error::Expired`],
/// [`Error::IssuedInFuture`] and [`Error::ClockBeforeEpoch`].
///
/// # Example
///
/// ```
/// use brine_sign::{Error, Key, Keyring, SignOptions, VerifyOptions};
///
/// let ring = Keyring::new(Key::new("k1", &[7; 32])?);
/// let envelope = brine_sign::sign(ring.signing_key(), &SignOptions::default(), b"payload")?;
/// let verified = brine_sign::verify(&ring, &VerifyOptions::default(), &envelope)?;
/// assert_eq!(verified.payload(), b"payload");
///
/// let mut tampered = envelope.clone();
/// let last = tampered.len() - 1;
/// tampered[last] ^= 1;
/// assert!(matches!(
///     brine_sign::verify(&ring, &VerifyOptions::default(), &tampered),
///     Err(Error::BadTag)
/// ));
/// # Ok::<(), brine_sign::Error>(())
/// ```
pub fn verify<'a>(
    keyring: &Keyring,
    opts: &VerifyOptions,
    envelope: &'a [u8],
) -> Result<Verified<'a>, Error> {
    let mut rest = envelope;
    let mut raw_header = Vec::new();
    let header = read_header(&mut rest, &mut raw_header)?;
    let key = check_policy(keyring, opts, &header)?;
    let tag_len = header.algorithm.tag_len();
    let available = rest.len() as u64;
    if available < header.payload_len {
        return Err(Error::Truncated {
            section: Section::Payload,
        });
    }
    // Invariant: `payload_len <= rest.len()`, so it fits in a usize.
    let payload_len = header.payload_len as usize;
    let (payload, tag) = rest.split_at(payload_len);
    if tag.len() < tag_len {
        return Err(Error::Truncated {
            section: Section::Tag,
        });
    }
    if tag.len() > tag_len {
        return Err(Error::TrailingBytes);
    }
    let mut mac = Mac::new(key.algorithm(), key.secret());
    mac.update(&raw_header);
    mac.update(payload);
    mac.verify(tag)?;
    check_claims(opts, &header)?;
    Ok(Verified { header, payload })
}

/// Reads one envelope from `reader`, checks it, and returns a reader of its payload.
///
/// No payload byte is released before the tag has been checked: the payload is spooled (in
/// memory up to [`VerifyOptions::spool_memory_limit`], then in an anonymous temporary file)
/// while the MAC runs over it, and the returned [`VerifiedReader`] reads it back. The reader is
/// left just after the envelope's tag; whatever follows is not read.
///
/// # Errors
///
/// As [`verify`] (except [`Error::TrailingBytes`]), and [`Error::Io`] when reading or spooling
/// fails.
///
/// # Example
///
/// ```
/// use std::io::Read;
///
/// let ring = brine_sign::Keyring::new(brine_sign::Key::new("k1", &[7; 32])?);
/// let envelope = brine_sign::sign(ring.signing_key(), &Default::default(), b"payload")?;
/// let mut verified = brine_sign::verify_reader(&ring, &Default::default(), &envelope[..])?;
/// let mut payload = Vec::new();
/// verified.read_to_end(&mut payload)?;
/// assert_eq!(payload, b"payload");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_reader<R: Read>(
    keyring: &Keyring,
    opts: &VerifyOptions,
    mut reader: R,
) -> Result<VerifiedReader, Error> {
    verify_from(keyring, opts, &mut reader, false)
}

/// Verifies the envelope `reader` yields and, only if it passes, copies its payload to
/// `writer`; returns the authenticated header.
///
/// The input must end right after the tag. This is what `brine verify` needs: when the
/// envelope is refused, nothing has been written to `writer`.
///
/// # Errors
///
/// As [`verify_reader`], [`Error::TrailingBytes`] when the input goes on after the tag, and
/// [`Error::Io`] when writing fails.
///
/// # Example
///
/// ```
/// let ring = brine_sign::Keyring::new(brine_sign::Key::new("k1", &[7; 32])?);
/// let envelope = brine_sign::sign(ring.signing_key(), &Default::default(), b"payload")?;
/// let mut out = Vec::new();
/// let header = brine_sign::verify_stream(&ring, &Default::default(), &envelope[..], &mut out)?;
/// assert_eq!((out.as_slice(), header.key_id()), (&b"payload"[..], &b"k1"[..]));
/// # Ok::<(), brine_sign::Error>(())
/// ```
pub fn verify_stream<R: Read, W: Write>(
    keyring: &Keyring,
    opts: &VerifyOptions,
    mut reader: R,
    mut writer: W,
) -> Result<Header, Error> {
    let mut verified = verify_from(keyring, opts, &mut reader, true)?;
    io::copy(&mut verified, &mut writer)?;
    writer.flush()?;
    Ok(verified.header)
}

/// Verifies one envelope read from `reader`; with `whole_input`, the input must end after it.
fn verify_from<R: Read>(
    keyring: &Keyring,
    opts: &VerifyOptions,
    reader: &mut R,
    whole_input: bool,
) -> Result<VerifiedReader, Error> {
    let mut raw_header = Vec::new();
    let header = read_header(reader, &mut raw_header)?;
    let key = check_policy(keyring, opts, &header)?;
    let mut mac = Mac::new(key.algorithm(), key.secret());
    mac.update(&raw_header);

    let mut spool = Spool::new(opts.spool_memory_limit);
    let mut buf = vec![0; 64 << 10];
    let mut remaining = header.payload_len;
    while remaining > 0 {
        let want = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = read_up_to(reader, &mut buf[..want])?;
        if n == 0 {
            return Err(Error::Truncated {
                section: Section::Payload,
            });
        }
        mac.update(&buf[..n]);
        spool.write_all(&buf[..n])?;
        remaining -= n as u64;
    }
    let tag_len = header.algorithm.tag_len();
    let mut tag = [0; 64];
    if read_up_to(reader, &mut tag[..tag_len])? < tag_len {
        return Err(Error::Truncated {
            section: Section::Tag,
        });
    }
    if whole_input && read_up_to(reader, &mut [0])? != 0 {
        return Err(Error::TrailingBytes);
    }
    mac.verify(&tag[..tag_len])?;
    check_claims(opts, &header)?;
    Ok(VerifiedReader {
        header,
        spool: spool.into_reader()?,
    })
}

/// The checks a verifier can make from the header alone, before the tag: they decide which
/// key and how many bytes to MAC.
fn check_policy<'k>(
    keyring: &'k Keyring,
    opts: &VerifyOptions,
    header: &Header,
) -> Result<&'k Key, Error> {
    if header.algorithm < opts.min_algorithm {
        return Err(Error::Downgrade {
            found: header.algorithm,
            required: opts.min_algorithm,
        });
    }
    let key = keyring
        .key(&header.key_id)
        .ok_or_else(|| Error::UnknownKeyId {
            key_id: header.key_id.clone(),
        })?;
    if key.algorithm() != header.algorithm {
        return Err(Error::AlgorithmMismatch {
            key_id: header.key_id.clone(),
            bound: key.algorithm(),
            found: header.algorithm,
        });
    }
    if header.payload_len > opts.max_payload_len {
        return Err(Error::Oversize {
            len: header.payload_len,
            max: opts.max_payload_len,
        });
    }
    Ok(key)
}

/// The checks of what an authentic header claims: its context and its age.
fn check_claims(opts: &VerifyOptions, header: &Header) -> Result<(), Error> {
    let expected = opts
        .context
        .as_deref()
        .filter(|context| !context.is_empty());
    if expected != header.context.as_deref() {
        return Err(Error::ContextMismatch {
            expected: expected.map(<[u8]>::to_vec),
            found: header.context.clone(),
        });
    }
    if header.issued_at.is_none() && opts.max_age.is_none() {
        return Ok(());
    }
    let now = opts.clock.now_unix()?;
    if let Some(issued_at) = header.issued_at {
        let skew = opts.max_future_skew.as_secs();
        if issued_at > now.saturating_add(skew) {
            return Err(Error::IssuedInFuture {
                ahead: issued_at - now,
                skew,
            });
        }
    }
    if let Some(max_age) = opts.max_age {
        let issued_at = header.issued_at.ok_or(Error::MissingIssuedAt)?;
        let age = now.saturating_sub(issued_at);
        if age > max_age.as_secs() {
            return Err(Error::Expired {
                age,
                max_age: max_age.as_secs(),
            });
        }
    }
    Ok(())
}
