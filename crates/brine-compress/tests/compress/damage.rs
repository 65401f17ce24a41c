//! Damaged and hostile input: truncation at every position, corruption at every position,
//! decompression bombs and oversized windows.

use std::io::Read;
use std::io::Write;

use brine_compress::Codec;
use brine_compress::Error;
use brine_compress::Level;
use brine_compress::Options;

use crate::support::codecs;
use crate::support::limited;
use crate::support::pickle_like;
use crate::support::random;
use crate::support::read_all;

/// The two ways brine writes a stream: one-shot (content size in the zstd and lz4 headers) and
/// streaming.
fn both_forms(codec: Codec, payload: &[u8]) -> [Vec<u8>; 2] {
    let one_shot = brine_compress::compress(payload, codec, Level::Default).unwrap();
    let mut writer = brine_compress::compress_writer(Vec::new(), codec, Level::Default).unwrap();
    writer.write_all(payload).unwrap();
    [one_shot, writer.finish().unwrap()]
}

#[test]
fn truncation_at_every_position_is_an_error() {
    let payload = pickle_like(12);
    let options = Options::default();
    for codec in codecs() {
        for compressed in both_forms(codec, &payload) {
            for cut in 1..compressed.len() {
                let prefix = &compressed[..cut];
                for result in [
                    brine_compress::decompress(prefix, &options),
                    read_all(prefix, &options, 5),
                ] {
                    match result {
                        Err(Error::Truncated {
                            codec: got, offset, ..
                        }) => {
                            assert_eq!(got, codec, "cut at {cut}");
                            assert_eq!(offset, cut as u64, "{codec} cut at {cut}");
                        }
                        other => panic!(
                            "{codec} cut at {cut} of {}: expected truncation, got {other:?}",
                            compressed.len()
                        ),
                    }
                }
            }
        }
    }
}

#[test]
fn a_truncated_stream_never_ends_cleanly_in_the_reader() {
    let payload = random(200_000, 3);
    for codec in codecs() {
        let compressed = brine_compress::compress(&payload, codec, Level::Fastest).unwrap();
        let prefix = &compressed[..compressed.len() - 1];
        let mut reader = brine_compress::decompress_reader(prefix, &Options::default()).unwrap();
        let mut out = Vec::new();
        let err = reader.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{codec}");
        assert!(out.len() <= payload.len());
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "truncated {codec} stream: input ended at compressed offset {}",
                prefix.len()
            )),
            "{message}"
        );
        // The reader stays failed.
        let again = reader.read(&mut [0; 16]).unwrap_err();
        assert!(
            matches!(Error::from_io(again), Error::Poisoned { .. }),
            "{codec}"
        );
    }
}

#[test]
fn corruption_at_every_position_is_an_error_or_harmless() {
    let payload = pickle_like(12);
    let options = Options::default();
    for codec in codecs() {
        for compressed in both_forms(codec, &payload) {
            let len = compressed.len();
            let mut harmless = Vec::new();
            for pos in 0..len {
                for mask in [0x01, 0x80, 0xff] {
                    let mut damaged = compressed.clone();
                    damaged[pos] ^= mask;
                    match brine_compress::decompress(&damaged, &options) {
                        Err(err) => {
                            let message = err.to_string();
                            assert!(
                                message.contains(codec.name()) || Codec::detect(&damaged).is_none(),
                                "{message}"
                            );
                        }
                        // A flip in a field that does not matter changes nothing; anything
                        // else must fail.
                        Ok(out) if out == payload => harmless.push(pos),
                        // A flip in the magic number leaves no compressed stream: it passes
                        // through as it is.
                        Ok(out) if Codec::detect(&damaged).is_none() => {
                            assert!(pos < Codec::DETECT_LEN, "{codec}: flip at {pos}");
                            assert_eq!(
                                out, damaged,
                                "{codec}: an undetected stream passes through"
                            );
                        }
                        // The .lzma format has no checksum: a flipped bit in its data decodes
                        // to other bytes, as it does in Python's lzma module.
                        Ok(_) if codec == Codec::LzmaAlone && pos >= 13 => {}
                        Ok(_) => {
                            panic!("{codec}: flipping {mask:#x} at {pos} of {len} gave other data")
                        }
                    }
                }
            }
            // Some flips change nothing the format reads: gzip's mtime, bzip2's code lengths
            // of unused symbols and its final padding bits. The checksums catch the rest.
            assert!(
                harmless.len() * 10 < len * 3,
                "{codec}: {} of {} flips were harmless, at {harmless:?}",
                harmless.len(),
                len * 3
            );
        }
    }
}

#[test]
fn corruption_names_the_codec_and_position() {
    let payload = random(50_000, 5);
    for codec in codecs() {
        let mut compressed = brine_compress::compress(&payload, codec, Level::Default).unwrap();
        let middle = compressed.len() / 2;
        compressed[middle] ^= 0x10;
        let err = brine_compress::decompress(&compressed, &Options::default()).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("corrupt {codec} stream at compressed offset ")),
            "{message}"
        );
        assert!(message.contains(" decompressed bytes: "), "{message}");
    }
}

#[test]
fn a_bomb_over_the_limit_is_an_error_stating_the_limit() {
    let payload = vec![0; 4 << 20];
    for codec in codecs() {
        for compressed in both_forms(codec, &payload) {
            let err = brine_compress::decompress(&compressed, &limited(1 << 20)).unwrap_err();
            assert_eq!(
                err.to_string().split(" (at").next().unwrap(),
                format!("{codec} stream decompresses to more than the limit of 1048576 bytes")
            );
            assert!(
                matches!(
                    err,
                    Error::LimitExceeded {
                        limit: 1_048_576,
                        ..
                    }
                ),
                "{err}"
            );

            // At the limit exactly is fine, one byte under is not.
            let len = payload.len() as u64;
            assert_eq!(
                brine_compress::decompress(&compressed, &limited(len))
                    .unwrap()
                    .len(),
                payload.len()
            );
            assert!(brine_compress::decompress(&compressed, &limited(len - 1)).is_err());

            let mut unlimited = limited(10);
            unlimited.dangerous_unlimited_decompressed_len = true;
            assert_eq!(
                brine_compress::decompress(&compressed, &unlimited)
                    .unwrap()
                    .len(),
                payload.len()
            );

            // The reader hands out at most the limit before failing.
            let mut reader =
                brine_compress::decompress_reader(&compressed[..], &limited(1000)).unwrap();
            let mut out = Vec::new();
            let err = reader.read_to_end(&mut out).unwrap_err();
            assert!(out.len() <= 1000, "{codec}: {} bytes out", out.len());
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        }
    }
}

#[test]
fn the_limit_counts_every_member() {
    for codec in codecs() {
        let member = brine_compress::compress(&[1; 600], codec, Level::Default).unwrap();
        let two = [member.clone(), member].concat();
        assert!(
            brine_compress::decompress(&two, &limited(1200)).is_ok(),
            "{codec}"
        );
        let err = brine_compress::decompress(&two, &limited(1000)).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{codec}: {err}");
    }
}

#[test]
fn a_window_over_the_memory_limit_is_an_error() {
    let payload = random(1 << 20, 11);
    for codec in codecs()
        .into_iter()
        .filter(|codec| matches!(codec, Codec::Xz | Codec::Zstd))
    {
        // Streaming, the encoders keep their full window: 8 MiB for xz preset 6, 2 MiB for zstd 3.
        let mut writer =
            brine_compress::compress_writer(Vec::new(), codec, Level::Default).unwrap();
        writer.write_all(&payload).unwrap();
        let compressed = writer.finish().unwrap();
        let mut options = Options::default();
        options.max_decoder_memory = 64 << 10;
        let err = brine_compress::decompress(&compressed, &options).unwrap_err();
        assert!(
            matches!(err, Error::MemoryLimit { limit: 65_536, .. }),
            "{codec}: {err}"
        );
        assert!(
            err.to_string().starts_with(&format!(
                "{codec} stream needs more decoder memory than the limit of 65536 bytes"
            )),
            "{err}"
        );
        assert_eq!(
            brine_compress::decompress(&compressed, &Options::default()).unwrap(),
            payload
        );
    }
}
