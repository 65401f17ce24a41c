//! `brine sign` and `brine verify`: the HMAC envelope, with keys read from files (never from
//! the command line, where other users could see them).

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use brine_sign::{Keyring, SignOptions, VerifyOptions};

use crate::{input, output};

/// Arguments of `brine sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The key file: hex keys, one per line, the last one signing (docs/envelope.md).
    #[arg(long)]
    key: PathBuf,
    /// Sign with this key id from the key file instead of the last key.
    #[arg(long)]
    key_id: Option<String>,
    /// Bind the envelope to a purpose; verification must name the same one.
    #[arg(long)]
    context: Option<String>,
    /// The data to sign; `-` or nothing reads stdin.
    input: Option<PathBuf>,
    /// Where to write the envelope; `-` or nothing writes stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Arguments of `brine verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The key file with every key that may have signed.
    #[arg(long)]
    key: PathBuf,
    /// The purpose the envelope must be bound to.
    #[arg(long)]
    context: Option<String>,
    /// Refuse envelopes issued longer ago than this many seconds.
    #[arg(long)]
    max_age: Option<u64>,
    /// The envelope; `-` or nothing reads stdin.
    input: Option<PathBuf>,
    /// Where to write the payload; `-` or nothing writes stdout. Nothing is written unless
    /// the envelope verifies.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Signs the input with the chosen key.
pub fn sign(args: &SignArgs) -> Result<(), Box<dyn std::error::Error>> {
    let ring = read_keyring(&args.key)?;
    let key = ring.signer(args.key_id.as_deref().map(str::as_bytes))?;
    let mut options = SignOptions::default();
    if let Some(context) = &args.context {
        options = options.with_context(context.as_bytes());
    }
    let reader = input::open_raw(args.input.as_deref())?;
    let writer = output::open(args.output.as_deref())?;
    brine_sign::sign_stream(key, &options, reader, writer)?;
    Ok(())
}

/// Verifies the input and writes its payload only once every check has passed.
pub fn verify(args: &VerifyArgs) -> Result<(), Box<dyn std::error::Error>> {
    let ring = read_keyring(&args.key)?;
    let mut options = VerifyOptions::default();
    if let Some(context) = &args.context {
        options = options.with_context(context.as_bytes());
    }
    if let Some(max_age) = args.max_age {
        options.max_age = Some(std::time::Duration::from_secs(max_age));
    }
    let reader = input::open_raw(args.input.as_deref())?;
    let mut verified = brine_sign::verify_reader(&ring, &options, reader)?;
    // Only now does the output exist.
    let mut writer = output::open(args.output.as_deref())?;
    io::copy(&mut verified, &mut writer)?;
    writer.flush()?;
    Ok(())
}

fn read_keyring(path: &std::path::Path) -> Result<Keyring, Box<dyn std::error::Error>> {
    let text = fs::read(path).map_err(|err| format!("{}: {err}", path.display()))?;
    Ok(Keyring::from_key_file(&text)?)
}
