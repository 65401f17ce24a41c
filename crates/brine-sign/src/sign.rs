//! Signing: a payload in memory, a payload written through a [`Signer`], or a stream of
//! unknown length.

use std::fmt;
use std::io;
use std::io::{Read, Write};

use crate::clock::Clock;
use crate::error::Error;
use crate::format::{Header, MAX_CONTEXT_LEN};
use crate::key::Key;
use crate::mac::Mac;
use crate::spool::Spool;

/// How to sign: the context to bind, whether to record the time, and where the time comes from.
///
/// # Example
///
/// ```
/// use brine_sign::{Clock, SignOptions};
///
/// let mut opts = SignOptions::default().with_context("model-weights");
/// opts.clock = Clock::from_unix(1_700_000_000);
/// opts.issued_at = false;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SignOptions {
    /// The context (purpose) the envelope is bound to: 1 to 65535 bytes, stored in the header
    /// and covered by the tag. A verifier must expect exactly this context. An empty context is
    /// the same as none.
    ///
    /// Default: `None`.
    pub context: Option<Vec<u8>>,
    /// Whether to record the issued-at time (whole seconds since the Unix epoch), which a
    /// verifier needs to enforce a maximum age.
    ///
    /// Default: `true`.
    pub issued_at: bool,
    /// Where the issued-at time comes from.
    ///
    /// Default: [`Clock::System`].
    pub clock: Clock,
    /// How many payload bytes [`sign_stream`] holds in memory before it spools to an anonymous
    /// temporary file.
    ///
    /// Default: 16 MiB.
    pub spool_memory_limit: usize,
}

impl Default for SignOptions {
    fn default() -> SignOptions {
        SignOptions {
            context: None,
            issued_at: true,
            clock: Clock::System,
            spool_memory_limit: 16 << 20,
        }
    }
}

impl SignOptions {
    /// These options with [`SignOptions::context`] set.
    ///
    /// # Example
    ///
    /// ```
    /// let opts = brine_sign::SignOptions::default().with_context("backup");
    /// assert_eq!(opts.context.as_deref(), Some(&b"backup"[..]));
    /// ```
    #[must_use]
    pub fn with_context(mut self, context: impl Into<Vec<u8>>) -> SignOptions {
        self.context = Some(context.into());
        self
    }

    /// These options with [`SignOptions::clock`] set.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_sign::{Clock, SignOptions};
    /// let opts = SignOptions::default().with_clock(Clock::from_unix(0));
    /// assert_eq!(opts.clock, Clock::from_unix(0));
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> SignOptions {
        self.clock = clock;
        self
    }
}

/// Signs `payload` with `key` and returns the whole envelope.
///
/// # Errors
///
/// [`Error::ContextTooLong`] for a context over 65535 bytes; [`Error::ClockBeforeEpoch`] when
/// the issued-at time is recorded and the clock reads a time before 1970.
///
/// # Example
///
/// ```
/// use brine_sign::{Key, SignOptions};
///
/// let key = Key::new("k1", &[7; 32])?;
/// let envelope = brine_sign::sign(&key, &SignOptions::default(), b"\x80\x04K\x01.")?;
/// let verified = brine_sign::verify(&key.into(), &Default::default(), &envelope)?;
/// assert_eq!(verified.payload(), b"\x80\x04K\x01.");
/// # Ok::<(), brine_sign::Error>(())
/// ```
pub fn sign(key: &Key, opts: &SignOptions, payload: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    sign_to_writer(key, opts, payload, &mut out)?;
    Ok(out)
}

/// Signs `payload` with `key`, writing the envelope to `writer`.
///
/// # Errors
///
/// As [`sign`], and [`Error::Io`] when writing fails.
///
/// # Example
///
/// ```
/// let key = brine_sign::Key::new("k1", &[7; 32])?;
/// let mut out = Vec::new();
/// brine_sign::sign_to_writer(&key, &Default::default(), b"payload", &mut out)?;
/// assert!(out.starts_with(&brine_sign::MAGIC));
/// # Ok::<(), brine_sign::Error>(())
/// ```
pub fn sign_to_writer<W: Write>(
    key: &Key,
    opts: &SignOptions,
    payload: &[u8],
    writer: W,
) -> Result<(), Error> {
    let mut signer = Signer::new(key, opts, payload.len() as u64, writer)?;
    signer.write_all(payload)?;
    signer.finish()?;
    Ok(())
}

/// Signs everything `reader` yields, writing the envelope to `writer`, and returns the payload
/// length.
///
/// The header carries the payload length, so the input is first spooled (in memory up to
/// [`SignOptions::spool_memory_limit`], then in an anonymous temporary file) and then written
/// out behind the header. When the length is known in advance, a [`Signer`] streams without
/// spooling. This is what `brine sign` needs.
///
/// # Errors
///
/// As [`sign`], and [`Error::Io`] when reading, spooling or writing fails.
///
/// # Example
///
/// ```
/// let key = brine_sign::Key::new("k1", &[7; 32])?;
/// let mut out = Vec::new();
/// let len = brine_sign::sign_stream(&key, &Default::default(), &b"payload"[..], &mut out)?;
/// assert_eq!(len, 7);
/// # Ok::<(), brine_sign::Error>(())
/// ```
pub fn sign_stream<R: Read, W: Write>(
    key: &Key,
    opts: &SignOptions,
    mut reader: R,
    writer: W,
) -> Result<u64, Error> {
    let mut spool = Spool::new(opts.spool_memory_limit);
    let mut buf = vec![0; 64 << 10];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(Error::Io(err)),
        };
        spool.write_all(&buf[..n])?;
    }
    let payload_len = spool.len();
    let mut signer = Signer::new(key, opts, payload_len, writer)?;
    io::copy(&mut spool.into_reader()?, &mut signer)?;
    signer.finish()?;
    Ok(payload_len)
}

/// Writes an envelope as its payload is written to it, for payloads of known length.
///
/// [`Signer::new`] writes the header at once; every payload byte written to the `Signer` is
/// MACed and passed straight to the inner writer; [`Signer::finish`] appends the tag. Nothing
/// is buffered, so a payload of any size streams through in constant memory.
///
/// Writing more bytes than declared is an error. An envelope whose `Signer` was dropped
/// without `finish` has no tag, and every verifier refuses it as truncated.
///
/// # Example
///
/// ```
/// use std::io::Write;
///
/// let key = brine_sign::Key::new("k1", &[7; 32])?;
/// let mut signer = brine_sign::Signer::new(&key, &Default::default(), 11, Vec::new())?;
/// signer.write_all(b"hello ")?;
/// signer.write_all(b"world")?;
/// let envelope = signer.finish()?;
/// let verified = brine_sign::verify(&key.into(), &Default::default(), &envelope)?;
/// assert_eq!(verified.payload(), b"hello world");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Signer<W: Write> {
    writer: W,
    mac: Mac,
    declared: u64,
    written: u64,
    overrun: Option<u64>,
}

impl<W: Write> Signer<W> {
    /// Starts an envelope for a payload of exactly `payload_len` bytes and writes its header.
    ///
    /// # Errors
    ///
    /// As [`sign`], and [`Error::Io`] when writing the header fails.
    ///
    /// # Example
    ///
    /// ```
    /// let key = brine_sign::Key::new("k1", &[7; 32])?;
    /// let signer = brine_sign::Signer::new(&key, &Default::default(), 0, Vec::new())?;
    /// let envelope = signer.finish()?;
    /// assert!(brine_sign::verify(&key.into(), &Default::default(), &envelope)?.payload().is_empty());
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn new(
        key: &Key,
        opts: &SignOptions,
        payload_len: u64,
        mut writer: W,
    ) -> Result<Signer<W>, Error> {
        let header = make_header(key, opts, payload_len)?;
        let header_bytes = header.encode();
        let mut mac = Mac::new(key.algorithm(), key.secret());
        mac.update(&header_bytes);
        writer.write_all(&header_bytes)?;
        Ok(Signer {
            writer,
            mac,
            declared: payload_len,
            written: 0,
            overrun: None,
        })
    }

    /// Appends the tag and returns the inner writer.
    ///
    /// # Errors
    ///
    /// [`Error::PayloadLength`] when fewer bytes than declared were written, or an attempt was
    /// made to write more; [`Error::Io`] when writing the tag or flushing fails.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Write;
    /// let key = brine_sign::Key::new("k1", &[7; 32])?;
    /// let mut signer = brine_sign::Signer::new(&key, &Default::default(), 5, Vec::new())?;
    /// signer.write_all(b"abc")?;
    /// assert!(signer.finish().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(mut self) -> Result<W, Error> {
        if let Some(attempted) = self.overrun {
            return Err(Error::PayloadLength {
                declared: self.declared,
                written: attempted,
            });
        }
        if self.written != self.declared {
            return Err(Error::PayloadLength {
                declared: self.declared,
                written: self.written,
            });
        }
        self.writer.write_all(&self.mac.finalize())?;
        self.writer.flush()?;
        Ok(self.writer)
    }
}

impl<W: Write> Write for Signer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let attempted = self.written.saturating_add(buf.len() as u64);
        if self.overrun.is_some() || attempted > self.declared {
            self.overrun = Some(self.overrun.unwrap_or(attempted).max(attempted));
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "payload is longer than the declared {} bytes",
                    self.declared
                ),
            ));
        }
        let n = self.writer.write(buf)?;
        self.mac.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl<W: Write> fmt::Debug for Signer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("declared", &self.declared)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

fn make_header(key: &Key, opts: &SignOptions, payload_len: u64) -> Result<Header, Error> {
    let context = match opts.context.as_deref() {
        None | Some([]) => None,
        Some(context) if context.len() > MAX_CONTEXT_LEN => {
            return Err(Error::ContextTooLong { len: context.len() });
        }
        Some(context) => Some(context.to_vec()),
    };
    let issued_at = if opts.issued_at {
        Some(opts.clock.now_unix()?)
    } else {
        None
    };
    Ok(Header {
        algorithm: key.algorithm(),
        key_id: key.id().to_vec(),
        context,
        issued_at,
        payload_len,
    })
}
