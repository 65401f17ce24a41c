//! The brine signing envelope: HMAC-signed bytes (a pickle, usually) in a documented, versioned
//! format, verified in constant time before a single payload byte is handed out.
//!
//! Python's pickle documentation says to sign pickles with HMAC so that a tampered one is never
//! loaded. This crate makes that a format (specified in `docs/envelope.md`, with a second
//! implementation in `python/brine_envelope.py`) and an API that cannot be used the wrong way
//! round:
//!
//! - [`sign`], [`sign_to_writer`], [`Signer`] and [`sign_stream`] wrap a payload in an
//!   envelope: magic, version, algorithm, key id, optional context and issued-at time, payload
//!   length, payload, and an HMAC-SHA256 or HMAC-SHA512 tag over all of it.
//! - [`verify`], [`verify_reader`] and [`verify_stream`] check an envelope against a
//!   [`Keyring`] and [`VerifyOptions`] (context, maximum age, minimum algorithm, size limit).
//!   The payload comes back only inside [`Verified`] or [`VerifiedReader`], which nothing else
//!   can construct, and from a stream only after the tag has been checked.
//! - [`Key`] and [`Keyring`] hold secrets with ids, so keys rotate without breaking old
//!   envelopes; [`Keyring::from_key_file`] reads the key-file format.
//!
//! It does not do: encryption (the payload is readable by anyone; the envelope proves who
//! made it, not who may read it), public-key signatures (signer and verifier share a secret),
//! key generation or storage, replay protection beyond a maximum age, or anything with the
//! payload: it never parses, decompresses or unpickles it.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use brine_sign::{Key, Keyring, SignOptions, VerifyOptions};
//!
//! let ring = Keyring::new(Key::new("2024-06", b"0123456789abcdef0123456789abcdef")?);
//! let pickle = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01K\x02\x86\x94.";
//!
//! let envelope = brine_sign::sign(
//!     ring.signing_key(),
//!     &SignOptions::default().with_context("cache"),
//!     pickle,
//! )?;
//!
//! let mut opts = VerifyOptions::default().with_context("cache");
//! opts.max_age = Some(Duration::from_secs(3600));
//! let verified = brine_sign::verify(&ring, &opts, &envelope)?;
//! assert_eq!(verified.payload(), pickle);
//!
//! // Another purpose, another context: refused even though the tag is good.
//! let other = VerifyOptions::default().with_context("session");
//! assert!(brine_sign::verify(&ring, &other, &envelope).is_err());
//! # Ok::<(), brine_sign::Error>(())
//! ```
//!
//! # For a command line
//!
//! `brine sign --key FILE [--key-id ID] [IN] [-o OUT]` and `brine verify --key FILE [IN] [-o OUT]`
//! are a few lines each. Key files are hex text, one key per line, the last one signing
//! ([`Keyring::from_key_file`]).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (key_path, key_id): (&str, Option<&str>) = ("brine.key", None);
//! use std::io;
//! use brine_sign::{Keyring, SignOptions, VerifyOptions};
//!
//! let ring = Keyring::from_key_file(&std::fs::read(key_path)?)?;
//!
//! // brine sign
//! let key = ring.signer(key_id.map(str::as_bytes))?;
//! brine_sign::sign_stream(key, &SignOptions::default(), io::stdin().lock(), io::stdout().lock())?;
//!
//! // brine verify: nothing reaches stdout unless the whole envelope verifies.
//! brine_sign::verify_stream(&ring, &VerifyOptions::default(), io::stdin().lock(), io::stdout().lock())?;
//! # Ok(())
//! # }
//! ```
//!
//! With `-o OUT`, a refused envelope should leave no empty file behind: call [`verify_reader`]
//! (which reads exactly one envelope and holds its payload back) and create `OUT` only once it
//! has returned `Ok`, then copy the [`VerifiedReader`] into it.
//!
//! # Features
//!
//! None. The crate depends on `hmac`, `sha2`, `zeroize`, `tempfile` (verification of streams
//! spools to an anonymous temporary file) and `thiserror`, and on no other brine crate.
#![forbid(unsafe_code)]

mod clock;
mod error;
mod format;
mod key;
mod mac;
mod sign;
mod spool;
mod verify;

pub use clock::Clock;
pub use error::{Error, Section};
pub use format::{Algorithm, Header, MAGIC};
pub use key::{Key, Keyring};
pub use sign::{SignOptions, Signer, sign, sign_stream, sign_to_writer};
pub use verify::{Verified, VerifiedReader, VerifyOptions, verify, verify_reader, verify_stream};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
