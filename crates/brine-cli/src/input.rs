//! Where a command reads its input from: a file, or stdin for `-` or no path.
//!
//! Commands that read a pickle accept it compressed with any codec `brine-compress` knows
//! (gzip, bz2, xz, zstd, lz4), recognised by its magic bytes; a plain pickle passes through.
//! A whole file given by path is memory-mapped when it is large (brine-mmap), so that its
//! payloads are slices of the mapping rather than a copy.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use bytes::Bytes;

/// Opens `path` (stdin for `None` or `-`), decompressing it when it is compressed.
pub fn open(path: Option<&Path>) -> io::Result<Box<dyn BufRead>> {
    let raw = open_raw(path)?;
    let reader = brine_compress::decompress_reader(raw, &brine_compress::Options::default())
        .map_err(|err| io::Error::other(err.to_string()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 16, reader)))
}

/// Opens `path` (stdin for `None` or `-`) as it is.
pub fn open_raw(path: Option<&Path>) -> io::Result<Box<dyn BufRead>> {
    match path {
        Some(path) if path.as_os_str() != "-" => {
            let file = File::open(path)
                .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
            Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
        }
        _ => Ok(Box::new(io::stdin().lock())),
    }
}

/// Reads all of `path` (stdin for `None` or `-`), decompressed: a plain file is
/// memory-mapped when it is large ([`brine_mmap::read`]), a compressed one decompressed into
/// memory.
pub fn read_bytes(path: Option<&Path>) -> io::Result<Bytes> {
    match path {
        Some(file) if file.as_os_str() != "-" => {
            let data = brine_mmap::read(file)
                .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", file.display())))?;
            if brine_compress::Codec::detect(&data).is_none() {
                return Ok(data);
            }
            brine_compress::decompress(&data, &brine_compress::Options::default())
                .map(Bytes::from)
                .map_err(|err| io::Error::other(err.to_string()))
        }
        _ => {
            let mut data = Vec::new();
            open(path)?.read_to_end(&mut data)?;
            Ok(Bytes::from(data))
        }
    }
}
