//! Where a command reads its pickle from: a file, or stdin for `-` or no path.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// Opens `path` for buffered reading; `None` or `-` is stdin.
pub fn open(path: Option<&Path>) -> io::Result<Box<dyn BufRead>> {
    match path {
        None => Ok(Box::new(io::stdin().lock())),
        Some(path) if path.as_os_str() == "-" => Ok(Box::new(io::stdin().lock())),
        Some(path) => {
            let file = File::open(path)
                .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
            Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
        }
    }
}
