//! Round trips through every signer and verifier, and the policies: rotation, context, age,
//! downgrade, size.

use std::io::{Read, Write};
use std::time::Duration;

use brine_sign::{
    Algorithm, Clock, Error, Key, Keyring, Section, SignOptions, Signer, VerifyOptions,
};

use crate::{T0, error_name, key, payload, sign_opts, verify_all_ways, verify_opts};

#[test]
fn every_signer_makes_the_same_envelope_and_every_verifier_takes_it() {
    for algorithm in [Algorithm::HmacSha256, Algorithm::HmacSha512] {
        let key = key("k1", algorithm, 1);
        let ring = Keyring::new(key.clone());
        for context in [None, Some("ctx")] {
            for len in [0, 1, 31, 1000, 200_000] {
                let data = payload(len);
                let mut opts = sign_opts(context);
                for issued_at in [true, false] {
                    opts.issued_at = issued_at;
                    let envelope = brine_sign::sign(&key, &opts, &data).unwrap();
                    assert_eq!(envelope.len(), expected_len(&key, context, issued_at, len));

                    let mut by_writer = Vec::new();
                    brine_sign::sign_to_writer(&key, &opts, &data, &mut by_writer).unwrap();
                    assert_eq!(by_writer, envelope);

                    let mut signer = Signer::new(&key, &opts, len as u64, Vec::new()).unwrap();
                    for chunk in data.chunks(777) {
                        signer.write_all(chunk).unwrap();
                    }
                    assert_eq!(signer.finish().unwrap(), envelope);

                    let mut small_spool = opts.clone();
                    small_spool.spool_memory_limit = 100;
                    for stream_opts in [&opts, &small_spool] {
                        let mut streamed = Vec::new();
                        let n =
                            brine_sign::sign_stream(&key, stream_opts, &data[..], &mut streamed)
                                .unwrap();
                        assert_eq!((n, &streamed), (len as u64, &envelope));
                    }

                    let vopts = verify_opts(context, T0);
                    assert_eq!(verify_all_ways(&ring, &vopts, &envelope).unwrap(), data);
                    let mut small = vopts.clone();
                    small.spool_memory_limit = 10;
                    assert_eq!(verify_all_ways(&ring, &small, &envelope).unwrap(), data);

                    let verified = brine_sign::verify(&ring, &vopts, &envelope).unwrap();
                    let header = verified.header();
                    assert_eq!(header.algorithm(), algorithm);
                    assert_eq!(header.key_id(), b"k1");
                    assert_eq!(header.context(), context.map(str::as_bytes));
                    assert_eq!(header.issued_at(), issued_at.then_some(T0));
                    assert_eq!(header.payload_len(), len as u64);
                }
            }
        }
    }
}

fn expected_len(key: &Key, context: Option<&str>, issued_at: bool, payload_len: usize) -> usize {
    8 + 4
        + key.id().len()
        + context.map_or(0, |c| 2 + c.len())
        + if issued_at { 8 } else { 0 }
        + 8
        + payload_len
        + key.algorithm().tag_len()
}

#[test]
fn verify_reader_stops_after_the_tag() {
    let key = key("k1", Algorithm::HmacSha256, 1);
    let ring = Keyring::new(key.clone());
    let first = brine_sign::sign(&key, &sign_opts(None), b"one").unwrap();
    let second = brine_sign::sign(&key, &sign_opts(None), b"two").unwrap();
    let both = [first.clone(), second].concat();
    let mut input = &both[..];
    for expected in [&b"one"[..], b"two"] {
        let mut verified =
            brine_sign::verify_reader(&ring, &verify_opts(None, T0), &mut input).unwrap();
        let mut out = Vec::new();
        verified.read_to_end(&mut out).unwrap();
        assert_eq!(out, expected);
    }
    assert!(input.is_empty());
    let err = brine_sign::verify_stream(&ring, &verify_opts(None, T0), &both[..], Vec::new())
        .unwrap_err();
    assert!(matches!(err, Error::TrailingBytes), "{err}");
    let err = brine_sign::verify(&ring, &verify_opts(None, T0), &both).unwrap_err();
    assert!(matches!(err, Error::TrailingBytes), "{err}");
}

#[test]
fn signer_refuses_a_payload_of_the_wrong_length() {
    let key = key("k1", Algorithm::HmacSha256, 1);
    let mut signer = Signer::new(&key, &sign_opts(None), 4, Vec::new()).unwrap();
    signer.write_all(b"abc").unwrap();
    let err = signer.finish().unwrap_err();
    assert!(
        matches!(
            err,
            Error::PayloadLength {
                declared: 4,
                written: 3
            }
        ),
        "{err}"
    );

    let mut signer = Signer::new(&key, &sign_opts(None), 4, Vec::new()).unwrap();
    signer.write_all(b"abc").unwrap();
    assert!(signer.write_all(b"de").is_err());
    let err = signer.finish().unwrap_err();
    assert!(
        matches!(
            err,
            Error::PayloadLength {
                declared: 4,
                written: 5
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "payload length mismatch: declared 4 bytes, got 5"
    );
}

#[test]
fn rotation_old_key_verifies_new_key_signs() {
    let old = key("2023", Algorithm::HmacSha256, 1);
    let new = key("2024", Algorithm::HmacSha512, 2);
    let old_envelope = brine_sign::sign(&old, &sign_opts(None), b"old").unwrap();

    let mut ring = Keyring::new(new.clone());
    ring.insert(old.clone()).unwrap();
    let new_envelope = brine_sign::sign(ring.signing_key(), &sign_opts(None), b"new").unwrap();
    let opts = verify_opts(None, T0);
    assert_eq!(
        verify_all_ways(&ring, &opts, &old_envelope).unwrap(),
        b"old"
    );
    assert_eq!(
        verify_all_ways(&ring, &opts, &new_envelope).unwrap(),
        b"new"
    );
    assert_eq!(
        brine_sign::verify(&ring, &opts, &new_envelope)
            .unwrap()
            .header()
            .key_id(),
        b"2024"
    );

    // Retiring the old key refuses its envelopes by id.
    let retired = Keyring::new(new);
    let err = brine_sign::verify(&retired, &opts, &old_envelope).unwrap_err();
    assert_eq!(err.to_string(), "unknown key id `2023`");
    assert_eq!(
        verify_all_ways(&retired, &opts, &old_envelope).unwrap_err(),
        "UnknownKeyId"
    );

    // A keyring refuses a second key with an id it holds.
    let err = ring
        .insert(key("2023", Algorithm::HmacSha256, 9))
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateKeyId { .. }), "{err}");
}

#[test]
fn rotation_through_a_key_file() {
    let secret_2023 = "000102030405060708090a0b0c0d0e0f";
    let secret_2024 = "f0e0d0c0b0a090807060504030201000f0e0d0c0b0a090807060504030201000";
    let before = format!("id=2023 {secret_2023}\n");
    let after = format!("{before}# rotated\nid=2024 alg=hmac-sha512 {secret_2024}\n");
    let ring_before = Keyring::from_key_file(before.as_bytes()).unwrap();
    let ring_after = Keyring::from_key_file(after.as_bytes()).unwrap();
    let old = brine_sign::sign(ring_before.signing_key(), &sign_opts(None), b"x").unwrap();
    let new = brine_sign::sign(ring_after.signer(None).unwrap(), &sign_opts(None), b"y").unwrap();
    let opts = verify_opts(None, T0);
    assert_eq!(verify_all_ways(&ring_after, &opts, &old).unwrap(), b"x");
    assert_eq!(verify_all_ways(&ring_after, &opts, &new).unwrap(), b"y");
    assert_eq!(
        verify_all_ways(&ring_before, &opts, &new).unwrap_err(),
        "UnknownKeyId"
    );
    let header = brine_sign::verify(&ring_after, &opts, &new)
        .unwrap()
        .header()
        .clone();
    assert_eq!(
        (header.key_id(), header.algorithm()),
        (&b"2024"[..], Algorithm::HmacSha512)
    );
    // --key-id picks an older key to sign with.
    assert_eq!(ring_after.signer(Some(b"2023")).unwrap().id(), b"2023");
    assert!(matches!(
        ring_after.signer(Some(b"2025")),
        Err(Error::UnknownKeyId { .. })
    ));
}

#[test]
fn key_without_an_id_gets_its_fingerprint() {
    let secret = [0x5a; 32];
    let signer = Key::from_secret(&secret).unwrap();
    let verifier = Keyring::from_key_file("5a".repeat(32).as_bytes()).unwrap();
    assert_eq!(verifier.signing_key().id(), signer.id());
    let envelope = brine_sign::sign(&signer, &sign_opts(None), b"p").unwrap();
    assert_eq!(
        verify_all_ways(&verifier, &verify_opts(None, T0), &envelope).unwrap(),
        b"p"
    );
}

#[test]
fn context_binding() {
    let key = key("k1", Algorithm::HmacSha256, 1);
    let ring = Keyring::new(key.clone());
    let envelope = brine_sign::sign(&key, &sign_opts(Some("model-weights")), b"p").unwrap();
    assert_eq!(
        verify_all_ways(&ring, &verify_opts(Some("model-weights"), T0), &envelope).unwrap(),
        b"p"
    );
    for other in [
        Some("session"),
        Some("model-weight"),
        Some("model-weights2"),
        None,
    ] {
        assert_eq!(
            verify_all_ways(&ring, &verify_opts(other, T0), &envelope).unwrap_err(),
            "ContextMismatch",
            "{other:?}"
        );
    }
    let err = brine_sign::verify(&ring, &verify_opts(None, T0), &envelope).unwrap_err();
    assert_eq!(
        err.to_string(),
        "context mismatch: expected no context, the envelope is bound to context `model-weights`"
    );

    let unbound = brine_sign::sign(&key, &sign_opts(None), b"p").unwrap();
    assert_eq!(
        verify_all_ways(&ring, &verify_opts(Some("x"), T0), &unbound).unwrap_err(),
        "ContextMismatch"
    );
    // An empty context is no context, on both sides.
    assert_eq!(
        verify_all_ways(&ring, &verify_opts(Some(""), T0), &unbound).unwrap(),
        b"p"
    );
    assert_eq!(
        brine_sign::sign(&key, &sign_opts(Some("")), b"p").unwrap(),
        unbound
    );

    let long = SignOptions::default().with_context(vec![b'c'; 65_536]);
    assert!(matches!(
        brine_sign::sign(&key, &long, b"p"),
        Err(Error::ContextTooLong { len: 65_536 })
    ));
    let longest = sign_opts(None).with_context(vec![b'c'; 65_535]);
    let envelope = brine_sign::sign(&key, &longest, b"p").unwrap();
    let vopts = verify_opts(None, T0).with_context(vec![b'c'; 65_535]);
    assert_eq!(verify_all_ways(&ring, &vopts, &envelope).unwrap(), b"p");
}

#[test]
fn maximum_age_with_an_injected_clock() {
    let key = key("k1", Algorithm::HmacSha256, 1);
    let ring = Keyring::new(key.clone());
    let envelope = brine_sign::sign(&key, &sign_opts(None), b"p").unwrap();
    let at = |now: u64, max_age: Option<u64>| {
        let mut opts = verify_opts(None, now);
        opts.max_age = max_age.map(Duration::from_secs);
        verify_all_ways(&ring, &opts, &envelope)
    };
    assert!(at(T0, Some(3600)).is_ok());
    assert!(at(T0 + 3600, Some(3600)).is_ok());
    assert_eq!(at(T0 + 3601, Some(3600)).unwrap_err(), "Expired");
    assert!(at(T0 + 10 * 365 * 86400, None).is_ok());
    // Issued in the future: within the skew is fine, beyond it is refused, with or without a
    // maximum age.
    assert!(at(T0 - 300, Some(3600)).is_ok());
    assert_eq!(at(T0 - 301, Some(3600)).unwrap_err(), "IssuedInFuture");
    assert_eq!(at(T0 - 301, None).unwrap_err(), "IssuedInFuture");

    let mut opts = verify_opts(None, T0 + 7200);
    opts.max_age = Some(Duration::from_secs(3600));
    let err = brine_sign::verify(&ring, &opts, &envelope).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expired envelope: issued 7200 s ago, the maximum age is 3600 s"
    );
    let mut opts = verify_opts(None, T0 - 1000);
    opts.max_future_skew = Duration::from_secs(60);
    let err = brine_sign::verify(&ring, &opts, &envelope).unwrap_err();
    assert_eq!(
        err.to_string(),
        "envelope issued in the future: 1000 s ahead of the clock, the allowed skew is 60 s"
    );

    let mut no_time = sign_opts(None);
    no_time.issued_at = false;
    let undated = brine_sign::sign(&key, &no_time, b"p").unwrap();
    let mut opts = verify_opts(None, T0);
    assert_eq!(verify_all_ways(&ring, &opts, &undated).unwrap(), b"p");
    opts.max_age = Some(Duration::from_secs(3600));
    assert_eq!(
        verify_all_ways(&ring, &opts, &undated).unwrap_err(),
        "MissingIssuedAt"
    );
}

#[test]
fn system_clock_is_the_default() {
    let key = key("k1", Algorithm::HmacSha256, 1);
    let envelope = brine_sign::sign(&key, &SignOptions::default(), b"p").unwrap();
    let mut opts = VerifyOptions::default();
    opts.max_age = Some(Duration::from_secs(60));
    let verified = brine_sign::verify(&key.clone().into(), &opts, &envelope).unwrap();
    let now = Clock::System
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(verified.header().issued_at().unwrap().abs_diff(now) < 60);
}

#[test]
fn downgrade_is_refused() {
    let strong = key("k1", Algorithm::HmacSha512, 1);
    let ring = Keyring::new(strong.clone());
    let envelope = brine_sign::sign(&strong, &sign_opts(None), b"p").unwrap();
    // Relabel HMAC-SHA512 as HMAC-SHA256 (byte 9 is the algorithm).
    let mut relabelled = envelope.clone();
    relabelled[9] = Algorithm::HmacSha256.id();
    assert_eq!(
        verify_all_ways(&ring, &verify_opts(None, T0), &relabelled).unwrap_err(),
        "AlgorithmMismatch"
    );
    let err = brine_sign::verify(&ring, &verify_opts(None, T0), &relabelled).unwrap_err();
    assert_eq!(
        err.to_string(),
        "algorithm mismatch: key `k1` is bound to hmac-sha512 but the envelope uses hmac-sha256"
    );
    // Even a keyring whose key is bound to HMAC-SHA256 refuses weak envelopes when the
    // verifier sets a minimum.
    let weak = key("k1", Algorithm::HmacSha256, 1);
    let weak_envelope = brine_sign::sign(&weak, &sign_opts(None), b"p").unwrap();
    let mut opts = verify_opts(None, T0);
    opts.min_algorithm = Algorithm::HmacSha512;
    let weak_ring = Keyring::new(weak);
    assert_eq!(
        verify_all_ways(&weak_ring, &opts, &weak_envelope).unwrap_err(),
        "Downgrade"
    );
    let err = brine_sign::verify(&weak_ring, &opts, &weak_envelope).unwrap_err();
    assert_eq!(
        err.to_string(),
        "algorithm downgrade: the envelope uses hmac-sha256 but at least hmac-sha512 is required"
    );
    assert_eq!(verify_all_ways(&ring, &opts, &envelope).unwrap(), b"p");
}

#[test]
fn wrong_key_with_the_same_id_is_a_bad_tag() {
    let signer = key("k1", Algorithm::HmacSha256, 1);
    let impostor = key("k1", Algorithm::HmacSha256, 2);
    let envelope = brine_sign::sign(&impostor, &sign_opts(None), b"p").unwrap();
    let ring = Keyring::new(signer);
    assert_eq!(
        verify_all_ways(&ring, &verify_opts(None, T0), &envelope).unwrap_err(),
        "BadTag"
    );
    let err = brine_sign::verify(&ring, &verify_opts(None, T0), &envelope).unwrap_err();
    assert_eq!(err.to_string(), "bad tag: wrong key or altered bytes");
}

/// A reader that fails the test if more than `limit` bytes are read from it.
struct Guarded<'a> {
    data: &'a [u8],
    limit: usize,
    read: usize,
}

impl Read for Guarded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.read(buf)?;
        self.read += n;
        assert!(
            self.read <= self.limit,
            "read {} bytes, past the header",
            self.read
        );
        Ok(n)
    }
}

#[test]
fn oversize_is_refused_from_the_header() {
    let key = key("k1", Algorithm::HmacSha256, 1);
    let ring = Keyring::new(key.clone());
    let envelope = brine_sign::sign(&key, &sign_opts(None), &payload(5000)).unwrap();
    let mut opts = verify_opts(None, T0);
    opts.max_payload_len = 4999;
    assert_eq!(
        verify_all_ways(&ring, &opts, &envelope).unwrap_err(),
        "Oversize"
    );
    let header_len = envelope.len() - 5000 - 32;
    let reader = Guarded {
        data: &envelope,
        limit: header_len,
        read: 0,
    };
    let err = brine_sign::verify_reader(&ring, &opts, reader).unwrap_err();
    assert_eq!(
        err.to_string(),
        "oversize payload: 5000 bytes, the limit is 4999"
    );
    opts.max_payload_len = 5000;
    assert_eq!(
        verify_all_ways(&ring, &opts, &envelope).unwrap().len(),
        5000
    );

    // A header that claims an enormous payload allocates nothing before running out of input.
    let mut huge = envelope[..header_len].to_vec();
    huge[header_len - 8..].copy_from_slice(&u64::MAX.to_be_bytes());
    opts.max_payload_len = u64::MAX;
    huge.extend_from_slice(b"short");
    assert!(matches!(
        brine_sign::verify(&ring, &opts, &huge),
        Err(Error::Truncated {
            section: Section::Payload
        })
    ));
    assert!(matches!(
        brine_sign::verify_reader(&ring, &opts, &huge[..]),
        Err(Error::Truncated {
            section: Section::Payload
        })
    ));
}

#[test]
fn not_an_envelope_and_unknown_versions() {
    let key = key("k1", Algorithm::HmacSha256, 1);
    let ring = Keyring::new(key.clone());
    let opts = verify_opts(None, T0);
    // A bare pickle, text, nothing.
    for input in [&b"\x80\x04K\x01."[..], b"hello", b""] {
        assert_eq!(
            verify_all_ways(&ring, &opts, input).unwrap_err(),
            "NotAnEnvelope"
        );
    }
    let envelope = brine_sign::sign(&key, &sign_opts(None), b"p").unwrap();
    let mut v2 = envelope.clone();
    v2[8] = 2;
    assert_eq!(
        verify_all_ways(&ring, &opts, &v2).unwrap_err(),
        "UnknownVersion"
    );
    let mut alg = envelope.clone();
    alg[9] = 0x7f;
    assert_eq!(
        verify_all_ways(&ring, &opts, &alg).unwrap_err(),
        "UnknownAlgorithm"
    );
    assert_eq!(
        brine_sign::verify(&ring, &opts, &alg)
            .unwrap_err()
            .to_string(),
        "unknown algorithm id 0x7f"
    );
}

#[test]
fn keys_never_print_their_secret() {
    let secret = b"super-secret-key-material-0123456789";
    let key = Key::new("k1", secret).unwrap();
    let ring = Keyring::new(key.clone());
    for shown in [format!("{key:?}"), format!("{ring:?}"), format!("{key:#?}")] {
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
    let err = Keyring::from_key_file(b"id=k1 73757065722d7365637265742d6b6579zz").unwrap_err();
    assert!(!err.to_string().contains("7375"), "{err}");
    assert!(matches!(
        Key::new("", secret),
        Err(Error::InvalidKey { .. })
    ));
    assert!(matches!(
        Key::new(vec![b'i'; 256], secret),
        Err(Error::InvalidKey { .. })
    ));
    assert!(Key::new(vec![b'i'; 255], secret).is_ok());
    assert!(matches!(
        Key::new("k", &secret[..15]),
        Err(Error::InvalidKey { .. })
    ));
}

#[test]
fn error_names_match_variants() {
    assert_eq!(
        error_name(&Error::Truncated {
            section: Section::Tag
        }),
        "Truncated"
    );
    assert_eq!(
        Error::Truncated {
            section: Section::Tag
        }
        .to_string(),
        "truncated envelope: the input ends inside the tag"
    );
}
