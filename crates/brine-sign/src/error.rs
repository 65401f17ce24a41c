//! The one error type of this crate, with a variant for every way an envelope is refused.

use std::fmt;
use std::io;

use crate::format::Algorithm;

/// Everything that can go wrong while signing, verifying or loading keys.
///
/// Every verification failure is an `Err`; there is no partial success.
/// The messages are lowercase and name what is wrong, so the `brine` command can print them
/// as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not start with [`MAGIC`](crate::MAGIC).
    #[error("not a brine envelope: the input does not start with the envelope magic bytes")]
    NotAnEnvelope,
    /// The version byte names a version this crate does not implement.
    #[error("unknown envelope version {version}")]
    UnknownVersion {
        /// The version byte found.
        version: u8,
    },
    /// The algorithm byte names no algorithm this crate implements.
    #[error("unknown algorithm id {id:#04x}")]
    UnknownAlgorithm {
        /// The algorithm byte found.
        id: u8,
    },
    /// A textual algorithm name (key file, command line) is not one of the known names.
    #[error("unknown algorithm name `{name}`: expected hmac-sha256 or hmac-sha512")]
    UnknownAlgorithmName {
        /// The name given.
        name: String,
    },
    /// The header breaks a rule of the format (reserved flag bits, an empty key id or context).
    #[error("malformed envelope header: {reason}")]
    MalformedHeader {
        /// Which rule is broken.
        reason: &'static str,
    },
    /// The envelope names a key id the keyring does not hold.
    #[error("unknown key id `{}`", .key_id.escape_ascii())]
    UnknownKeyId {
        /// The key id named by the envelope.
        key_id: Vec<u8>,
    },
    /// The tag does not match: the key is wrong or a byte of the envelope was altered.
    #[error("bad tag: wrong key or altered bytes")]
    BadTag,
    /// The input ends before the envelope does.
    #[error("truncated envelope: the input ends inside the {section}")]
    Truncated {
        /// The part of the envelope the input ends in.
        section: Section,
    },
    /// Bytes follow the tag where the input should end.
    #[error("trailing bytes after the envelope's tag")]
    TrailingBytes,
    /// The envelope uses a weaker algorithm than the verifier's minimum.
    #[error("algorithm downgrade: the envelope uses {found} but at least {required} is required")]
    Downgrade {
        /// The envelope's algorithm.
        found: Algorithm,
        /// The verifier's minimum ([`VerifyOptions::min_algorithm`](crate::VerifyOptions::min_algorithm)).
        required: Algorithm,
    },
    /// The envelope's algorithm is not the one its key is bound to.
    #[error(
        "algorithm mismatch: key `{}` is bound to {bound} but the envelope uses {found}",
        .key_id.escape_ascii()
    )]
    AlgorithmMismatch {
        /// The key id.
        key_id: Vec<u8>,
        /// The algorithm the key is bound to.
        bound: Algorithm,
        /// The envelope's algorithm.
        found: Algorithm,
    },
    /// The envelope is authentic but bound to another context (purpose) than the one expected.
    #[error(
        "context mismatch: expected {}, the envelope is bound to {}",
        show_context(.expected.as_deref()),
        show_context(.found.as_deref())
    )]
    ContextMismatch {
        /// The context the verifier expected.
        expected: Option<Vec<u8>>,
        /// The context the envelope is bound to.
        found: Option<Vec<u8>>,
    },
    /// The envelope is older than [`VerifyOptions::max_age`](crate::VerifyOptions::max_age).
    #[error("expired envelope: issued {age} s ago, the maximum age is {max_age} s")]
    Expired {
        /// Seconds between the issued-at time and the verifier's clock.
        age: u64,
        /// The maximum age in seconds.
        max_age: u64,
    },
    /// The envelope's issued-at time is ahead of the verifier's clock by more than the skew.
    #[error(
        "envelope issued in the future: {ahead} s ahead of the clock, the allowed skew is {skew} s"
    )]
    IssuedInFuture {
        /// Seconds the issued-at time is ahead of the verifier's clock.
        ahead: u64,
        /// The allowed skew in seconds.
        skew: u64,
    },
    /// A maximum age is set but the envelope records no issued-at time.
    #[error("envelope has no issued-at time but a maximum age is set")]
    MissingIssuedAt,
    /// The payload is longer than [`VerifyOptions::max_payload_len`](crate::VerifyOptions::max_payload_len).
    #[error("oversize payload: {len} bytes, the limit is {max}")]
    Oversize {
        /// The payload length the header declares.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A [`Signer`](crate::Signer) was given more or fewer payload bytes than it declared.
    #[error("payload length mismatch: declared {declared} bytes, got {written}")]
    PayloadLength {
        /// The length given to [`Signer::new`](crate::Signer::new).
        declared: u64,
        /// The bytes written (or attempted, when more than declared).
        written: u64,
    },
    /// A context is longer than the format allows (65535 bytes).
    #[error("context too long: {len} bytes, the limit is 65535")]
    ContextTooLong {
        /// The context's length.
        len: usize,
    },
    /// A key's secret or id breaks a rule (secret shorter than 16 bytes, id empty or too long).
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// Which rule is broken.
        reason: String,
    },
    /// Two keys of one keyring have the same id.
    #[error("duplicate key id `{}` in the keyring", .key_id.escape_ascii())]
    DuplicateKeyId {
        /// The id.
        key_id: Vec<u8>,
    },
    /// A key file does not follow the key-file format.
    #[error("key file line {line}: {reason}")]
    KeyFile {
        /// The line, counted from 1.
        line: usize,
        /// What is wrong (never the secret itself).
        reason: String,
    },
    /// The clock reads a time before 1970-01-01T00:00:00Z.
    #[error("the clock reads a time before the unix epoch")]
    ClockBeforeEpoch,
    /// Reading the input or writing the output failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// The part of an envelope an input ends in (see [`Error::Truncated`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Section {
    /// Magic, version, algorithm, flags, key id, context, issued-at or payload length.
    Header,
    /// The payload.
    Payload,
    /// The tag after the payload.
    Tag,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Section::Header => "header",
            Section::Payload => "payload",
            Section::Tag => "tag",
        })
    }
}

fn show_context(context: Option<&[u8]>) -> String {
    match context {
        Some(context) => format!("context `{}`", context.escape_ascii()),
        None => "no context".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_period() {
        let errors = [
            Error::NotAnEnvelope,
            Error::UnknownVersion { version: 9 },
            Error::UnknownAlgorithm { id: 7 },
            Error::UnknownKeyId {
                key_id: b"k\xff".to_vec(),
            },
            Error::BadTag,
            Error::Truncated {
                section: Section::Tag,
            },
            Error::ContextMismatch {
                expected: Some(b"a".to_vec()),
                found: None,
            },
        ];
        for err in errors {
            let msg = err.to_string();
            assert!(msg.starts_with(|c: char| c.is_ascii_lowercase()), "{msg}");
            assert!(!msg.ends_with('.'), "{msg}");
        }
        assert_eq!(
            Error::UnknownKeyId {
                key_id: b"k\xff".to_vec()
            }
            .to_string(),
            "unknown key id `k\\xff`"
        );
        assert_eq!(
            Error::ContextMismatch {
                expected: Some(b"a".to_vec()),
                found: None
            }
            .to_string(),
            "context mismatch: expected context `a`, the envelope is bound to no context"
        );
        assert_eq!(
            Error::UnknownAlgorithm { id: 7 }.to_string(),
            "unknown algorithm id 0x07"
        );
    }
}
