//! The integration tests of brine-sign, in one binary: round trips and policies, tampering,
//! the test vectors of docs/envelope.md, differential tests against the Python module, and
//! property tests.

mod props;
mod python;
mod roundtrip;
mod tamper;
mod vectors;

use brine_sign::{Algorithm, Clock, Error, Key, Keyring, SignOptions, VerifyOptions};

/// The Unix time every test signs at, unless it says otherwise.
pub const T0: u64 = 1_700_000_000;

/// A key with a secret derived from `seed`.
pub fn key(id: &str, algorithm: Algorithm, seed: u8) -> Key {
    let secret: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed))
        .collect();
    Key::new(id, &secret).unwrap().with_algorithm(algorithm)
}

/// Sign options with a fixed clock at `T0` and an optional context.
pub fn sign_opts(context: Option<&str>) -> SignOptions {
    let mut opts = SignOptions::default().with_clock(Clock::from_unix(T0));
    opts.context = context.map(|c| c.as_bytes().to_vec());
    opts
}

/// Verify options with a fixed clock at `now` and an optional context.
pub fn verify_opts(context: Option<&str>, now: u64) -> VerifyOptions {
    let mut opts = VerifyOptions::default().with_clock(Clock::from_unix(now));
    opts.context = context.map(|c| c.as_bytes().to_vec());
    opts
}

/// A payload of `len` bytes that is not all one value.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// The variant name of an error, as docs/envelope.md and the Python module name it.
pub fn error_name(err: &Error) -> &'static str {
    match err {
        Error::NotAnEnvelope => "NotAnEnvelope",
        Error::UnknownVersion { .. } => "UnknownVersion",
        Error::UnknownAlgorithm { .. } => "UnknownAlgorithm",
        Error::UnknownAlgorithmName { .. } => "UnknownAlgorithmName",
        Error::MalformedHeader { .. } => "MalformedHeader",
        Error::UnknownKeyId { .. } => "UnknownKeyId",
        Error::BadTag => "BadTag",
        Error::Truncated { .. } => "Truncated",
        Error::TrailingBytes => "TrailingBytes",
        Error::Downgrade { .. } => "Downgrade",
        Error::AlgorithmMismatch { .. } => "AlgorithmMismatch",
        Error::ContextMismatch { .. } => "ContextMismatch",
        Error::Expired { .. } => "Expired",
        Error::IssuedInFuture { .. } => "IssuedInFuture",
        Error::MissingIssuedAt => "MissingIssuedAt",
        Error::Oversize { .. } => "Oversize",
        Error::PayloadLength { .. } => "PayloadLength",
        Error::ContextTooLong { .. } => "ContextTooLong",
        Error::InvalidKey { .. } => "InvalidKey",
        Error::DuplicateKeyId { .. } => "DuplicateKeyId",
        Error::KeyFile { .. } => "KeyFile",
        Error::ClockBeforeEpoch => "ClockBeforeEpoch",
        Error::Io(_) => "Io",
        _ => "unknown error variant",
    }
}

/// Verifies `envelope` in all three ways and checks they agree. On success returns the payload;
/// on failure returns the error name, after checking that the stream verifier wrote nothing.
pub fn verify_all_ways(
    ring: &Keyring,
    opts: &VerifyOptions,
    envelope: &[u8],
) -> Result<Vec<u8>, String> {
    let slice = brine_sign::verify(ring, opts, envelope).map(|v| v.payload().to_vec());
    let reader = brine_sign::verify_reader(ring, opts, envelope).map(|mut v| {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut v, &mut out).unwrap();
        out
    });
    let mut streamed = Vec::new();
    let stream = brine_sign::verify_stream(ring, opts, envelope, &mut streamed);
    match (&slice, &stream) {
        (Ok(payload), Ok(_)) => {
            assert_eq!(&streamed, payload);
            assert_eq!(reader.as_ref().unwrap(), payload);
        }
        (Err(slice_err), Err(stream_err)) => {
            assert!(
                streamed.is_empty(),
                "verify_stream released {} bytes before failing",
                streamed.len()
            );
            assert_eq!(error_name(slice_err), error_name(stream_err));
            // verify_reader stops at the tag, so it cannot see trailing bytes.
            if !matches!(slice_err, Error::TrailingBytes) {
                assert_eq!(
                    error_name(slice_err),
                    error_name(reader.as_ref().unwrap_err())
                );
            }
        }
        _ => panic!("verify and verify_stream disagree: {slice:?} vs {stream:?}"),
    }
    slice.map_err(|err| error_name(&err).to_owned())
}
