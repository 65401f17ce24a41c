//! `cargo xtask bench-convert`: the whole `brine convert` process against CPython's in-process
//! `pickle.loads` + `pickle.dumps` of the same file, as the Markdown table of
//! docs/performance.md ("The whole process").
//!
//! Builds the `brine` binary in release mode (or takes the one `--brine` names, to measure
//! another commit's) and runs `benches/timeconvert.py` with CPython 3.11.7 on the workloads of
//! `cargo xtask bench-data` above 1 MB.

use std::env;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::bench_data;

const USAGE: &str = "usage: cargo xtask bench-convert [options]

Times `brine convert -p P FILE -o /dev/null` (one process per run) against a fresh CPython
3.11.7 doing `pickle.loads` + `pickle.dumps(obj, P)` of the same file, timed inside Python,
on the workloads of `cargo xtask bench-data` above 1 MB; prints a Markdown table.

  --runs N         runs per workload, of which the median is kept (default 11)
  --filter TEXT    only the workloads whose label (e.g. floats_1m.p5) contains TEXT
  --brine PATH     the brine binary to measure (default: build brine-cli in release mode)

CARGO_TARGET_DIR is honoured.";

/// Parses the command line of `cargo xtask bench-convert` and runs it.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut runs = 11usize;
    let mut filter = String::new();
    let mut brine: Option<PathBuf> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || {
            iter.next()
                .ok_or_else(|| format!("`{arg}` needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--runs" => runs = value()?.parse().map_err(|err| format!("--runs: {err}"))?,
            "--filter" => filter = value()?.clone(),
            "--brine" => brine = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument `{arg}`\n\n{USAGE}")),
        }
    }
    let data = bench_data::ensure(false)?;
    let python = brine_python::reference().map_err(|err| err.to_string())?;
    let brine = match brine {
        Some(path) => path,
        None => build_brine()?,
    };
    let status = brine_python::command(&python)
        .arg(bench_data::benches_dir().join("timeconvert.py"))
        .arg("bench")
        .arg("--data")
        .arg(&data)
        .arg("--brine")
        .arg(&brine)
        .args(["--runs", &runs.to_string()])
        .args(["--filter", &filter])
        .status()
        .map_err(|err| format!("{}: {err}", python.display()))?;
    if !status.success() {
        return Err(format!("timeconvert.py failed ({status})"));
    }
    Ok(())
}

/// `cargo build --release -p brine-cli`, and the path of the binary it wrote.
fn build_brine() -> Result<PathBuf, String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "brine-cli"])
        .stdin(Stdio::null())
        .status()
        .map_err(|err| format!("cargo build: {err}"))?;
    if !status.success() {
        return Err(format!("cargo build -p brine-cli failed ({status})"));
    }
    Ok(crate::paths::release_binary("brine"))
}
