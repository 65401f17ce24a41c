//! The `brine` command: a thin shell over the brine crates.
//!
//! Only this crate knows about the terminal, exit codes and argument parsing. Every command
//! writes its result to stdout (or `-o`), its errors to stderr, and exits non-zero on failure;
//! a panic (exit 101) is always a bug.

mod dis;
mod input;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Dis(args) => dis::run(&args),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("brine: error: {err}");
            ExitCode::FAILURE
        }
    }
}
