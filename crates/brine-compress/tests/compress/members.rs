//! Multi-member input: concatenated gzip members, bz2 and xz streams, zstd and lz4 frames, the
//! padding and skippable frames between them, and what may not follow them.

use brine_compress::Codec;
use brine_compress::Error;
use brine_compress::Level;
use brine_compress::Options;

use crate::support::codecs;
use crate::support::pickle_like;
use crate::support::read_all;

fn compress(codec: Codec, data: &[u8]) -> Vec<u8> {
    brine_compress::compress(data, codec, Level::Default).unwrap()
}

#[test]
fn concatenated_members_read_whole() {
    let first = pickle_like(50);
    let second = b"\x80\x05K\x2a.".to_vec();
    let options = Options::default();
    for codec in codecs() {
        let joined = [
            compress(codec, &first),
            compress(codec, &second),
            compress(codec, b""),
            compress(codec, &first),
        ]
        .concat();
        let expect = [first.clone(), second.clone(), first.clone()].concat();
        assert_eq!(
            brine_compress::decompress(&joined, &options).unwrap(),
            expect,
            "{codec}"
        );
        assert_eq!(read_all(&joined, &options, 3).unwrap(), expect, "{codec}");
    }
}

#[test]
fn padding_between_members() {
    let data = b"\x80\x05K\x2a.";
    let options = Options::default();
    let member = |codec| compress(codec, data);
    let mut cases: Vec<(Codec, Vec<u8>, Result<usize, &str>)> = Vec::new();
    if Codec::Gzip.is_enabled() {
        // Python's gzip.decompress strips any number of zero bytes after each member.
        let gzip = member(Codec::Gzip);
        cases.push((
            Codec::Gzip,
            [gzip.clone(), vec![0; 3], gzip.clone(), vec![0; 5]].concat(),
            Ok(2),
        ));
    }
    if Codec::Xz.is_enabled() {
        let xz = member(Codec::Xz);
        cases.push((
            Codec::Xz,
            [xz.clone(), vec![0; 8], xz.clone(), vec![0; 4]].concat(),
            Ok(2),
        ));
        cases.push((
            Codec::Xz,
            [xz.clone(), vec![0; 3], xz.clone()].concat(),
            Err("stream padding of 3 bytes is not a multiple of 4"),
        ));
    }
    for codec in [Codec::Zstd, Codec::Lz4] {
        if codec.is_enabled() {
            // A skippable frame, magic 0x184d2a53, holding four bytes.
            let skippable = b"\x53\x2a\x4d\x18\x04\x00\x00\x00skip".to_vec();
            let frame = member(codec);
            cases.push((
                codec,
                [frame.clone(), skippable.clone(), frame.clone(), skippable].concat(),
                Ok(2),
            ));
        }
    }
    for (codec, input, expect) in cases {
        let result = brine_compress::decompress(&input, &options);
        match (result, expect) {
            (Ok(out), Ok(copies)) => assert_eq!(out, data.repeat(copies), "{codec}"),
            (Err(err), Err(message)) => {
                assert!(err.to_string().contains(message), "{codec}: {err}")
            }
            (result, expect) => panic!("{codec}: got {result:?}, expected {expect:?}"),
        }
    }
}

#[test]
fn trailing_garbage_is_an_error() {
    let data = b"\x80\x05K\x2a.";
    for codec in codecs() {
        let member = compress(codec, data);
        let input = [member.clone(), b"\x80\x05N.".to_vec()].concat();
        let err = brine_compress::decompress(&input, &Options::default()).unwrap_err();
        assert!(
            matches!(err, Error::TrailingData { offset, .. } if offset == member.len() as u64),
            "{codec}: {err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "trailing data after the {codec} stream at compressed offset {}: it does not start another {codec} stream",
                member.len()
            )
        );
    }
}

#[test]
fn a_corrupt_or_truncated_later_member_is_an_error() {
    let data = pickle_like(20);
    for codec in codecs() {
        let member = compress(codec, &data);
        let mut corrupt = member.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 0x20;
        let input = [member.clone(), corrupt].concat();
        assert!(
            brine_compress::decompress(&input, &Options::default()).is_err(),
            "{codec}"
        );

        let input = [member.clone(), member[..member.len() - 3].to_vec()].concat();
        let err = brine_compress::decompress(&input, &Options::default()).unwrap_err();
        assert!(matches!(err, Error::Truncated { .. }), "{codec}: {err}");

        // A second member cut inside its magic number is truncated too.
        let input = [member.clone(), member[..1].to_vec()].concat();
        let err = brine_compress::decompress(&input, &Options::default()).unwrap_err();
        assert!(matches!(err, Error::Truncated { .. }), "{codec}: {err}");
    }
}
