//! Every single-bit flip and every truncation of a signed envelope is refused, by every
//! verifier, and the stream verifier releases no byte of the payload.

use std::io::Write;

use brine_sign::{Algorithm, Keyring, Signer};

use crate::{T0, key, payload, sign_opts, verify_all_ways, verify_opts};

/// Flips every bit and tries every truncation of `envelope`, which must verify as it is.
fn check_tamper(
    ring: &Keyring,
    context: Option<&str>,
    envelope: &[u8],
    payload_len: usize,
    tag_len: usize,
) {
    let opts = verify_opts(context, T0);
    verify_all_ways(ring, &opts, envelope).unwrap();
    let payload_start = envelope.len() - tag_len - payload_len;
    let mut flipped = envelope.to_vec();
    for idx in 0..envelope.len() {
        for bit in 0..8 {
            flipped[idx] ^= 1 << bit;
            let res = verify_all_ways(ring, &opts, &flipped);
            let err = res.expect_err(&format!("flip of byte {idx} bit {bit} was accepted"));
            // Past the header, nothing but the tag can notice.
            if idx >= payload_start {
                assert_eq!(err, "BadTag", "byte {idx} bit {bit}");
            }
            flipped[idx] ^= 1 << bit;
        }
    }
    for len in 0..envelope.len() {
        let err = verify_all_ways(ring, &opts, &envelope[..len])
            .expect_err(&format!("truncation to {len} bytes was accepted"));
        let expected = if len == 0 {
            "NotAnEnvelope"
        } else {
            "Truncated"
        };
        assert_eq!(err, expected, "truncation to {len} bytes");
    }
}

#[test]
fn every_bit_flip_and_truncation_is_refused() {
    for algorithm in [Algorithm::HmacSha256, Algorithm::HmacSha512] {
        let key = key("key-7", algorithm, 3);
        let ring = Keyring::new(key.clone());
        for context in [None, Some("purpose")] {
            for len in [0, 40] {
                let envelope = brine_sign::sign(&key, &sign_opts(context), &payload(len)).unwrap();
                check_tamper(&ring, context, &envelope, len, algorithm.tag_len());
            }
        }
    }
}

#[test]
fn every_bit_flip_and_truncation_of_a_streamed_envelope_is_refused() {
    for algorithm in [Algorithm::HmacSha256, Algorithm::HmacSha512] {
        let key = key("key-7", algorithm, 3);
        let ring = Keyring::new(key.clone());
        let data = payload(100);
        let opts = sign_opts(Some("stream"));

        let mut by_stream = Vec::new();
        let mut spilling = opts.clone();
        spilling.spool_memory_limit = 16;
        brine_sign::sign_stream(&key, &spilling, &data[..], &mut by_stream).unwrap();
        check_tamper(
            &ring,
            Some("stream"),
            &by_stream,
            data.len(),
            algorithm.tag_len(),
        );

        let mut signer = Signer::new(&key, &opts, data.len() as u64, Vec::new()).unwrap();
        for chunk in data.chunks(7) {
            signer.write_all(chunk).unwrap();
        }
        let by_signer = signer.finish().unwrap();
        assert_eq!(by_signer, by_stream);
    }
}

#[test]
fn a_signer_dropped_before_finish_leaves_a_refused_envelope() {
    let key = key("k1", Algorithm::HmacSha256, 1);
    let mut out = Vec::new();
    {
        let mut signer = Signer::new(&key, &sign_opts(None), 3, &mut out).unwrap();
        signer.write_all(b"abc").unwrap();
    }
    let err = verify_all_ways(&Keyring::new(key), &verify_opts(None, T0), &out).unwrap_err();
    assert_eq!(err, "Truncated");
}
