//! Arbitrary bytes through every decompressor (detected by magic bytes) with a small limit:
//! an error or the data, never a panic, and the slice and streaming paths agree.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut options = brine_compress::Options::default();
    options.max_decompressed_len = 1 << 20;
    let whole = brine_compress::decompress(data, &options);
    let streamed = brine_compress::decompress_reader(data, &options).and_then(|mut reader| {
        let mut out = Vec::new();
        reader
            .read_to_end(&mut out)
            .map_err(brine_compress::Error::from_io)?;
        Ok(out)
    });
    match (whole, streamed) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("slice and stream disagree: {a:?} vs {b:?}"),
    }
});
