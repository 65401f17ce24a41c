//! Runs one brine operation on one workload a number of times and nothing else, for profilers:
//!
//! ```text
//! cargo build --release -p brine-benches --example profile
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/profile decode floats_1m.p5 3
//! callgrind_annotate cg.out | head -40
//! ```
//!
//! The operation is `decode` (`loads_bytes`), `reader` (`load` from a reader over the bytes in
//! memory; `decode_reader` is the same), `file` (`load` from the file through an 8 KiB
//! `BufReader`, so that frames and large payloads are read out of the reader's buffer) or
//! `encode` (the graph, decoded once beforehand, written at the file's protocol).

use std::hint::black_box;
use std::process::ExitCode;

use brine_benches::{data_dir, decode, decode_file, decode_reader, encode, workloads};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("profile: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, label, rest @ ..] = args.as_slice() else {
        return Err("usage: profile decode|reader|file|encode WORKLOAD.pN [TIMES]".to_owned());
    };
    let times: usize = match rest.first() {
        Some(times) => times.parse().map_err(|err| format!("TIMES: {err}"))?,
        None => 1,
    };
    let all = workloads(&data_dir(), label)?;
    let workload = all
        .iter()
        .find(|workload| workload.label() == *label)
        .ok_or_else(|| format!("no workload `{label}` in {}", data_dir().display()))?;
    match op.as_str() {
        "decode" => {
            for _ in 0..times {
                black_box(decode(workload).map_err(|err| err.to_string())?);
            }
        }
        "reader" | "decode_reader" => {
            for _ in 0..times {
                black_box(decode_reader(workload).map_err(|err| err.to_string())?);
            }
        }
        "file" => {
            for _ in 0..times {
                black_box(decode_file(&workload.path, &workload.buffers)?);
            }
        }
        "encode" => {
            let graph = decode(workload).map_err(|err| err.to_string())?;
            for _ in 0..times {
                black_box(encode(workload, &graph).map_err(|err| err.to_string())?);
            }
        }
        _ => return Err(format!("unknown operation `{op}`")),
    }
    Ok(())
}
