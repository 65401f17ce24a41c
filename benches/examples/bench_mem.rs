//! Measures the peak memory of decoding one pickle with brine, for `cargo xtask bench-python`.
//!
//! One process per measurement, so that the peak (`VmHWM` of `/proc/self/status`) belongs to
//! that decode alone. Prints one tab-separated row:
//!
//! ```text
//! mode  size  base_kb  read_kb  decoded_kb  peak_kb  graph_bytes
//! ```
//!
//! `base_kb` is the resident memory before the input is read, `read_kb` after (the pickle in
//! memory for `bytes`, only the out-of-band buffers for `reader`), `decoded_kb` with the graph
//! alive, `peak_kb` the high-water mark, and `graph_bytes` the graph's heap estimated from its
//! shape ([`brine_benches::graph_heap_bytes`]).
//!
//! ```text
//! cargo run --release -p brine-benches --example bench_mem -- bytes|reader FILE [BUFFER...]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::{fs, hint};

use brine_benches::{decode_file, graph_heap_bytes, status_kb};
use bytes::Bytes;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench_mem: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, file, buffer_files @ ..] = args.as_slice() else {
        return Err("usage: bench_mem bytes|reader FILE [BUFFER...]".to_owned());
    };
    let file = PathBuf::from(file);
    let rss = |key| status_kb(key).ok_or_else(|| format!("no {key} in /proc/self/status"));
    let base = rss("VmRSS")?;
    let read = |path: &PathBuf| {
        fs::read(path)
            .map(Bytes::from)
            .map_err(|err| format!("{}: {err}", path.display()))
    };
    let buffers = buffer_files
        .iter()
        .map(|name| read(&PathBuf::from(name)))
        .collect::<Result<Vec<_>, _>>()?;
    let size = fs::metadata(&file)
        .map_err(|err| format!("{}: {err}", file.display()))?
        .len()
        + buffers.iter().map(|b| b.len() as u64).sum::<u64>();
    let (read_kb, graph, shared) = match mode.as_str() {
        "bytes" => {
            let data = read(&file)?;
            let read_kb = rss("VmRSS")?;
            let graph = brine_vm::Decoder::new(brine_vm::Options::default())
                .buffers(&buffers)
                .from_bytes(&data)
                .map_err(|err| format!("{}: {err}", file.display()))?;
            (read_kb, graph, Some(data))
        }
        "reader" => {
            let read_kb = rss("VmRSS")?;
            (read_kb, decode_file(&file, &buffers)?, None)
        }
        _ => return Err(format!("unknown mode `{mode}` (bytes or reader)")),
    };
    let decoded = rss("VmRSS")?;
    let peak = rss("VmHWM")?;
    let graph_bytes = graph_heap_bytes(hint::black_box(&graph), shared.as_ref());
    println!("{mode}\t{size}\t{base}\t{read_kb}\t{decoded}\t{peak}\t{graph_bytes}");
    Ok(())
}
