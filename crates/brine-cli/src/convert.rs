//! `brine convert` and `brine optimize`: rewrite a pickle at another protocol, or without
//! its unused memo entries.

use std::path::{Path, PathBuf};

use brine_value::StringEncoding;

use crate::{input, output};

/// Arguments of `brine convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The pickle to convert; `-` or nothing reads stdin.
    input: Option<PathBuf>,
    /// Where to write the result; `-` or nothing writes stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The protocol to write, 0 to 5.
    #[arg(short, long, default_value_t = brine_encode::DEFAULT_PROTOCOL)]
    protocol: u8,
    /// How to decode Python 2 `str` objects: ASCII, latin1, utf-8 or bytes.
    #[arg(long, default_value = "ASCII")]
    encoding: String,
    /// Do not map names between Python 2 and 3.
    #[arg(long)]
    no_fix_imports: bool,
    /// Write as this CPython's pickler does where they differ: py27, py36, py37, py311
    /// (3.8 to 3.12) or py313. Default: the one whose idioms the input shows, else py311.
    #[arg(long, value_parser = parse_flavour)]
    flavour: Option<brine_encode::Flavour>,
    /// Compress the output: gzip, bz2, xz, zstd or lz4, with an optional level (`zstd:19`).
    #[arg(long, value_name = "CODEC[:LEVEL]")]
    compress: Option<brine_compress::Compression>,
    /// Answer length-prefixed conversion requests on stdin until it ends, each with its own
    /// protocol and options (the format is in `batch.rs`); the other arguments are not used.
    #[arg(long, conflicts_with_all = ["input", "output", "compress"])]
    batch: bool,
}

/// Arguments of `brine optimize`.
#[derive(Debug, clap::Args)]
pub struct OptimizeArgs {
    /// The pickle to optimize; `-` or nothing reads stdin.
    input: Option<PathBuf>,
    /// Where to write the result; `-` or nothing writes stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Compress the output: gzip, bz2, xz, zstd or lz4, with an optional level (`zstd:19`).
    #[arg(long, value_name = "CODEC[:LEVEL]")]
    compress: Option<brine_compress::Compression>,
}

/// Decodes the input and encodes it again at the chosen protocol.
pub fn run(args: &ConvertArgs) -> Result<(), Box<dyn std::error::Error>> {
    if args.batch {
        let mut stdin = std::io::stdin().lock();
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        return Ok(crate::batch::run(&mut stdin, &mut stdout)?);
    }
    let data = read_input(args.input.as_deref())?;
    let mut decode = brine_vm::Options::default();
    decode.encoding = StringEncoding::from_name(&args.encoding)
        .ok_or_else(|| format!("unknown encoding {:?}", args.encoding))?;
    decode.fix_imports = !args.no_fix_imports;
    let graph = brine_vm::from_bytes(data, &decode)?;
    let mut encode = brine_encode::Options::protocol(args.protocol);
    encode.fix_imports = !args.no_fix_imports;
    encode.flavour = args.flavour;
    if args.compress.is_some() {
        let pickle = brine_encode::to_vec(&graph, &encode)?;
        write_maybe_compressed(args.output.as_deref(), &pickle, args.compress)?;
    } else {
        write_streamed(args.output.as_deref(), &graph, encode)?;
    }
    // The process ends here: freeing a graph of millions of nodes one allocation at a time
    // would only cost time (a fifth of `convert` on 50,000 instances); the system takes the
    // memory back at exit.
    std::mem::forget(graph);
    Ok(())
}

/// Encodes `graph` straight into the output: the encoder hands over each 64 KiB frame as it
/// fills (and large payloads from the graph's buffers), so the output is never held whole
/// and its pages are never touched. A regular file is written beside its target and renamed
/// over it once complete, so an error part-way leaves whatever was at the path as it was.
fn write_streamed(
    path: Option<&Path>,
    graph: &brine_value::Graph,
    encode: brine_encode::Options,
) -> Result<(), Box<dyn std::error::Error>> {
    // Standard output, and a path that names something other than a regular file (a
    // device such as /dev/null, a pipe, a symbolic link), are written in place.
    let in_place = path.is_none_or(|path| {
        path.as_os_str() == "-"
            || std::fs::symlink_metadata(path).is_ok_and(|meta| !meta.file_type().is_file())
    });
    let path = match path {
        Some(path) if !in_place => path,
        _ => {
            let out = output::open_unbuffered(path)?;
            brine_encode::Encoder::new(encode).to_writer(graph, out)?;
            return Ok(());
        }
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let mut partial = std::ffi::OsString::from(".");
    partial.push(name);
    partial.push(format!(".partial-{}", std::process::id()));
    let partial = path.with_file_name(partial);
    let written = output::open_unbuffered(Some(&partial))
        .map_err(Into::into)
        .and_then(|out| {
            brine_encode::Encoder::new(encode)
                .to_writer(graph, out)
                .map(drop)
                .map_err(Box::<dyn std::error::Error>::from)
        })
        .and_then(|()| {
            std::fs::rename(&partial, path).map_err(|err| {
                Box::<dyn std::error::Error>::from(format!("{}: {err}", path.display()))
            })
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// A flavour by the short name of its CPython (`py27`).
fn parse_flavour(name: &str) -> Result<brine_encode::Flavour, String> {
    use brine_encode::Flavour;
    Ok(match name {
        "py27" => Flavour::Py27,
        "py36" => Flavour::Py36,
        "py37" => Flavour::Py37,
        "py311" => Flavour::Py311,
        "py313" => Flavour::Py313,
        _ => return Err("expected py27, py36, py37, py311 or py313".to_owned()),
    })
}

/// Optimizes the input as `pickletools.optimize` does.
pub fn optimize(args: &OptimizeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let data = read_input(args.input.as_deref())?;
    let pickle = brine_encode::optimize(&data)?;
    write_maybe_compressed(args.output.as_deref(), &pickle, args.compress)
}

fn write_maybe_compressed(
    path: Option<&Path>,
    pickle: &[u8],
    compress: Option<brine_compress::Compression>,
) -> Result<(), Box<dyn std::error::Error>> {
    match compress {
        Some(compression) => {
            let data = brine_compress::compress(pickle, compression.codec, compression.level)?;
            output::write_all(path, &data)?;
        }
        None => output::write_all(path, pickle)?,
    }
    Ok(())
}

fn read_input(path: Option<&Path>) -> Result<bytes::Bytes, Box<dyn std::error::Error>> {
    Ok(input::read_bytes(path)?)
}
