//! Shared helpers: test payloads, the enabled codecs, and decompression with small reads.

use std::io::Read;

use brine_compress::Codec;
use brine_compress::Error;
use brine_compress::Options;

/// The codecs this build can use.
pub fn codecs() -> Vec<Codec> {
    Codec::ALL
        .into_iter()
        .filter(|codec| codec.is_enabled())
        .collect()
}

/// A deterministic xorshift generator, so that tests need no `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Bytes shaped like a protocol 4 pickle of `n` record dicts: compressible, not trivially so.
pub fn pickle_like(n: usize) -> Vec<u8> {
    let mut out = b"\x80\x04\x95".to_vec();
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(b"]\x94(");
    let mut rng = Rng::new(n as u64 + 7);
    for i in 0..n {
        out.extend_from_slice(b"}\x94(\x8c\x02id\x94J");
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(b"\x8c\x04name\x94\x8c\x08user");
        out.extend_from_slice(format!("{:04}", rng.next_u64() % 10_000).as_bytes());
        out.extend_from_slice(b"\x94\x8c\x05score\x94G");
        out.extend_from_slice(&(rng.next_u64() as f64 / u64::MAX as f64).to_be_bytes());
        out.extend_from_slice(b"u");
    }
    out.extend_from_slice(b"e.");
    out
}

/// Incompressible bytes.
pub fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0; len];
    Rng::new(seed).fill(&mut out);
    out
}

/// Decompresses through the streaming reader with reads of `chunk` bytes.
pub fn read_all(data: &[u8], options: &Options, chunk: usize) -> Result<Vec<u8>, Error> {
    let mut reader = brine_compress::decompress_reader(data, options)?;
    let mut out = Vec::new();
    let mut buf = vec![0; chunk];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(err) => return Err(Error::from_io(err)),
        }
    }
}

/// Options with a small output limit.
pub fn limited(max_decompressed_len: u64) -> Options {
    let mut options = Options::default();
    options.max_decompressed_len = max_decompressed_len;
    options
}
