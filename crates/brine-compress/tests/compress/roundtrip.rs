//! Round trips at several levels, through the slice functions and the streaming adapters, and
//! detection of what comes out.

use std::io::Write;

use brine_compress::Codec;
use brine_compress::Error;
use brine_compress::Level;
use brine_compress::Options;

use crate::support::codecs;
use crate::support::pickle_like;
use crate::support::random;
use crate::support::read_all;

/// Compresses `payload` with both the slice function and the writer, and checks that both
/// decompress to it through both the slice function and small reads.
fn check_round_trip(codec: Codec, level: Level, payload: &[u8]) {
    let label = format!("{codec} {level:?} {} bytes", payload.len());
    let compressed = brine_compress::compress(payload, codec, level).expect(&label);
    assert_eq!(Codec::detect(&compressed), Some(codec), "{label}");

    let mut writer = brine_compress::compress_writer(Vec::new(), codec, level).expect(&label);
    for chunk in payload.chunks(1000 + payload.len() / 7) {
        writer.write_all(chunk).expect(&label);
    }
    let streamed = writer.finish().expect(&label);
    assert_eq!(Codec::detect(&streamed), Some(codec), "{label}");

    let options = Options::default();
    for data in [&compressed, &streamed] {
        let out = brine_compress::decompress(data, &options).expect(&label);
        assert!(out == payload, "{label}: slice decompression differs");
        let chunk = if payload.len() > 100_000 { 8192 } else { 7 };
        let out = read_all(data, &options, chunk).expect(&label);
        assert!(out == payload, "{label}: streaming decompression differs");
    }
}

#[test]
fn round_trip_at_named_levels() {
    let payloads = [
        Vec::new(),
        b".".to_vec(),
        pickle_like(400),
        random(100_000, 1),
    ];
    for codec in codecs() {
        for level in [Level::Fastest, Level::Default, Level::Best] {
            for payload in &payloads {
                check_round_trip(codec, level, payload);
            }
        }
    }
}

#[test]
fn round_trip_at_every_end_of_each_range() {
    let payload = pickle_like(200);
    for codec in codecs() {
        let range = codec.level_range();
        let middle = (range.start() + range.end()) / 2;
        for level in [*range.start(), middle.max(*range.start()), *range.end()] {
            check_round_trip(codec, Level::Precise(level), &payload);
        }
    }
}

#[test]
fn round_trip_of_a_larger_compressible_stream() {
    let mut payload = pickle_like(20_000);
    payload.extend(std::iter::repeat_n(0, 1 << 20));
    for codec in codecs() {
        check_round_trip(codec, Level::Default, &payload);
    }
}

#[test]
fn levels_out_of_range_are_refused() {
    for codec in codecs() {
        let too_high = codec.level_range().end() + 1;
        let err = brine_compress::compress(b".", codec, Level::Precise(too_high)).unwrap_err();
        assert!(
            matches!(err, Error::LevelOutOfRange { level, .. } if level == too_high),
            "{codec}: {err}"
        );
        let err = brine_compress::compress_writer(Vec::new(), codec, Level::Precise(too_high))
            .unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "level {too_high} is out of range for {codec}: expected "
            )),
            "{err}"
        );
    }
}

#[test]
fn plain_pickles_pass_through() {
    let pickles: [&[u8]; 6] = [
        b"(lp0\nI1\naI2\na.",
        b"]q\x00(K\x01K\x02e.",
        b"\x80\x02]q\x00(K\x01K\x02e.",
        b"\x80\x05\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.",
        b"N.",
        b"",
    ];
    for pickle in pickles {
        assert_eq!(Codec::detect(pickle), None);
        let options = Options::default();
        assert_eq!(
            brine_compress::decompress(pickle, &options).unwrap(),
            pickle
        );
        let reader = brine_compress::decompress_reader(pickle, &options).unwrap();
        assert_eq!(reader.codec(), None);
        assert_eq!(read_all(pickle, &options, 3).unwrap(), pickle);
    }
}

#[test]
fn detection_names_the_codec_even_when_its_feature_is_off() {
    // Magic numbers as Python's modules write them.
    let cases: [(&[u8], Codec); 5] = [
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff", Codec::Gzip),
        (b"BZh91AY&SY\x00", Codec::Bz2),
        (b"\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4F", Codec::Xz),
        (b"\x28\xb5\x2f\xfd\x20\x05\x29\x00", Codec::Zstd),
        (b"\x04\x22\x4d\x18\x68\x40\x05\x00", Codec::Lz4),
    ];
    for (head, codec) in cases {
        assert_eq!(Codec::detect(head), Some(codec));
        let result = brine_compress::decompress_reader(head, &Options::default());
        if !codec.is_enabled() {
            let err = result.unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "codec {codec} is not enabled: build brine-compress with its `{codec}` feature"
                )
            );
        }
    }
}

#[test]
fn a_writer_dropped_unfinished_leaves_a_truncated_stream() {
    let payload = pickle_like(300);
    for codec in codecs() {
        let mut sink = Vec::new();
        {
            let mut writer =
                brine_compress::compress_writer(&mut sink, codec, Level::Default).unwrap();
            writer.write_all(&payload).unwrap();
            writer.flush().unwrap();
        }
        // The .lzma encoder cannot flush mid-stream, so it may have written nothing at all.
        if codec == Codec::LzmaAlone && sink.is_empty() {
            continue;
        }
        let err = brine_compress::decompress(&sink, &Options::default()).unwrap_err();
        assert!(matches!(err, Error::Truncated { .. }), "{codec}: {err}");
    }
}

/// A writer that fails every call after the first `budget` bytes.
struct Failing {
    budget: usize,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.budget == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.budget);
        self.budget -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_inner_writer_is_an_error_and_drop_does_not_panic() {
    let payload = random(300_000, 9);
    for codec in codecs() {
        let mut writer =
            brine_compress::compress_writer(Failing { budget: 100 }, codec, Level::Fastest)
                .unwrap();
        let written = writer.write_all(&payload);
        let finished = writer.finish();
        assert!(written.is_err() || finished.is_err(), "{codec}");
        if let Err(err) = finished {
            assert!(err.to_string().contains("disk full"), "{codec}: {err}");
        }

        let mut writer =
            brine_compress::compress_writer(Failing { budget: 100 }, codec, Level::Fastest)
                .unwrap();
        let _ = writer.write_all(&payload);
        drop(writer);
    }
}

#[test]
fn the_adapters_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<brine_compress::DecompressReader<std::fs::File>>();
    assert_send::<brine_compress::CompressWriter<std::fs::File>>();
    assert_send::<Error>();
}
