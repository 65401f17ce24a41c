//! Where a command writes its result: a file given with `-o`, or stdout for `-` or none.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Writes `data` to `path` (stdout for `None` or `-`).
pub fn write_all(path: Option<&Path>, data: &[u8]) -> io::Result<()> {
    let mut out = open(path)?;
    out.write_all(data)?;
    out.flush()
}

/// Opens `path` for writing (stdout for `None` or `-`).
pub fn open(path: Option<&Path>) -> io::Result<Box<dyn Write>> {
    match path {
        Some(path) if path.as_os_str() != "-" => {
            let file = File::create(path)
                .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
            Ok(Box::new(io::BufWriter::new(file)))
        }
        _ => Ok(Box::new(io::BufWriter::new(io::stdout().lock()))),
    }
}

/// Opens `path` for writing without a buffer of its own (stdout for `None` or `-`), for a
/// writer that already writes in large blocks.
pub fn open_unbuffered(path: Option<&Path>) -> io::Result<Box<dyn Write>> {
    match path {
        Some(path) if path.as_os_str() != "-" => {
            let file = File::create(path)
                .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
            Ok(Box::new(file))
        }
        _ => Ok(Box::new(io::stdout().lock())),
    }
}
