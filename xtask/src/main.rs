//! Project automation for brine, run as `cargo xtask <command>`.
//!
//! This file only dispatches: each command lives in its own module.

mod bench_convert;
mod bench_data;
mod bench_python;
mod bench_scan;
mod container_fixtures;
mod fixtures;
mod fuzz_seed;
mod paths;
mod scan_compare;
mod tables;

use std::env;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  fixtures [--check] [--allow-missing]
      regenerate fixtures/ with the pinned CPythons (--check: compare only)
  container-fixtures
      regenerate fixtures/containers/ in a throwaway venv of CPython 3.11.7 with the pinned
      numpy, joblib, lz4 and zstandard
  fuzz-seed
      seed fuzz/corpus/ from the fixtures
  scan-corpus
      regenerate fixtures/scan/ (the scanner's hostile and benign corpus) with CPython 3.11.7
  scan-compare [--missed]
      run brine, picklescan, modelscan and fickling (pinned, in a throwaway venv) over
      fixtures/scan/ and print the table of docs/security.md
  bench-data [--force]
      write the benchmark workloads into benches/data/ with CPython 3.11.7
  bench-python [--runs N] [--min-time-ms MS] [--filter TEXT] [--no-memory]
      time brine, CPython's C pickle and serde-pickle on them; print the tables
  bench-scan [--runs N] [--sizes 256m,1g,4g]
      brine scan on 256 MB-4 GB checkpoints (MB/s, peak RSS) and 10,000 small pickles
      (files/s), brine checkpoint ls against a pure-Python lister (inputs in target/bench-scan/)
  bench-convert [--runs N] [--filter TEXT] [--brine PATH]
      time the whole `brine convert` process against CPython's in-process loads + dumps
  tables [--check]
      regenerate the tables read off CPython (_compat_pickle's mappings, repr's unprintable
      code points) with CPython 3.11.7 (--check: compare only)";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let res = match command.as_str() {
        "fixtures" => fixtures::run(rest),
        "container-fixtures" => container_fixtures::run(rest),
        "fuzz-seed" => fuzz_seed::run(rest),
        "scan-corpus" => scan_compare::corpus(rest),
        "scan-compare" => scan_compare::run(rest),
        "bench-data" => bench_data::run(rest),
        "bench-python" => bench_python::run(rest),
        "bench-scan" => bench_scan::run(rest),
        "bench-convert" => bench_convert::run(rest),
        "tables" => tables::run(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("unknown command `{command}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
