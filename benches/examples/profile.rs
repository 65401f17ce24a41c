//! Runs one brine operation on one workload a number of times and nothing else, for profilers:
//!
//! ```text
//! cargo build --release -p brine-benches --example profile
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/profile decode floats_1m.p5 3
//! callgrind_annotate cg.out | head -40
//! ```
//!
//! The operation is `decode` (`Decoder::from_bytes`, one decoder reused across the calls as
//! a Python program reuses its `Unpickler`: [`brine_benches::Brine`]), `reader` (`load` from a reader over the bytes in
//! memory; `decode_reader` is the same), `file` (`load` from the file through an 8 KiB
//! `BufReader`, so that frames and large payloads are read out of the reader's buffer),
//! `encode` (the graph, decoded once beforehand, written at the file's protocol by one
//! encoder reused across the calls; `encode-fast` the same in CPython's fast mode, no memo),
//! `typed-decode` (`brine_serde::from_slice` into the workload's Rust type; `typed-borrowed`
//! into its type that lends str from the input, for the workloads of str), `typed-graph`
//! (the same through the graph path alone: `brine_serde::Deserializer`), `typed-json`
//! (serde_json reading the same values into the same type from their JSON text, written
//! beforehand) or `typed-encode` (`brine_serde::to_vec` of the workload's Rust type,
//! `brine_benches::typed`, decoded once beforehand; `typed-encode-fast` in fast mode;
//! `typed-encode-sp` serde-pickle's `to_vec` of the same value, protocol 3 without memo or
//! frames: `--toggle-collect='profile::typed_sp_to_vec*'`).

use std::hint::black_box;
use std::process::ExitCode;

use brine_benches::typed::{BorrowedBench, Borrowing, TypedBench, with_borrowed_type, with_type};
use brine_benches::{
    Brine, Workload, data_dir, decode, decode_file, decode_reader, encode, encode_fast, workloads,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

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
        return Err(
            "usage: profile decode|reader|file|encode|encode-fast|typed-decode|typed-borrowed|typed-graph|typed-json|typed-encode|typed-encode-fast|typed-encode-sp WORKLOAD.pN [TIMES]".to_owned(),
        );
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
            let mut brine = Brine::new(workload);
            for _ in 0..times {
                black_box(decode(&mut brine).map_err(|err| err.to_string())?);
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
            let mut brine = Brine::new(workload);
            let graph = decode(&mut brine).map_err(|err| err.to_string())?;
            for _ in 0..times {
                black_box(encode(&mut brine, &graph).map_err(|err| err.to_string())?);
            }
        }
        "encode-fast" => {
            let mut brine = Brine::new(workload);
            let graph = decode(&mut brine).map_err(|err| err.to_string())?;
            for _ in 0..times {
                black_box(encode_fast(&mut brine, &graph).map_err(|err| err.to_string())?);
            }
        }
        "typed-decode" | "typed-graph" | "typed-json" => {
            let how = match op.as_str() {
                "typed-decode" => How::Slice,
                "typed-graph" => How::Graph,
                _ => How::Json,
            };
            let mut typed = TypedDecode {
                times,
                how,
                res: Ok(()),
            };
            if !with_type(workload, &mut typed) {
                return Err(format!("`{label}` has no Rust type"));
            }
            typed.res?;
        }
        "typed-borrowed" => {
            let mut typed = TypedDecode {
                times,
                how: How::Slice,
                res: Ok(()),
            };
            if !with_borrowed_type(workload, &mut typed) {
                return Err(format!("`{label}` has no borrowing Rust type"));
            }
            typed.res?;
        }
        "typed-encode" | "typed-encode-fast" | "typed-encode-sp" => {
            let fast = op == "typed-encode-fast";
            let mut typed = TypedEncode {
                times,
                fast,
                serde_pickle: op == "typed-encode-sp",
                res: Ok(()),
            };
            if !with_type(workload, &mut typed) {
                return Err(format!("`{label}` has no Rust type"));
            }
            typed.res?;
        }
        _ => return Err(format!("unknown operation `{op}`")),
    }
    Ok(())
}

/// The workload decoded into its Rust type, `times` times.
struct TypedDecode {
    times: usize,
    how: How,
    res: Result<(), String>,
}

/// Which decoder [`TypedDecode`] runs.
#[derive(Clone, Copy)]
enum How {
    /// `brine_serde::from_slice`.
    Slice,
    /// `brine_serde::Deserializer`: the graph, then the value.
    Graph,
    /// serde_json from the value's JSON text.
    Json,
}

impl TypedBench for TypedDecode {
    fn run<T: Serialize + DeserializeOwned>(
        &mut self,
        workload: &Workload,
        _options: &brine_serde::Options,
    ) {
        self.res = (|| {
            let json = match self.how {
                How::Json => {
                    let value = typed_from_slice::<T>(&workload.data)?;
                    serde_json::to_vec(&value).map_err(|err| err.to_string())?
                }
                How::Slice | How::Graph => Vec::new(),
            };
            for _ in 0..self.times {
                match self.how {
                    How::Slice => black_box(typed_from_slice::<T>(&workload.data)?),
                    How::Graph => black_box(typed_graph_from_slice::<T>(&workload.data)?),
                    How::Json => black_box(typed_json_from_slice::<T>(&json)?),
                };
            }
            Ok(())
        })();
    }
}

impl BorrowedBench for TypedDecode {
    fn run<T: Borrowing>(&mut self, workload: &Workload) {
        self.res = (|| {
            for _ in 0..self.times {
                black_box(typed_borrowed_from_slice::<T>(&workload.data)?);
            }
            Ok(())
        })();
    }
}

/// One `brine_serde::from_slice` into a type that borrows from `data`, never inlined:
/// `--toggle-collect='profile::typed_borrowed_from_slice*'`. Returns the value's size, so the
/// value is dropped inside, as the timings drop theirs.
#[inline(never)]
fn typed_borrowed_from_slice<T: Borrowing>(data: &[u8]) -> Result<usize, String> {
    let value: T::Of<'_> =
        brine_serde::from_slice(data, &Default::default()).map_err(|err| err.to_string())?;
    Ok(std::mem::size_of_val(&value))
}

/// One `brine_serde::from_slice`, never inlined, so that a profiler can collect just it:
/// `--toggle-collect='profile::typed_from_slice*'`.
#[inline(never)]
fn typed_from_slice<T: DeserializeOwned>(data: &[u8]) -> Result<T, String> {
    brine_serde::from_slice(data, &Default::default()).map_err(|err| err.to_string())
}

/// One decode through the graph path alone (what `from_slice` falls back to), never inlined:
/// `--toggle-collect='profile::typed_graph_from_slice*'`.
#[inline(never)]
fn typed_graph_from_slice<T: DeserializeOwned>(data: &[u8]) -> Result<T, String> {
    let mut de = brine_serde::Deserializer::from_slice(data, &Default::default())
        .map_err(|err| err.to_string())?;
    T::deserialize(&mut de).map_err(|err| err.to_string())
}

/// One `serde_json::from_slice`, never inlined:
/// `--toggle-collect='profile::typed_json_from_slice*'`.
#[inline(never)]
fn typed_json_from_slice<T: DeserializeOwned>(text: &[u8]) -> Result<T, String> {
    serde_json::from_slice(text).map_err(|err| err.to_string())
}

/// `brine_serde::to_vec` of the workload as its Rust type, `times` times.
struct TypedEncode {
    times: usize,
    /// Writes in CPython's fast mode (no memo).
    fast: bool,
    /// Writes with serde-pickle instead, the bar brine-serde is measured against.
    serde_pickle: bool,
    res: Result<(), String>,
}

impl TypedBench for TypedEncode {
    fn run<T: Serialize + DeserializeOwned>(
        &mut self,
        workload: &Workload,
        options: &brine_serde::Options,
    ) {
        self.res = (|| {
            let value: T = brine_serde::from_slice(&workload.data, &Default::default())
                .map_err(|err| err.to_string())?;
            let mut options = options.clone();
            options.fast = self.fast;
            for _ in 0..self.times {
                if self.serde_pickle {
                    black_box(typed_sp_to_vec(&value)?);
                } else {
                    black_box(typed_to_vec(&value, &options)?);
                }
            }
            Ok(())
        })();
    }
}

/// One `brine_serde::to_vec`, never inlined, so that a profiler can collect just it:
/// `--toggle-collect='profile::typed_to_vec*'`.
#[inline(never)]
fn typed_to_vec<T: Serialize>(
    value: &T,
    options: &brine_serde::Options,
) -> Result<Vec<u8>, String> {
    brine_serde::to_vec(value, options).map_err(|err| err.to_string())
}

/// One `serde_pickle::to_vec` (protocol 3, no memo, no frames), never inlined:
/// `--toggle-collect='profile::typed_sp_to_vec*'`.
#[inline(never)]
fn typed_sp_to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    serde_pickle::to_vec(value, serde_pickle::SerOptions::new()).map_err(|err| err.to_string())
}
