//! Times brine and serde-pickle on the benchmark workloads for `cargo xtask bench-python`.
//!
//! Prints one tab-separated row per measurement on stdout, in the format of
//! `benches/timepickle.py` (which times CPython on the same files):
//!
//! ```text
//! impl  op  workload  protocol  size  median_ns  min_ns  max_ns  iterations  note
//! ```
//!
//! `impl` is `brine` (`Decoder::from_bytes`, zero-copy, and `Encoder::to_writer`, one
//! decoder and one encoder reused across a workload's calls as a Python program reuses its
//! `Unpickler` and `Pickler`: [`brine_benches::Brine`]), `brine-reader` (`load` from a reader over the
//! same bytes), `serde-pickle` (into `serde_pickle::Value` and back), `memcpy` (copying the
//! pickle once: the floor for any decoder that copies its input), and for the workloads with a
//! Rust type ([`brine_benches::typed`]) `brine-serde` and `serde-pickle-typed` (that type
//! from and to the pickle; `brine-serde-fast` encodes it in CPython's fast mode, without memo)
//! and `serde-json` (that type from the same data as JSON text); for the workloads of str,
//! `brine-serde-borrowed` and `serde-json-borrowed` decode into the type that lends its str
//! from the input ([`brine_benches::typed::with_borrowed_type`]). Run it in release mode:
//!
//! ```text
//! cargo run --release -p brine-benches --example bench_table -- [--runs N] [--min-time-ms MS] [--filter TEXT] [--label LABEL]
//! ```

use std::process::ExitCode;
use std::time::Duration;

use brine_benches::typed::{BorrowedBench, Borrowing, TypedBench, with_borrowed_type, with_type};
use brine_benches::{
    Brine, Timing, Workload, data_dir, decode, decode_reader, encode, manifest, measure,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_pickle::{DeOptions, SerOptions};

struct Args {
    runs: usize,
    min_time: Duration,
    filter: String,
    /// Only the workload with exactly this label (`floats_1m.p5`).
    label: Option<String>,
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench_table: {err}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        runs: 7,
        min_time: Duration::from_millis(100),
        filter: String::new(),
        label: None,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        let mut value = || iter.next().ok_or_else(|| format!("`{arg}` needs a value"));
        match arg.as_str() {
            "--runs" => args.runs = value()?.parse().map_err(|err| format!("--runs: {err}"))?,
            "--min-time-ms" => {
                let ms = value()?
                    .parse()
                    .map_err(|err| format!("--min-time-ms: {err}"))?;
                args.min_time = Duration::from_millis(ms);
            }
            "--filter" => args.filter = value()?,
            "--label" => args.label = Some(value()?),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    Ok(args)
}

fn run(args: &Args) -> Result<(), String> {
    for entry in manifest(&data_dir(), &args.filter)? {
        if args
            .label
            .as_ref()
            .is_none_or(|label| *label == entry.label())
        {
            run_one(args, &entry.read()?)?;
        }
    }
    Ok(())
}

fn run_one(args: &Args, workload: &Workload) -> Result<(), String> {
    let label = workload.label();
    let (runs, min_time) = (args.runs, args.min_time);

    let mut brine = Brine::new(workload);
    let graph = decode(&mut brine).map_err(|err| format!("{label}: brine: {err}"))?;
    let decoded = measure(runs, min_time, || decode(&mut brine));
    emit("brine", "decode", workload, decoded, "");
    let reader = measure(runs, min_time, || decode_reader(workload));
    emit("brine-reader", "decode", workload, reader, "");
    let again = encode(&mut brine, &graph).map_err(|err| format!("{label}: brine: {err}"))?;
    let note = if again == workload.data {
        ""
    } else {
        "output differs from the file"
    };
    let encoded = measure(runs, min_time, || encode(&mut brine, &graph));
    emit("brine", "encode", workload, encoded, note);
    drop(graph);

    with_type(workload, &mut Typed { runs, min_time });
    with_borrowed_type(workload, &mut Typed { runs, min_time });

    if workload.data.len() >= 1 << 20 {
        let copy = measure(runs, min_time, || workload.data.to_vec());
        emit("memcpy", "decode", workload, copy, "");
    }

    // serde-pickle knows no identity (a shared object is copied at every reference), no
    // protocol 5 out-of-band buffers, and only the globals of builtin containers.
    let (value, note) = match serde_pickle::value_from_slice(&workload.data, DeOptions::new()) {
        Ok(value) => (value, String::new()),
        Err(err) => {
            let lenient = DeOptions::new().replace_unresolved_globals();
            match serde_pickle::value_from_slice(&workload.data, lenient) {
                Ok(value) => (
                    value,
                    format!("only with replace_unresolved_globals ({err})"),
                ),
                Err(err) => {
                    fail("serde-pickle", workload, &err.to_string());
                    return Ok(());
                }
            }
        }
    };
    let options = if note.is_empty() {
        DeOptions::new()
    } else {
        DeOptions::new().replace_unresolved_globals()
    };
    let decoded = measure(runs, min_time, || {
        serde_pickle::value_from_slice(&workload.data, options.clone())
    });
    emit("serde-pickle", "decode", workload, decoded, &note);
    let encoded = measure(runs, min_time, || {
        serde_pickle::value_to_vec(&value, SerOptions::new())
    });
    emit(
        "serde-pickle",
        "encode",
        workload,
        encoded,
        "writes protocol 3",
    );
    Ok(())
}

/// brine-serde and serde-pickle, each decoding the workload into the same Rust type and
/// encoding the value back.
struct Typed {
    runs: usize,
    min_time: Duration,
}

impl TypedBench for Typed {
    fn run<T: Serialize + DeserializeOwned>(
        &mut self,
        workload: &Workload,
        options: &brine_serde::Options,
    ) {
        let (runs, min_time) = (self.runs, self.min_time);
        let read = brine_serde::Options::default();
        match brine_serde::from_slice::<T>(&workload.data, &read) {
            Ok(value) => {
                let decoded = measure(runs, min_time, || {
                    brine_serde::from_slice::<T>(&workload.data, &read)
                });
                emit("brine-serde", "decode", workload, decoded, "");
                let encoded = measure(runs, min_time, || brine_serde::to_vec(&value, options));
                emit("brine-serde", "encode", workload, encoded, "");
                let mut fast = options.clone();
                fast.fast = true;
                let encoded = measure(runs, min_time, || brine_serde::to_vec(&value, &fast));
                emit("brine-serde-fast", "encode", workload, encoded, "no memo");
                json_decode::<T>(workload, &value, runs, min_time);
            }
            Err(err) => fail("brine-serde", workload, &err.to_string()),
        }
        match serde_pickle::from_slice::<T>(&workload.data, DeOptions::new()) {
            Ok(value) => {
                let decoded = measure(runs, min_time, || {
                    serde_pickle::from_slice::<T>(&workload.data, DeOptions::new())
                });
                emit("serde-pickle-typed", "decode", workload, decoded, "");
                let encoded = measure(runs, min_time, || {
                    serde_pickle::to_vec(&value, SerOptions::new())
                });
                emit(
                    "serde-pickle-typed",
                    "encode",
                    workload,
                    encoded,
                    "writes protocol 3",
                );
            }
            Err(err) => fail("serde-pickle-typed", workload, &err.to_string()),
        }
    }
}

impl BorrowedBench for Typed {
    fn run<T: Borrowing>(&mut self, workload: &Workload) {
        let (runs, min_time) = (self.runs, self.min_time);
        let read = brine_serde::Options::default();
        let value = match brine_serde::from_slice::<T::Of<'_>>(&workload.data, &read) {
            Ok(value) => value,
            Err(err) => return fail("brine-serde-borrowed", workload, &err.to_string()),
        };
        let decoded = measure(runs, min_time, || {
            brine_serde::from_slice::<T::Of<'_>>(&workload.data, &read)
        });
        emit("brine-serde-borrowed", "decode", workload, decoded, "");
        let text = match serde_json::to_vec(&value) {
            Ok(text) => text,
            Err(err) => return fail("serde-json-borrowed", workload, &err.to_string()),
        };
        if let Err(err) = serde_json::from_slice::<T::Of<'_>>(&text) {
            return fail("serde-json-borrowed", workload, &err.to_string());
        }
        let decoded = measure(runs, min_time, || {
            serde_json::from_slice::<T::Of<'_>>(&text)
        });
        let note = format!("from {} bytes of JSON", text.len());
        emit("serde-json-borrowed", "decode", workload, decoded, &note);
    }
}

/// serde_json decoding the same data into the same type from its JSON text (written once from
/// the decoded value), the pace Rust users know; the row's size is the pickle's, so that its
/// MB/s compares with the pickle decoders' as time does.
fn json_decode<T: Serialize + DeserializeOwned>(
    workload: &Workload,
    value: &T,
    runs: usize,
    min_time: Duration,
) {
    let text = match serde_json::to_vec(value) {
        Ok(text) => text,
        Err(err) => return fail("serde-json", workload, &err.to_string()),
    };
    if let Err(err) = serde_json::from_slice::<T>(&text) {
        return fail("serde-json", workload, &err.to_string());
    }
    let decoded = measure(runs, min_time, || serde_json::from_slice::<T>(&text));
    let note = format!("from {} bytes of JSON", text.len());
    emit("serde-json", "decode", workload, decoded, &note);
}

/// A row for an implementation that cannot decode the workload.
fn fail(implementation: &str, workload: &Workload, err: &str) {
    println!(
        "{implementation}\tdecode\t{}\t{}\t{}\t\t\t\t\tcannot decode: {err}",
        workload.name,
        workload.protocol,
        workload.size()
    );
}

fn emit(implementation: &str, op: &str, workload: &Workload, timing: Timing, note: &str) {
    println!(
        "{implementation}\t{op}\t{}\t{}\t{}\t{:.0}\t{:.0}\t{:.0}\t{}\t{note}",
        workload.name,
        workload.protocol,
        workload.size(),
        timing.median_ns,
        timing.min_ns,
        timing.max_ns,
        timing.iterations
    );
}
