//! `brine dis`: pickletools-identical disassembly.

use std::io::{self, Write};
use std::path::PathBuf;

use brine_lex::DisOptions;

use crate::input;

/// Arguments of `brine dis`.
#[derive(Debug, clap::Args)]
pub struct DisArgs {
    /// The pickle to disassemble; `-` or nothing reads stdin.
    file: Option<PathBuf>,
    /// Annotate each line with a short description of the opcode (pickletools' `-a`).
    #[arg(short, long)]
    annotate: bool,
    /// Blanks by which to indent each MARK level.
    #[arg(short = 'l', long, default_value_t = 4)]
    indentlevel: usize,
}

/// Disassembles the pickle; on a fault, the lines before it are printed and the error returned.
pub fn run(args: &DisArgs) -> Result<(), Box<dyn std::error::Error>> {
    let reader = input::open(args.file.as_deref())?;
    let mut options = DisOptions::default();
    options.indent = args.indentlevel;
    options.annotate = if args.annotate { 30 } else { 0 };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let res = brine_lex::dis_reader(reader, &mut out, &options);
    // What was disassembled before a fault is part of the output.
    out.flush()?;
    res.map_err(Into::into)
}
