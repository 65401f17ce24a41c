//! Measures compression ratio and speed per codec and level on pickle files, and prints the
//! markdown table of `docs/compression.md`.
//!
//! ```text
//! $(pyenv root)/versions/3.11.7/bin/python crates/brine-compress/benches/gen_workload.py target/workload
//! cargo run --release -p brine-compress --example ratio -- target/workload/records.pkl target/workload/floats.pkl
//! ```
//!
//! Speeds are in MB/s (10^6 bytes) of uncompressed pickle, for both directions, through
//! `brine_compress::compress` and `brine_compress::decompress` (detection and limit included).
//! Each figure is the best of several runs lasting at least half a second in all.

use std::path::Path;
use std::time::Duration;
use std::time::Instant;

use brine_compress::Codec;
use brine_compress::Level;
use brine_compress::Options;

/// The settings measured: each codec at Python's default level and at a high level, and at a
/// fast level where it differs.
const SETTINGS: [(Codec, i32); 11] = [
    (Codec::Gzip, 1),
    (Codec::Gzip, 6),
    (Codec::Gzip, 9),
    (Codec::Bz2, 1),
    (Codec::Bz2, 9),
    (Codec::Xz, 0),
    (Codec::Xz, 6),
    (Codec::Xz, 9),
    (Codec::Zstd, 3),
    (Codec::Zstd, 19),
    (Codec::Lz4, 0),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        return Err("usage: ratio PICKLE... (make them with benches/gen_workload.py)".into());
    }
    println!("| workload | codec:level | compressed | ratio | compress MB/s | decompress MB/s |");
    println!("|---|---|---:|---:|---:|---:|");
    for path in &paths {
        let data = std::fs::read(path)?;
        let name = Path::new(path)
            .file_name()
            .map_or_else(|| path.clone(), |name| name.to_string_lossy().into_owned());
        let workload = format!("{name} ({:.1} MB)", data.len() as f64 / 1e6);
        for (codec, level) in SETTINGS {
            if !codec.is_enabled() {
                continue;
            }
            let default = if level == codec.default_level() {
                " (default)"
            } else {
                ""
            };
            let (compressed, compress_time) =
                best_of(|| brine_compress::compress(&data, codec, Level::Precise(level)))?;
            let options = Options::default();
            let (restored, decompress_time) =
                best_of(|| brine_compress::decompress(&compressed, &options))?;
            assert!(restored == data, "{codec}:{level} did not round-trip");
            println!(
                "| {workload} | {codec}:{level}{default} | {} | {:.2} | {:.1} | {:.1} |",
                compressed.len(),
                data.len() as f64 / compressed.len() as f64,
                mb_per_s(data.len(), compress_time),
                mb_per_s(data.len(), decompress_time),
            );
        }
    }
    Ok(())
}

/// Runs `f` at least twice and until half a second has passed (at most ten times), returning
/// the last result and the shortest time.
fn best_of<T, E>(mut f: impl FnMut() -> Result<T, E>) -> Result<(T, Duration), E> {
    let started = Instant::now();
    let mut best = Duration::MAX;
    let mut runs = 0;
    loop {
        let start = Instant::now();
        let result = f()?;
        best = best.min(start.elapsed());
        runs += 1;
        if runs >= 10 || (runs >= 2 && started.elapsed() > Duration::from_millis(500)) {
            return Ok((result, best));
        }
    }
}

fn mb_per_s(len: usize, time: Duration) -> f64 {
    len as f64 / 1e6 / time.as_secs_f64()
}
