//! Files as [`Bytes`] over a read-only memory map, so that a multi-GB checkpoint costs no
//! copy: every slice a reader takes of it (a tensor's storage, a pickle inside a zip) is a
//! view of the mapping, and only the pages actually read are ever brought into memory.
//!
//! This crate is brine's only unsafe code, one call ([`memmap2::Mmap::map`]), kept here so that
//! every other crate keeps `#![forbid(unsafe_code)]`. It reads the file and does nothing else.
//!
//! # Example
//!
//! ```
//! let path = std::env::temp_dir().join(format!("brine-mmap-doc-{}", std::process::id()));
//! std::fs::write(&path, b"\x80\x04K\x07.")?;
//! let data = brine_mmap::read(&path)?;
//! assert_eq!(&data[..], b"\x80\x04K\x07.");
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(unsafe_code)]

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use bytes::Bytes;

/// Files smaller than this are read into memory: mapping costs two system calls and a page
/// fault per page, more than a read of a few pages.
pub const MAP_THRESHOLD: u64 = 1 << 20;

/// The content of the file at `path`: memory-mapped when it is a regular file of at least
/// [`MAP_THRESHOLD`] bytes, read into memory otherwise (small files, pipes, special files, or
/// a file the system cannot map).
///
/// # What a change to the file does
///
/// A mapped file is read where it lies. If another process writes to it while the returned
/// `Bytes` (or a slice of it) is alive, reads see the new bytes, so two reads of one place may
/// differ; brine's readers check every length against the slice they hold, whose length never
/// changes, so this can give wrong data or an error but never a read outside the mapping. If
/// the file is truncated, reading a page past its new end raises `SIGBUS`, which ends the
/// process. Callers that cannot rule out writers read the file with [`std::fs::read`].
///
/// # Errors
///
/// When the file cannot be opened or read.
pub fn read(path: &Path) -> io::Result<Bytes> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() >= MAP_THRESHOLD {
        if let Ok(map) = map(&file) {
            return Ok(Bytes::from_owner(map));
        }
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(1 << 30));
    file.read_to_end(&mut data)?;
    Ok(Bytes::from(data))
}

/// Maps `file` read-only.
///
/// Sound as far as the process goes: the map is read-only and private, brine never writes to
/// the file, and the mapping lives as long as the `Bytes` that own it. `Mmap::map` is unsafe
/// because another process may change or truncate the file underneath; [`read`] says what
/// that does.
#[allow(unsafe_code)]
fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: see above; the file is opened read-only and nothing in brine writes to it.
    unsafe { memmap2::MmapOptions::new().map(file) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_files_read_whole() {
        let dir = std::env::temp_dir().join(format!("brine-mmap-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("small");
        std::fs::write(&small, b"abc").unwrap();
        assert_eq!(&read(&small).unwrap()[..], b"abc");
        let large = dir.join("large");
        let content: Vec<u8> = (0..MAP_THRESHOLD as usize + 5).map(|i| i as u8).collect();
        std::fs::write(&large, &content).unwrap();
        let data = read(&large).unwrap();
        assert_eq!(&data[..], &content[..]);
        let empty = dir.join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert!(read(&empty).unwrap().is_empty());
        assert!(read(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
