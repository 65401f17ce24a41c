//! The `brine` command: a thin shell over the brine crates.
//!
//! Only this crate knows about the terminal, exit codes and argument parsing. Every command
//! writes its result to stdout (or `-o`), its errors to stderr, and exits non-zero on failure;
//! a panic (exit 101) is always a bug.

mod batch;
mod checkpoint;
mod convert;
mod dis;
mod input;
mod json;
mod output;
mod scan;
mod sign;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The binary's choice alone (the library crates leave it to their users): mimalloc takes its
// memory in 2 MiB transparent huge pages (it asks with MADV_HUGEPAGE, which this kind of
// machine requires), so `brine convert` of a 10 MB pickle takes about 200 page faults instead
// of 18,000 and a third less CPU time (docs/performance.md, "The whole process").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Python pickles, read safely: disassemble, inspect and convert them without running them.
#[derive(Debug, Parser)]
#[command(name = "brine", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print what `python3.11 -m pickletools FILE` prints.
    Dis(dis::DisArgs),
    /// Decode a pickle and write it again at another protocol (default 4).
    Convert(convert::ConvertArgs),
    /// Drop unused memo entries, as `pickletools.optimize` does.
    Optimize(convert::OptimizeArgs),
    /// Print the value as JSON (docs/json.md).
    Json(json::JsonArgs),
    /// Report what pickles would import and call, judged; exit 0 clean (suspicious listed),
    /// 1 dangerous, 2 could not scan (docs/security.md).
    Scan(scan::ScanArgs),
    /// A PyTorch checkpoint's tensors: list them, or write them as .safetensors, never running
    /// the pickle (refused when the scan finds it dangerous).
    Checkpoint(checkpoint::CheckpointArgs),
    /// Wrap data in an HMAC envelope (docs/envelope.md).
    Sign(sign::SignArgs),
    /// Check an HMAC envelope and unwrap its payload; nothing is written unless it verifies.
    Verify(sign::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Dis(args) => dis::run(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Optimize(args) => convert::optimize(&args),
        Command::Json(args) => json::run(&args),
        Command::Scan(args) => return scan::run(&args),
        Command::Checkpoint(args) => checkpoint::run(&args).map_err(Into::into),
        Command::Sign(args) => sign::sign(&args),
        Command::Verify(args) => sign::verify(&args),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("brine: error: {err}");
            ExitCode::FAILURE
        }
    }
}
